"""Scoped reads of customers. Every view and endpoint reaches customers through
`customers_for(scope)`; a customer outside the scope is a 404."""

import re
from dataclasses import dataclass, replace

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    Expression,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.core.scope import Scope
from yanzhi.core.validators import MOBILE_RE, mask_phone, normalize_mobile
from yanzhi.customers import search
from yanzhi.customers.models import (
    Consent,
    ConsentDocument,
    Customer,
    CustomerStoreLink,
    CustomerSummary,
    SourceChannel,
    Tag,
    tag_key,
)
from yanzhi.customers.tags import TagFilter, TagState, facts_match, facts_q, filter_customers
from yanzhi.org.models import Store

SEARCH_LIMIT = 20
DEFAULT_SEARCH_FIELDS = ("name", "phone", "member_no", "gender", "age", "consultant", "store")
ID_CARD_RE = re.compile(r"^\d{17}[\dXx]$")
HAN_RE = re.compile(r"[\u3400-\u9fff]")
LATIN_RE = re.compile(r"^[A-Za-z]+$")


def customers_for(scope: Scope) -> QuerySet[Customer]:
    """Customers this scope may see: the chain (HQ), the stores' own and linked customers
    (store roles), and of those only their own (consultants; a group leader: the group's)."""
    qs = Customer.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        linked = CustomerStoreLink.objects.filter(
            customer_id=OuterRef("pk"), store_id__in=scope.store_ids
        )
        qs = qs.filter(Q(store_id__in=scope.store_ids) | Exists(linked))
    return _owned(qs, scope)


def _owned(qs: QuerySet[Customer], scope: Scope) -> QuerySet[Customer]:
    """A consultant's (a group leader's: the group's) own customers of `qs`."""
    if scope.owner_ids is not None:
        qs = qs.filter(
            Q(consultant_id__in=scope.owner_ids) | Q(online_consultant_id__in=scope.owner_ids)
        )
    return qs


def visible_customers(scope: Scope, path: str = "customer") -> Q:
    """Rows of customers this scope may see, through the foreign key `path`: no condition for
    a scope that sees the whole chain (the org filter of the row says it all, and a subquery
    over every customer of a large chain costs a scan of them)."""
    if scope.store_ids is None and scope.owner_ids is None:
        return Q()
    return Q(**{f"{path}__in": customers_for(scope)})


def get_customer(scope: Scope, pk: int) -> Customer:
    return get_object_or_404(customers_for(scope), pk=pk)


# The rows a customer's profile names (its store, staff, channel, referrer, summary, level).
PROFILE_RELATED = (
    "store",
    "consultant",
    "online_consultant",
    "doctor",
    "source_channel",
    "referrer",
    "summary",
    "member_level",
)


def get_customer_detail(scope: Scope, pk: int) -> Customer:
    """One customer with what the 360° profile shows, in a fixed number of queries."""
    qs = customers_for(scope).select_related(*PROFILE_RELATED)
    return get_object_or_404(qs.prefetch_related("tags"), pk=pk)


# The columns the 360° page shows (customers/detail.html, its partials and dynamic tags): the
# customer's own and the names of the rows it points at. get_customer_detail loads every column
# of nine tables (three staff rows, the referrer's whole customer row); building that statement
# and its instances was the page's costliest step. A column the page reads must be listed here,
# or reading it costs a query of its own (customers/tests/test_profile_page.py counts them).
PROFILE_COLUMNS = (
    "org_id",
    "member_no",
    "name",
    "salutation",
    "gender",
    "birth_date",
    "phone",
    "phone_verified_at",
    "id_card",
    "allergies",
    "notes",
    "marketing_consent",
    "member_level_since",
    "rolling_spend_amount",
    "created_at",
    "store__name",
    "store__timezone",
    "consultant__name",
    "online_consultant__name",
    "doctor__name",
    "source_channel__name",
    "referrer__name",
    "member_level__name",
    "summary__visit_count",
    "summary__last_visit_at",
    "summary__last_visit_type",
    "summary__deal_count",
    "summary__total_spend_amount",
    "summary__arrears_amount",
    "summary__activity",
)


