"""The search box's two statements, written by hand.

The search box is the busiest read of the front desk: every keystroke (after a pause) asks it.
Its SQL takes a few milliseconds at a million customers, but building the same statements with
the ORM cost more than running them — the UNION of index scans and the result query with its
scope subquery, rank CASE and joins took ~7 ms of Python to compile and ~2 ms more to turn rows
into four related model instances each. Here the statements are plain text with parameters, and
a result is a `SearchRow` holding exactly what the result list shows (docs/decisions.md
"Search statements written by hand").

The rules are those of `queries.customers_for` and `queries._match`; tests run the same
searches through both (customers/tests/test_search*.py)."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.db import connection

from yanzhi.core.scope import Scope
from yanzhi.customers.models import (
    Customer,
    CustomerStoreLink,
    CustomerSummary,
    MembershipLevel,
    SourceChannel,
)
from yanzhi.customers.tags import TagState
from yanzhi.org.models import Staff, Store

CUSTOMER = Customer._meta.db_table
LINK = CustomerStoreLink._meta.db_table
SUMMARY = CustomerSummary._meta.db_table
STAFF = Staff._meta.db_table
STORE = Store._meta.db_table
CHANNEL = SourceChannel._meta.db_table


def placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


def like_prefix(column: str, text: str) -> tuple[str, list]:
    """`column` starts with `text`: the SQL Django writes for __startswith on this database
    (LIKE with the pattern's wildcards escaped), which the search-key indexes serve."""
    pattern = connection.ops.prep_for_like_query(text) + "%"
    return f"{column} {connection.operators['startswith'] % '%s'}", [pattern]


def like_inside(column: str, text: str) -> tuple[str, list]:
    pattern = "%" + connection.ops.prep_for_like_query(text) + "%"
    return f"{column} {connection.operators['contains'] % '%s'}", [pattern]


Key = tuple[str, list]  # a condition on the search-key columns and its parameters


def store_key_ids(scope: Scope, keys: list[Key], member_nos=()) -> list[int]:
    """Customers of the scope's stores matching any of `keys` — the stores' own customers and
    their links (which carry the customers' search keys), each key by an index leading with
    (org, store, key) — and the customers of the chain with one of `member_nos` (unique; the
    result query applies the scope to them). One statement, a UNION of index scans: an OR of
    keys made PostgreSQL read a chain-wide index instead."""
    stores = placeholders(scope.store_ids)
    parts, params = [], []
    for condition, values in keys:
        for table, column in ((CUSTOMER, "id"), (LINK, "customer_id")):
            parts.append(
                f"SELECT {column} FROM {table} "
                f"WHERE org_id = %s AND store_id IN ({stores}) AND {condition}"
            )
            params += [scope.org_id, *scope.store_ids, *values]
    if member_nos:
        member_nos = sorted(member_nos)
        parts.append(
            f"SELECT id FROM {CUSTOMER} WHERE org_id = %s AND member_no IN "
            f"({placeholders(member_nos)})"
        )
        params += [scope.org_id, *member_nos]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ".join(parts), params)
        return [row[0] for row in cursor.fetchall()]


@dataclass
class SearchRow:
    """One customer in the search results: what the store's chosen columns show."""

    pk: int
    name: str
    phone: str
    member_no: str
    gender: str
    birth_date: date | None
    allergies: str
    store_name: str = ""
    store_timezone: str = ""
    consultant_name: str = ""
    doctor_name: str = ""
    channel_name: str = ""
    last_visit_at: datetime | None = None
    tags: list = field(default_factory=list)

    @property
    def has_allergy(self) -> bool:
        return bool(self.allergies.strip())

    @property
    def timezone(self) -> str:  # as a store's, for core.timeutil.store_today
        return self.store_timezone


# What each result column needs beyond the customer row: (select list, joins, the SearchRow
# attributes the selected values go to). Joins only for the columns a store shows: each costs
# the planner more than the executor here.
_STORE = (
    "st.name, st.timezone",
    f"JOIN {STORE} st ON st.id = c.store_id",
    ("store_name", "store_timezone"),
)
_COLUMNS = {
    "age": _STORE,
    "store": _STORE,
    "consultant": (
        "COALESCE(co.name, oc.name)",
        f"LEFT JOIN {STAFF} co ON co.id = c.consultant_id "
        f"LEFT JOIN {STAFF} oc ON oc.id = c.online_consultant_id",
        ("consultant_name",),
    ),
    "doctor": ("dr.name", f"LEFT JOIN {STAFF} dr ON dr.id = c.doctor_id", ("doctor_name",)),
    "source_channel": (
        "ch.name",
        f"LEFT JOIN {CHANNEL} ch ON ch.id = c.source_channel_id",
        ("channel_name",),
    ),
    "last_visit_at": (
        "s.last_visit_at",
        f"LEFT JOIN {SUMMARY} s ON s.customer_id = c.id",
        ("last_visit_at",),
    ),
}
_ORDERINGS = {
    Store.SearchOrder.PHONE_FIRST: "c.phone, c.id",
    Store.SearchOrder.MEMBER_NO_FIRST: "c.member_no, c.id",
    Store.SearchOrder.NAME_FIRST: "c.name_pinyin, c.name, c.id",
    Store.SearchOrder.RECENT_FIRST: "s.last_visit_at DESC NULLS LAST, c.created_at DESC, c.id DESC",
}


def _column_parts(wanted) -> tuple[list[str], list[str], list[str]]:
    """The select lists, joins and SearchRow attributes of the `wanted` _COLUMNS (a join
    shared by two columns, once)."""
    selects, joins, attributes = [], [], []
    for name in wanted:
        select, join, names = _COLUMNS[name]
        if join not in joins:
            selects.append(select)
            joins.append(join)
            attributes += names
    return selects, joins, attributes


def result_rows(
    scope: Scope, ids: list[int], *, rank: Key, order: str, fields, limit: int
) -> list[SearchRow]:
    """The customers `ids` that the scope may see, best match first (`rank`: 0 the better),
    then in the store's order, with the columns of `fields`; their tags in a second statement
    when shown."""
    if not ids:
        return []
    wanted = [name for name in _COLUMNS if name in fields]
    if order == Store.SearchOrder.RECENT_FIRST and "last_visit_at" not in wanted:
        wanted.append("last_visit_at")
    selects, joins, attributes = _column_parts(wanted)
    rank_sql, rank_params = rank
    where, params = [f"c.org_id = %s AND c.id IN ({placeholders(ids)})"], [scope.org_id, *ids]
    if scope.store_ids is not None:
        stores = placeholders(scope.store_ids)
        where.append(
            f"(c.store_id IN ({stores}) OR EXISTS (SELECT 1 FROM {LINK} l "
            f"WHERE l.customer_id = c.id AND l.store_id IN ({stores})))"
        )
        params += [*scope.store_ids, *scope.store_ids]
    if scope.owner_ids is not None:
        owners = placeholders(scope.owner_ids)
        where.append(f"(c.consultant_id IN ({owners}) OR c.online_consultant_id IN ({owners}))")
        params += [*scope.owner_ids, *scope.owner_ids]
    extra = "".join(f", {select}" for select in selects)
    # The page of ids first, from the customer rows alone (a short name's initials match
    # hundreds of a store's customers); the shown columns' joins then for that page only.
    recent = _COLUMNS["last_visit_at"][1] if order == Store.SearchOrder.RECENT_FIRST else ""
    ordering = _ORDERINGS[order]
    page = (
        f"SELECT c.id, {rank_sql} AS match_rank FROM {CUSTOMER} c {recent} "
        f"WHERE {' AND '.join(where)} ORDER BY match_rank, {ordering} LIMIT %s"
    )
    sql = (
        f"SELECT c.id, c.name, c.phone, c.member_no, c.gender, c.birth_date, c.allergies"
        f"{extra}, p.match_rank FROM ({page}) p JOIN {CUSTOMER} c ON c.id = p.id "
        f"{' '.join(joins)} ORDER BY p.match_rank, {ordering}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*rank_params, *params, limit])
        fetched = cursor.fetchall()
    rows = [_row(values, attributes) for values in fetched]
    if "tags" in fields:
        _attach_tags(rows)
    return rows


def _row(values, attributes) -> SearchRow:
    row = SearchRow(*values[:7])
    for attribute, value in zip(attributes, values[7:-1], strict=True):
        if value is not None:
            setattr(row, attribute, value)
    if row.last_visit_at is not None and row.last_visit_at.tzinfo is None:
        row.last_visit_at = row.last_visit_at.replace(tzinfo=UTC)  # SQLite: naive UTC
    return row


@dataclass
class ListRow(SearchRow):
    """One customer in the customer list: a search result's columns, the member level, the
    verified phone and the dynamic tags' facts."""

    member_level_name: str = ""
    phone_verified: bool = False
    state: TagState = field(default_factory=TagState)


LEVEL = MembershipLevel._meta.db_table


def list_rows(ids: list[int], fields) -> list[ListRow]:
    """The customers `ids` (a page of the list, already in scope) in that order, with the
    store's columns (`fields`), level, verified phone and tag facts; their tags in a second
    statement when shown. The ORM's select_related of the same (seven joins, eight model
    instances a row) took 20 ms for a page of 20 at a million customers, this ~5."""
    if not ids:
        return []
    wanted = [name for name in _COLUMNS if name in fields and name != "last_visit_at"]
    selects, joins, attributes = _column_parts(wanted)
    extra = "".join(f", {select}" for select in selects)
    sql = (
        "SELECT c.id, c.name, c.phone, c.member_no, c.gender, c.birth_date, c.allergies, "
        "c.phone_verified_at, lv.name, s.last_visit_at, s.deal_count, s.activity, "
        f"s.last_visit_type, s.arrears_amount > 0{extra} FROM {CUSTOMER} c "
        f"LEFT JOIN {SUMMARY} s ON s.customer_id = c.id "
        f"LEFT JOIN {LEVEL} lv ON lv.id = c.member_level_id {' '.join(joins)} "
        f"WHERE c.id IN ({placeholders(ids)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        fetched = {values[0]: values for values in cursor.fetchall()}
    rows = []
    for pk in ids:
        values = fetched[pk]
        row = ListRow(*values[:7])
        verified_at, level, last_visit_at, deals, activity, last_type, arrears = values[7:14]
        row.phone_verified = verified_at is not None
        row.member_level_name = level or ""
        if last_visit_at is not None and last_visit_at.tzinfo is None:
            last_visit_at = last_visit_at.replace(tzinfo=UTC)  # SQLite: naive UTC
        row.last_visit_at = last_visit_at
        if deals is not None:  # else no summary: the facts of none (非会员, 未成交)
            row.state = TagState(deals, activity, last_type, bool(arrears))
        for attribute, value in zip(attributes, values[14:], strict=True):
            if value is not None:
                setattr(row, attribute, value)
        rows.append(row)
    if "tags" in fields:
        _attach_tags(rows)
    return rows


def _attach_tags(rows: list[SearchRow]) -> None:
    through = Customer.tags.through
    by_customer = {row.pk: row for row in rows}
    links = (
        through.objects.filter(customer_id__in=by_customer)
        .select_related("tag")
        .order_by("tag__name", "tag_id")
    )
    for link in links:
        by_customer[link.customer_id].tags.append(link.tag)