def customer_profile(scope: Scope, pk: int) -> Customer:
    """One customer with the columns the 360° page shows (PROFILE_COLUMNS), in one query."""
    qs = customers_for(scope).select_related(*PROFILE_RELATED)
    return get_object_or_404(qs.only(*PROFILE_COLUMNS), pk=pk)


# --- the chain-wide phone look-up (全网搜索) ------------------------------------------------------
@dataclass(frozen=True)
class PhoneLookup:
    """Whether a phone is already a customer of the chain, and who owns them. Never the profile:
    a consultant may look up any number but sees only this."""

    exists: bool
    masked_phone: str
    name_initial: str = ""
    store_name: str = ""
    consultant_name: str = ""
    # Only when the asking staff member may open the profile anyway.
    customer_id: int | None = None


def masked_name(name: str) -> str:
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def lookup_phone(scope: Scope, phone: str) -> PhoneLookup:
    """Every role may ask whether a full mobile number is a customer anywhere in the chain."""
    phone = normalize_mobile(phone)
    if not MOBILE_RE.match(phone):
        message = _("请输入11位中国大陆手机号码")
        raise BusinessError("invalid_phone", message, fields={"phone": [message]})
    customer = (
        Customer.objects.filter(org_id=scope.org_id, phone=phone)
        .select_related("store", "consultant", "online_consultant")
        .first()
    )
    if customer is None:
        return PhoneLookup(exists=False, masked_phone=mask_phone(phone))
    owner = customer.consultant or customer.online_consultant
    visible = customers_for(scope).filter(pk=customer.pk).exists()
    return PhoneLookup(
        exists=True,
        masked_phone=mask_phone(phone),
        name_initial=masked_name(customer.name),
        store_name=customer.store.name,
        consultant_name=owner.name if owner else "",
        customer_id=customer.pk if visible else None,
    )


# --- search -------------------------------------------------------------------------------------
def match_q(qs: QuerySet[Customer], q: str) -> QuerySet[Customer]:
    """Filter by what was typed: a full phone, a phone tail, digits (phone prefix or member
    number), an ID number, Latin letters (pinyin or initials), or Chinese (the name).
    Adds `match_rank` (0 = the better match) for ordering."""
    cond, rank = _match(q)
    return qs.filter(cond).annotate(match_rank=rank)


def _match(q: str) -> tuple[Q, Expression]:
    """The condition a search `q` puts on customers, and its rank expression."""
    q = (q or "").strip()
    rank = Value(0, output_field=IntegerField())
    if not q:
        return Q(), rank
    compact = normalize_mobile(q)
    if compact.isdigit() and len(compact) == 11:
        cond = Q(phone=compact) | Q(member_no=compact)
    elif ID_CARD_RE.match(q):
        cond = Q(id_card=q.upper())
    elif compact.isdigit() and len(compact) == 4:
        cond = Q(phone_tail=compact) | Q(member_no=compact)
    elif compact.isdigit() and len(compact) >= 5:
        cond = Q(phone__startswith=compact) | Q(member_no__startswith=compact)
    elif compact.isdigit():
        cond = Q(member_no=compact)
    elif HAN_RE.search(q):
        cond = Q(name__contains=q)
        rank = Case(When(name__startswith=q, then=0), default=1, output_field=IntegerField())
    elif LATIN_RE.match(q):
        low = q.lower()
        # Member numbers are compared as typed and upper-cased (not UPPER(column), which no
        # index serves): each branch of the OR is an index range scan.
        cond = (
            Q(name_initials__startswith=low)
            | Q(name_pinyin__startswith=low)
            | Q(member_no__in={q, q.upper()})
        )
        rank = Case(
            When(name_initials__startswith=low, then=0), default=1, output_field=IntegerField()
        )
    else:
        cond = Q(member_no__istartswith=q) | Q(name__icontains=q)
    return cond, rank


def store_ordering(store: Store | None) -> list:
    order = store.search_order if store else Store.SearchOrder.PHONE_FIRST
    if order == Store.SearchOrder.MEMBER_NO_FIRST:
        return ["member_no", "pk"]
    if order == Store.SearchOrder.NAME_FIRST:
        return ["name_pinyin", "name", "pk"]
    if order == Store.SearchOrder.RECENT_FIRST:
        return [F("summary__last_visit_at").desc(nulls_last=True), "-created_at", "-pk"]
    return ["phone", "pk"]


def result_fields(store: Store | None) -> list[str]:
    """The columns a store chose for search results (org.services.SEARCH_RESULT_FIELDS)."""
    return list((store.search_fields if store else None) or DEFAULT_SEARCH_FIELDS)


def _with_display(qs: QuerySet[Customer], fields) -> QuerySet[Customer]:
    qs = qs.select_related("store", "consultant", "online_consultant", "doctor", "source_channel")
    qs = qs.select_related("summary", "member_level")
    if "tags" in fields:
        qs = qs.prefetch_related("tags")
    return qs


def search_customers(scope: Scope, q: str, store: Store | None, *, limit: int = SEARCH_LIMIT):
    """The global search box: the best matches inside the scope, in the store's order, as
    `search.SearchRow`s. Two statements: the matching ids, then their rows."""
    q = (q or "").strip()
    if not q or scope.store_ids == ():
        return []
    order = store.search_order if store else Store.SearchOrder.PHONE_FIRST
    fields = result_fields(store)
    ids = _store_candidates(scope, q, limit) if scope.store_ids is not None else None
    if ids is None:
        ids = _chain_candidates(scope, q, store, limit)
    return search.result_rows(
        scope, ids, rank=_rank_sql(q), order=order, fields=fields, limit=limit
    )


def _chain_candidates(scope: Scope, q: str, store: Store | None, limit: int) -> list[int]:
    """The best `limit` matches by the chain-wide indexes (HQ, and what only they find: a full
    phone, an ID or a member number)."""
    ordering = store_ordering(store)
    customers = customers_for(scope)
    if HAN_RE.search(q) and not ID_CARD_RE.match(q):
        # A name: those starting with it (an index range scan), then, when they do not fill
        # the list, those containing it elsewhere (for HQ a scan of the chain's customers).
        found = list(
            customers.filter(name__startswith=q)
            .order_by(*ordering)
            .values_list("pk", flat=True)[:limit]
        )
        if len(found) < limit:
            found += list(
                customers.filter(name__contains=q)
                .exclude(name__startswith=q)
                .order_by(*ordering)
                .values_list("pk", flat=True)[: limit - len(found)]
            )
        return found
    matched = match_q(customers, q).order_by("match_rank", *ordering)
    return list(matched.values_list("pk", flat=True)[:limit])


def _rank_sql(q: str) -> search.Key:
    """`_match`'s rank as SQL over the customer row `c`."""
    if HAN_RE.search(q) and not ID_CARD_RE.match(q):
        condition, params = search.like_prefix("c.name", q)
    elif LATIN_RE.match(q):
        condition, params = search.like_prefix("c.name_initials", q.lower())
    else:
        return "0", []
    return f"CASE WHEN {condition} THEN 0 ELSE 1 END", params


def _store_candidates(scope: Scope, q: str, limit: int) -> list[int] | None:
    """Ids of the customers of the scope's stores (own or linked) that the search `q`
    matches, found by index range scans on the stores' own customers and on their links
    (which carry the customers' search keys): a few hundred ids at most for a name. None
    when `q` is not searched by these keys (a full phone, ID or member number is unique in
    the chain and found directly)."""
    compact = normalize_mobile(q)
    if compact.isdigit() and len(compact) == 4:
        return search.store_key_ids(scope, [("phone_tail = %s", [compact])], member_nos={compact})
    if HAN_RE.search(q) and not ID_CARD_RE.match(q):
        ids = search.store_key_ids(scope, [search.like_prefix("name", q)])
        if len(ids) >= limit and scope.owner_ids is None:
            return ids  # the names starting with it fill the list
        # Names containing it further on: right after the first character (a given name,
        # 志强 in 朱志强) by the name_rest key, later only in the rare longer names.
        inside, params = search.like_inside("name", q)
        later = (f"LENGTH(name) >= %s AND {inside}", [len(q) + 2, *params])
        return ids + search.store_key_ids(scope, [search.like_prefix("name_rest", q), later])
    if LATIN_RE.match(q):
        low = q.lower()
        keys = [search.like_prefix("name_initials", low), search.like_prefix("name_pinyin", low)]
        return search.store_key_ids(scope, keys, member_nos={q, q.upper()})
    return None


def referrer_candidates(scope: Scope, q: str, store: Store | None) -> list[tuple[int, str]]:
    """Whom a new customer may name as referrer: by full phone anyone in the chain (shown
    masked, as the phone look-up), otherwise the matches of the search inside the scope."""
    q = (q or "").strip()
    if len(q) < 2:
        return []
    phone = normalize_mobile(q)
    if MOBILE_RE.match(phone):
        found = Customer.objects.filter(org_id=scope.org_id, phone=phone).first()
        return [(found.pk, f"{masked_name(found.name)} {mask_phone(found.phone)}")] if found else []
    return [
        (c.pk, f"{c.name} {mask_phone(c.phone)} {c.member_no}")
        for c in search_customers(scope, q, store, limit=10)
    ]


@dataclass
class ListFilters:
    q: str = ""
    consultant_id: int | None = None
    tag_id: int | None = None
    source_channel_id: int | None = None
    last_visit_type: str = ""
    has_allergy: bool | None = None
    phone_verified: bool | None = None
    member_level_id: int | None = None
    # Dynamic tags (yanzhi.customers.tags): alternatives within one tag, all tags combined.
    deal_statuses: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()
    has_arrears: bool | None = None

    def tag_only(self) -> int | None:
        """The tag, when it is the list's only filter (no search either)."""
        if self.tag_id and replace(self, q=self.q.strip()) == ListFilters(tag_id=self.tag_id):
            return self.tag_id
        return None

    def tag_filter(self) -> TagFilter:
        return TagFilter(
            deal_statuses=tuple(self.deal_statuses),
            activities=tuple(self.activities),
            last_visit_types=(self.last_visit_type,) if self.last_visit_type else (),
            has_allergy=self.has_allergy,
            has_arrears=self.has_arrears,
        )


class StoreCustomerIds:
    """The ids of a store scope's customers passing the list's filters, in the list's order
    (newest first: created_at, id descending), counted and sliced like a queryset (a Paginator
    takes it). `own` are the stores' own customers (a Customer queryset), `linked` their store
    links (a CustomerStoreLink queryset), each already filtered; `apart`: no customer is in
    both (one store: a link never points at its customer's own store, link_customer_to_store;
    a customer's store never changes; check_balances "store_links").

    The stores' own customers come from the customer_store_newest index, their linked ones
    from link_store_newest, and both indexes carry the columns the list filters on
    (LIST_FILTER_COLUMNS; the links copy them): a count or a page reads two index ranges as
    long as a store's customers, never the chain's. Asked of the customer table as "the
    store's own or linked" (customers_for), PostgreSQL read every customer of the chain: 2.4 s
    for a store's list at a million customers, 0.2 to 1 s filtered by level or channel."""

    ordered = True

    def __init__(self, own: QuerySet[Customer], linked: QuerySet, *, apart: bool):
        self.own = own.values_list("id", "created_at")
        self.linked = linked.values_list("customer_id", "customer_created_at")
        if not apart:  # a customer linked to two of the stores: once (the window counts rows)
            self.linked = self.linked.distinct()
        self.apart = apart

    def _fetch(self, sql: str, params: list) -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _both(self, own: QuerySet, linked: QuerySet) -> tuple[str, str, list]:
        own_sql, own_params = self._sql(own)
        linked_sql, linked_params = self._sql(linked)
        return own_sql, linked_sql, [*own_params, *linked_params]

    @staticmethod
    def _sql(qs: QuerySet) -> tuple[str, tuple]:
        try:
            return qs.query.sql_with_params()
        except EmptyResultSet:  # a condition nothing meets (an empty list of ids)
            return "SELECT NULL AS id, NULL AS created_at WHERE 1 = 0", ()

    def count(self) -> int:
        own, linked, params = self._both(self.own.order_by(), self.linked.order_by())
        if self.apart:
            # two index counts add up (a union of their ids took 17 ms for a store of 30,000)
            sql = (
                f"SELECT (SELECT COUNT(*) FROM ({own}) AS own) "
                f"+ (SELECT COUNT(*) FROM ({linked}) AS linked)"
            )
        else:
            sql = (
                f"SELECT COUNT(*) FROM (SELECT * FROM ({own}) AS own "
                f"UNION SELECT * FROM ({linked}) AS linked) AS store_customers"
            )
        return self._fetch(sql, params)[0][0]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[int]:
        # The window's rows are among the first `stop` of each source: both sources are read
        # in the list's order, each as far as the window's end.
        start, stop = window.start or 0, window.stop
        if stop <= start:  # the empty first page of an empty list
            return []
        own, linked, params = self._both(
            self.own.order_by("-created_at", "-id")[:stop],
            self.linked.order_by("-customer_created_at", "-customer_id")[:stop],
        )
        sql = (
            f"SELECT id FROM (SELECT * FROM ({own}) AS own "
            f"UNION SELECT * FROM ({linked}) AS linked) AS store_customers "
            "ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s"
        )
        return [row[0] for row in self._fetch(sql, [*params, stop - start, start])]


def store_customer_ids(scope: Scope, filters: ListFilters) -> StoreCustomerIds:
    """A store scope's customer list without a search or a dynamic tag: the stores' own
    customers and their links, each filtered by its own columns (the links' copies)."""
    own = Customer.objects.filter(org_id=scope.org_id, store_id__in=scope.store_ids)
    linked = CustomerStoreLink.objects.filter(org_id=scope.org_id, store_id__in=scope.store_ids)
    same = {}  # columns of the same name and meaning on both
    if filters.consultant_id:
        same["consultant_id"] = filters.consultant_id
    if filters.source_channel_id:
        same["source_channel_id"] = filters.source_channel_id
    if filters.member_level_id:
        same["member_level_id"] = filters.member_level_id
    if filters.tag_id:  # the tag's id in the text of them (Customer.tag_keys)
        same["tag_keys__contains"] = tag_key(filters.tag_id)
    own, linked = own.filter(**same), linked.filter(**same)
    if scope.owner_ids is not None:
        mine = Q(consultant_id__in=scope.owner_ids) | Q(online_consultant_id__in=scope.owner_ids)
        own, linked = own.filter(mine), linked.filter(mine)
    if filters.phone_verified is not None:
        own = own.filter(phone_verified_at__isnull=not filters.phone_verified)
        linked = linked.filter(phone_verified=filters.phone_verified)
    if filters.has_allergy is not None:
        blank = Q(allergies="")
        own = own.exclude(blank) if filters.has_allergy else own.filter(blank)
        linked = linked.filter(has_allergy=filters.has_allergy)
    return StoreCustomerIds(own, linked, apart=len(scope.store_ids) == 1)


def customer_list_ids(scope: Scope, filters: ListFilters, store: Store | None):
    """The ids of customer_list in its order, to count and slice: a store's list without a
    search or a dynamic tag from its indexes (store_customer_ids)."""
    if scope.store_ids and not filters.q.strip() and not filters.tag_filter().reads_facts:
        return store_customer_ids(scope, filters)
    qs = customer_list(scope, filters, store).select_related(None).prefetch_related(None)
    return qs.values_list("pk", flat=True)


# A chain-wide list counts its customers up to this many; beyond, it says "more than" and
# pages as far. Counting all of a million customers took 75-430 ms (by filter) on every
# page, and nobody pages through 500 pages: HQ narrows with search and filters instead.
CHAIN_LIST_COUNT_LIMIT = 10_000


class ListPaginator(Paginator):
    """A Paginator counting at most `limit` ids (None: all of them). `beyond_limit` says that
    more matched: then `count` is the limit and the pages end there."""

    def __init__(self, ids, per_page: int, *, limit: int | None = None, counted=None):
        super().__init__(ids, per_page)
        self.limit = limit
        self.counted = ids if counted is None else counted  # the same rows, cheaper to count

    @cached_property
    def _found(self) -> int:
        # a bounded subquery: it stops at the limit's first row past, in any order
        return self.counted.order_by()[: self.limit + 1].count()

    @cached_property
    def count(self) -> int:
        return super().count if self.limit is None else min(self._found, self.limit)

    @property
    def beyond_limit(self) -> bool:
        return self.limit is not None and self._found > self.limit


def customer_list_page(
    scope: Scope, filters: ListFilters, store: Store | None, number, *, per_page: int
) -> Page:
    """A page of customer_list as the list page shows it (search.ListRow, with the store's
    result columns). The page's ids are sorted and limited first (customer_list_ids), and the
    shown columns joined for those rows only: joined first, a tag matching thousands of
    customers joined seven tables for each of them before keeping 20. A store's list counts
    all its customers (two index ranges); the chain's counts up to CHAIN_LIST_COUNT_LIMIT."""
    ids = customer_list_ids(scope, filters, store)
    limit, counted = CHAIN_LIST_COUNT_LIMIT if scope.chain_wide else None, None
    tag = filters.tag_only() if scope.chain_wide else None
    if tag is not None:
        # The chain's customers holding a tag are the tag's rows in the tag table: a tag and
        # its customers are of one chain (set_customer_tags). Counted from the table's tag
        # index, without joining a customer: a tag of 69,000 customers at a million took
        # 50 ms joined (a hash join of all its members, whatever the limit).
        counted = Customer.tags.through.objects.filter(
            tag_id=tag, tag__org_id=scope.org_id
        ).values_list("customer_id", flat=True)
    page = ListPaginator(ids, per_page, limit=limit, counted=counted).get_page(number)
    page.object_list = search.list_rows(list(page.object_list), result_fields(store))
    return page


def customers_in_order(ids: list[int]) -> list[Customer]:
    """The customers of `ids` (a page of customer_list_ids) in that order, with what the API's
    list gives of them, in two statements."""
    by_pk = {c.pk: c for c in _with_display(Customer.objects.filter(pk__in=ids), ["tags"])}
    return [by_pk[pk] for pk in ids]


def customer_list(scope: Scope, filters: ListFilters, store: Store | None) -> QuerySet[Customer]:
    """The customer list with its local search and filters (paginate the result)."""
    tags = filters.tag_filter()
    if scope.store_ids is not None and tags.reads_facts:
        # The stores' customers with the facts first, by the indexes leading with the store.
        found = store_customers_with_facts(scope, tags)
        ids = list(found)
        if len(ids) > MAX_LISTED_IDS:  # a broad tag: as a subquery, not as parameters
            ids = found
        qs = _owned(Customer.objects.filter(org_id=scope.org_id, pk__in=ids), scope)
        tags = TagFilter(has_allergy=tags.has_allergy)
    else:
        qs = customers_for(scope)
    if filters.consultant_id:
        qs = qs.filter(consultant_id=filters.consultant_id)
    if filters.tag_id:
        qs = qs.filter(tags=filters.tag_id)
    if filters.source_channel_id:
        qs = qs.filter(source_channel_id=filters.source_channel_id)
    qs = filter_customers(qs, tags)
    if filters.phone_verified is not None:
        qs = qs.filter(phone_verified_at__isnull=not filters.phone_verified)
    if filters.member_level_id:
        qs = qs.filter(member_level_id=filters.member_level_id)
    fields = result_fields(store)
    if filters.q.strip():
        qs = match_q(qs, filters.q).order_by("match_rank", *store_ordering(store))
    else:
        qs = qs.order_by("-created_at", "-pk")
    return _with_display(qs, [*fields, "tags"])


# Up to this many ids the list's page and count read them as parameters (the planner then
# knows how few they are); more, as a subquery (PostgreSQL takes at most 65,535 parameters).
MAX_LISTED_IDS = 5_000


def store_customers_with_facts(scope: Scope, tags: TagFilter) -> QuerySet:
    """Ids of the scope's stores' customers whose summary facts carry `tags` (all but the
    allergy tag): the stores' own customers from the summary's (org, store) index, their linked
    customers from the links' — each carries the facts in its index (PostgreSQL), so neither
    reads a table. Asked of the chain's summaries instead, a tag like 沉睡会员 · 复查 finds
    thousands of customers of other stores to check one by one (docs/decisions.md)."""
    own = CustomerSummary.objects.filter(org_id=scope.org_id, store_id__in=scope.store_ids)
    own = own.filter(facts_q(tags, owing=Q(arrears_amount__gt=0)))
    linked = CustomerStoreLink.objects.filter(org_id=scope.org_id, store_id__in=scope.store_ids)
    linked = linked.filter(facts_q(tags, owing=Q(has_arrears=True)))
    parts = [
        own.order_by().values_list("customer_id", flat=True),
        linked.order_by().values_list("customer_id", flat=True),
    ]
    if facts_match(TagState(), tags):  # a customer without a summary has the facts of none
        bare = Customer.objects.filter(
            org_id=scope.org_id, store_id__in=scope.store_ids, summary__isnull=True
        )
        parts.append(bare.order_by().values_list("pk", flat=True))
    return parts[0].union(*parts[1:])


# --- tags, channels, consents, audit --------------------------------------------------------------
def tags_for(scope: Scope) -> QuerySet[Tag]:
    return Tag.objects.filter(org_id=scope.org_id)


def tags_marked_for(scope: Scope, customer: Customer) -> list[Tag]:
    """The chain's tags, each with .applied: whether the customer has it (one query, for the
    profile's tag chips and its tag picker)."""
    applied = Customer.tags.through.objects.filter(customer_id=customer.pk, tag_id=OuterRef("pk"))
    return list(tags_for(scope).only("name", "color").annotate(applied=Exists(applied)))


def get_tag(scope: Scope, pk: int) -> Tag:
    return get_object_or_404(tags_for(scope), pk=pk)


def channels_for(scope: Scope, *, active_only: bool = False) -> QuerySet[SourceChannel]:
    qs = SourceChannel.objects.filter(org_id=scope.org_id)
    return qs.filter(is_active=True) if active_only else qs


def get_channel(scope: Scope, pk: int) -> SourceChannel:
    return get_object_or_404(channels_for(scope), pk=pk)


def consent_documents_for(scope: Scope) -> QuerySet[ConsentDocument]:
    return ConsentDocument.objects.filter(org_id=scope.org_id)


def current_consent_kinds(org_id: int) -> set[str]:
    """The kinds of consent the chain has a current document for (without the documents'
    text)."""
    docs = ConsentDocument.objects.filter(org_id=org_id, is_current=True)
    return set(docs.values_list("kind", flat=True))


# What the profile's consent list shows of each consent (customers/detail.html#consents).
PROFILE_CONSENT_COLUMNS = (
    "kind",
    "method",
    "granted_at",
    "withdrawn_at",
    "document__version",
    "document__title",
    "document__is_current",
    "recorded_by__name",
)


def consents_of(customer: Customer, *, page: bool = False) -> QuerySet[Consent]:
    """A customer's consents; page=True: the columns the profile shows only."""
    qs = Consent.objects.filter(customer=customer)
    if page:
        return qs.select_related("document", "recorded_by").only(*PROFILE_CONSENT_COLUMNS)
    return qs.select_related("document", "recorded_by", "withdrawn_by")


def get_consent(scope: Scope, pk: int) -> Consent:
    qs = Consent.objects.filter(visible_customers(scope), org_id=scope.org_id)
    return get_object_or_404(qs.select_related("customer", "document"), pk=pk)


def current_consent(customer: Customer, kind: str) -> Consent | None:
    """A standing consent to the chain's current version of that kind of document."""
    return (
        Consent.objects.filter(
            customer_id=customer.pk, kind=kind, withdrawn_at=None, document__is_current=True
        )
        .select_related("document")
        .order_by("-granted_at", "-id")
        .first()
    )


def current_medical_consent(customer: Customer) -> Consent | None:
    """The clinical app stores medical records and photos only when this is not None."""
    return current_consent(customer, ConsentDocument.Kind.MEDICAL)


def customer_audit(scope: Scope, customer: Customer, *, limit: int = 200) -> QuerySet[AuditLog]:
    """The audit entries about one (already scoped) customer."""
    return AuditLog.objects.filter(
        org_id=scope.org_id,
        object_type=Customer._meta.label_lower,
        object_id=str(customer.pk),
    )[:limit]
