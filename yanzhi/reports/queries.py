"""The report centre's figures (docs/reports.md defines each one): visits and conversion, item
sales, the category summary, consultant / online-consultant and doctor performance. Every
report reads through the apps' scoped entry points (orders_for, visits_for, executions_for …),
aggregates in the database and issues a fixed number of queries whatever the number of rows."""

from collections import Counter
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils.translation import gettext as _

from yanzhi.catalog.models import MAX_CATEGORY_DEPTH, Category
from yanzhi.catalog.queries import categories_for, get_category
from yanzhi.clinical.queries import consultations_for, diagnoses_for
from yanzhi.core.money import MoneyField, to_money
from yanzhi.core.scope import Scope
from yanzhi.customers.models import VisitType
from yanzhi.org import policy
from yanzhi.org.models import Staff
from yanzhi.org.queries import staff_for
from yanzhi.reports.filters import ReportFilters
from yanzhi.reports.models import DEFAULT_TARGETS, DEFAULT_WEIGHTS, ReportSettings
from yanzhi.reports.tables import (
    MONEY,
    NUMBER,
    PERCENT,
    TEXT,
    Column,
    Report,
    Table,
    percent,
)
from yanzhi.sales.models import Order, OrderLine, Payment
from yanzhi.sales.queries import orders_for, payments_for
from yanzhi.treatments.queries import executions_for
from yanzhi.visits.queries import visits_for

ZERO = Decimal("0.00")
# COUNT(*), not COUNT(id): the fact tables' covering indexes hold the columns a report groups
# and sums, not the primary key, and counting the key would read every row from the table.
ROWS = Count("*")
SOLD = (Order.Status.PAID, Order.Status.REFUNDED)


# --- settings ------------------------------------------------------------------------------------
def report_settings(scope: Scope) -> ReportSettings:
    """The chain's settings, or an unsaved row with the defaults."""
    found = ReportSettings.objects.filter(org_id=scope.org_id).first()
    return found or ReportSettings(org_id=scope.org_id, **DEFAULT_WEIGHTS, **DEFAULT_TARGETS)


# --- shared pieces -------------------------------------------------------------------------------
def _tally(qs: QuerySet, key: str, **measures) -> dict[int, dict]:
    """The measures of qs grouped by the staff column `key`: {staff id: {measure: value}}.
    One grouped query over the period's rows, whatever the number of staff (a correlated
    subquery per staff row re-reads the period once per person: minutes at chain size)."""
    grouped = qs.order_by().values(key).annotate(**measures)
    return {row.pop(key): row for row in grouped if row[key] is not None}


def _money(value) -> Decimal:
    return to_money(value or ZERO)


def sold_orders(scope: Scope, f: ReportFilters) -> QuerySet[Order]:
    """Orders sold in the period (paid, or paid and later refunded) at the reported stores."""
    return orders_for(scope).filter(f.days("business_date"), f.in_stores(), status__in=SOLD)


def sold_lines(scope: Scope, f: ReportFilters) -> QuerySet[OrderLine]:
    """The lines of the period's sold orders; a staff filter means the orders they opened
    (开单人), a department the item's department."""
    orders = sold_orders(scope, f)
    if f.staff_ids is not None:
        orders = orders.filter(consultant_id__in=f.staff_ids)
    lines = OrderLine.objects.filter(order__in=orders.values("pk"))
    if f.department is not None:
        lines = lines.filter(item__department=f.department)
    return lines


NET_QUANTITY = Sum(F("quantity") - F("refunded_quantity"))
NET_AMOUNT = Sum(
    ExpressionWrapper(F("amount") - F("refunded_amount"), output_field=MoneyField()),
    output_field=MoneyField(),
)


# --- 1. visits and conversion --------------------------------------------------------------------
def converted_visit(org_id: int) -> Exists:
    """A visit converts when the customer closed a deal then: a deal order linked to the visit,
    or a deal order of the customer at the visit's store on the visit's day. The flag is a
    property of a visit the viewer sees, so it looks at every order of the chain."""
    deals = Order.objects.filter(org_id=org_id, status__in=SOLD, is_deal=True).filter(
        Q(visit_id=OuterRef("pk"))
        | Q(
            customer_id=OuterRef("customer_id"),
            store_id=OuterRef("store_id"),
            business_date=OuterRef("day"),
        )
    )
    return Exists(deals)


def report_visits(scope: Scope, f: ReportFilters) -> QuerySet:
    visits = visits_for(scope).filter(f.days("day"), f.in_stores())
    if f.staff_ids is not None:
        visits = visits.filter(consultant_id__in=f.staff_ids)
    if f.department is not None:
        visits = visits.filter(consultant__department=f.department)
    return visits


def visit_report(scope: Scope, f: ReportFilters) -> Report:
    """Visits by visit type, and conversion per visit type and per consultant. Two queries."""
    policy.require(scope, "report.visits")
    visits = report_visits(scope, f).annotate(converted=converted_visit(scope.org_id))
    converted = Count("pk", filter=Q(converted=True))
    by_type = {
        r["visit_type"]: r
        for r in visits.order_by()
        .values("visit_type")
        .annotate(visits=Count("pk"), converted=converted)
    }
    type_rows = []
    for value, label in VisitType.choices:
        row = by_type.get(value, {"visits": 0, "converted": 0})
        type_rows.append(
            {
                "visit_type": str(label),
                "visits": row["visits"],
                "converted": row["converted"],
                "rate": percent(row["converted"], row["visits"]),
            }
        )
    type_total = {
        "visit_type": _("合计"),
        "visits": sum(r["visits"] for r in type_rows),
        "converted": sum(r["converted"] for r in type_rows),
    }
    type_total["rate"] = percent(type_total["converted"], type_total["visits"])
    per_type = {
        f"type_{value}": Count("pk", filter=Q(visit_type=value)) for value in VisitType.values
    }
    consultant_rows = list(
        visits.order_by()
        .values("consultant_id", "consultant__name")
        .annotate(visits=Count("pk"), converted=converted, **per_type)
        .order_by("-visits", "consultant__name", "consultant_id")
    )
    for row in consultant_rows:
        row["consultant"] = row.pop("consultant__name") or _("未分配咨询师")
        row["rate"] = percent(row["converted"], row["visits"])
    type_columns = [Column(f"type_{v}", str(label)) for v, label in VisitType.choices]
    return Report(
        slug="visits",
        title=_("到访报表"),
        filters=f,
        tables=[
            Table(
                key="by_type",
                title=_("按到访类型"),
                columns=[
                    Column("visit_type", _("到访类型"), TEXT),
                    Column("visits", _("到访人次")),
                    Column("converted", _("成交到访")),
                    Column("rate", _("成交率(%)"), PERCENT),
                ],
                rows=type_rows,
                total=type_total,
                chart=("visit_type", "visits"),
            ),
            Table(
                key="by_consultant",
                title=_("按咨询师"),
                columns=[
                    Column("consultant", _("接诊咨询师"), TEXT),
                    Column("visits", _("到访人次")),
                    *type_columns,
                    Column("converted", _("成交到访")),
                    Column("rate", _("成交率(%)"), PERCENT),
                ],
                rows=consultant_rows,
                chart=("consultant", "rate"),
            ),
        ],
    )


# --- 2. item sales ranking -----------------------------------------------------------------------
def item_sales_report(scope: Scope, f: ReportFilters) -> Report:
    """Items ranked by net sales (refunds deducted from the period of the sale), and the same
    by the item's own category. Two queries."""
    policy.require(scope, "report.sales")
    lines = sold_lines(scope, f).order_by()
    measures = {
        "sold_quantity": NET_QUANTITY,
        "sales_amount": NET_AMOUNT,
        "gross_amount": Sum("amount"),
        "refund_amount": Sum("refunded_amount"),
    }
    items = list(
        lines.values("item_id", "item__code", "item__name", "item__kind", "item__category__name")
        .annotate(**measures)
        .order_by("-sales_amount", "item__code", "item_id")
    )
    for rank, row in enumerate(items, start=1):
        row.update(
            rank=rank,
            code=row.pop("item__code"),
            item=row.pop("item__name"),
            category=row.pop("item__category__name") or _("未分类"),
        )
    categories = list(
        lines.values("item__category_id", "item__category__name")
        .annotate(**measures)
        .order_by("-sales_amount", "item__category__name")
    )
    for row in categories:
        row["category"] = row.pop("item__category__name") or _("未分类")
    money_columns = [
        Column("sold_quantity", _("数量(扣退)")),
        Column("sales_amount", _("销售额(扣退)"), MONEY),
        Column("gross_amount", _("销售额(未扣退)"), MONEY),
        Column("refund_amount", _("退款额"), MONEY),
    ]
    total = {
        "item": _("合计"),
        **{key: sum((r[key] for r in items), start) for key, start in _TOTALS},
    }
    return Report(
        slug="item-sales",
        title=_("项目销售排行"),
        filters=f,
        tables=[
            Table(
                key="items",
                title=_("按项目"),
                columns=[
                    Column("rank", _("排名")),
                    Column("code", _("编码"), TEXT),
                    Column("item", _("项目"), TEXT),
                    Column("category", _("分类"), TEXT),
                    *money_columns,
                ],
                rows=items,
                total=total,
                chart=("item", "sales_amount"),
            ),
            Table(
                key="categories",
                title=_("按分类"),
                columns=[Column("category", _("分类"), TEXT), *money_columns],
                rows=categories,
                total={"category": _("合计"), **{k: total[k] for k, _s in _TOTALS}},
            ),
        ],
    )


_TOTALS = (
    ("sold_quantity", 0),
    ("sales_amount", ZERO),
    ("gross_amount", ZERO),
    ("refund_amount", ZERO),
)


# --- 6. category summary on four levels ------------------------------------------------------------
def _ancestor(level: int) -> Case:
    """The item's category, or its ancestor, at `level` (NULL when the item sits higher)."""
    whens = []
    for depth in range(0, MAX_CATEGORY_DEPTH - level + 1):
        path = "item__category" + "__parent" * depth
        whens.append(When(**{"item__category__level": level + depth}, then=F(f"{path}_id")))
    return Case(*whens, default=Value(None), output_field=IntegerField())


def category_report(scope: Scope, f: ReportFilters) -> Report:
    """Sales per category at one level, drilling down from a parent: level 1 without one.
    Sales of items filed directly under the parent show as its own row. Three queries."""
    policy.require(scope, "report.sales")
    parent_id = f.extra.get("parent")
    parent = None
    if parent_id:
        parent = get_category(scope, parent_id)
        parent = categories_for(scope).select_related("parent__parent__parent").get(pk=parent.pk)
    level = parent.level + 1 if parent else 1
    lines = sold_lines(scope, f).order_by()
    if parent is not None:
        lines = lines.annotate(above=_ancestor(parent.level)).filter(above=parent.pk)
    rows = list(
        lines.annotate(node=_ancestor(level))
        .values("node")
        .annotate(
            sold_quantity=NET_QUANTITY,
            sales_amount=NET_AMOUNT,
            refund_amount=Sum("refunded_amount"),
        )
        .order_by("-sales_amount", "node")
    )
    ids = [r["node"] for r in rows if r["node"] is not None]
    children = Category.objects.filter(parent_id=OuterRef("pk"))
    nodes = {
        c.pk: c
        for c in categories_for(scope).filter(pk__in=ids).annotate(has_children=Exists(children))
    }
    for row in rows:
        node = nodes.get(row["node"])
        if node is None:
            row["category"] = f"{parent.name}{_('(本级)')}" if parent else _("未分类")
            row["drill"] = None
        else:
            row["category"] = node.name
            can_drill = node.has_children and level < MAX_CATEGORY_DEPTH
            row["drill"] = node.pk if can_drill else None
        row["category_id"] = row.pop("node")
    trail = []
    node = parent
    while node is not None:
        trail.insert(0, node)
        node = node.parent
    total = {
        "category": _("合计"),
        "sold_quantity": sum(r["sold_quantity"] for r in rows),
        "sales_amount": sum((r["sales_amount"] for r in rows), ZERO),
        "refund_amount": sum((r["refund_amount"] for r in rows), ZERO),
    }
    return Report(
        slug="categories",
        title=_("分类汇总"),
        filters=f,
        tables=[
            Table(
                key="categories",
                title=_("第%(level)s级分类") % {"level": level},
                columns=[
                    Column("category", _("分类"), TEXT),
                    Column("sold_quantity", _("数量(扣退)")),
                    Column("sales_amount", _("销售额(扣退)"), MONEY),
                    Column("refund_amount", _("退款额"), MONEY),
                ],
                rows=rows,
                total=total,
                chart=("category", "sales_amount"),
            )
        ],
        context={"level": level, "trail": trail, "parent": parent, "drill_key": "parent"},
    )


# --- 3. consultant and online-consultant performance -----------------------------------------------
def _staff_rows(scope: Scope, f: ReportFilters, roles) -> QuerySet[Staff]:
    """The staff a performance report lists: of the roles, working in the reported stores."""
    qs = staff_for(scope).filter(role__in=roles)
    in_stores = Staff.stores.through.objects.filter(
        staff_id=OuterRef("pk"), store_id__in=f.store_ids
    )
    qs = qs.filter(Exists(in_stores))
    if f.staff_ids is not None:
        qs = qs.filter(pk__in=f.staff_ids)
    if f.department is not None:
        qs = qs.filter(department=f.department)
    return qs


SPEND = sorted(Payment.SPEND_METHODS)


def _received(scope: Scope, f: ReportFilters) -> QuerySet[Payment]:
    """Money received in the period at the reported stores (signed: refunds are negative)."""
    return payments_for(scope).filter(f.days("business_date"), f.in_stores(), method__in=SPEND)


def _weighted(row: dict, settings: ReportSettings) -> Decimal:
    return (
        row["deals"] * settings.deal_weight
        + row["consultations"] * settings.consultation_weight
        + row["treatments"] * settings.treatment_weight
    ).quantize(Decimal("0.01"))


def _treatment_counts(executions: QuerySet) -> Counter:
    """Executions per consultant: those of the consultant's own customers (the customer's
    consultant when it was performed) and those they performed or assisted, each execution
    counted once per person however many of the three they were. Grouped by the (consultant,
    performer, assistant) triple in the database; the few thousand triples of a month are
    spread over their people here."""
    triples = (
        executions.order_by()
        .values_list("consultant_id", "performed_by_id", "assistant_id")
        .annotate(n=ROWS)
    )
    counts = Counter()
    for consultant_id, performer_id, assistant_id, n in triples:
        for staff_id in {consultant_id, performer_id, assistant_id} - {None}:
            counts[staff_id] += n
    return counts


def performance_report(scope: Scope, f: ReportFilters, *, online: bool = False) -> Report:
    """Deals, consultations, treatments, received amount and 项次 per consultant (online: per
    online consultant, the customer's when the order was opened or the session performed).
    Six queries: the staff, the settings, and one grouped query per measure, each over the
    attribution kept on the rows (docs/reports.md, "Attribution")."""
    policy.require(scope, "report.performance")
    settings = report_settings(scope)
    deals = sold_orders(scope, f).filter(is_deal=True)
    consultations = consultations_for(scope).filter(f.moments("created_at"), f.in_stores())
    executions = executions_for(scope).filter(f.days("business_date"), f.in_stores())
    received = _received(scope, f)
    if online:
        owner = "online_consultant_id"
        treatments = {
            staff_id: row["n"] for staff_id, row in _tally(executions, owner, n=ROWS).items()
        }
        roles = [policy.ONLINE]
    else:
        owner = "consultant_id"
        treatments = _treatment_counts(executions)
        roles = [policy.CONSULTANT]
    deals = _tally(deals, owner, n=ROWS)
    received = _tally(received, owner, amount=Sum("amount"))
    consultations = _tally(consultations, "consultant_id", n=ROWS)
    rows = list(_staff_rows(scope, f, roles).values("pk", "name", "department__name"))
    for row in rows:
        pk = row["pk"]
        row["deals"] = deals.get(pk, {}).get("n", 0)
        row["consultations"] = consultations.get(pk, {}).get("n", 0)
        row["treatments"] = treatments.get(pk, 0)
        row["received_amount"] = _money(received.get(pk, {}).get("amount"))
        row["weighted"] = _weighted(row, settings)
        row["staff"] = row.pop("name")
        row["department"] = row.pop("department__name") or ""
    rows.sort(key=lambda r: (-r["weighted"], -r["received_amount"], r["staff"], r["pk"]))
    total = {"staff": _("合计")}
    for key in ("deals", "consultations", "treatments"):
        total[key] = sum(r[key] for r in rows)
    total["received_amount"] = sum((r["received_amount"] for r in rows), ZERO)
    total["weighted"] = sum((r["weighted"] for r in rows), Decimal("0.00"))
    note = _("项次 = 成交 × %(d)s + 咨询 × %(c)s + 治疗 × %(t)s") % {
        "d": settings.deal_weight,
        "c": settings.consultation_weight,
        "t": settings.treatment_weight,
    }
    title = _("网电咨询师业绩") if online else _("咨询师业绩")
    return Report(
        slug="online-consultants" if online else "consultants",
        title=title,
        filters=f,
        tables=[
            Table(
                key="staff",
                title=title,
                columns=[
                    Column("staff", _("网电咨询师") if online else _("咨询师"), TEXT),
                    Column("department", _("科室"), TEXT),
                    Column("deals", _("成交单数")),
                    Column("consultations", _("咨询数")),
                    Column("treatments", _("治疗数")),
                    Column("received_amount", _("实收业绩"), MONEY),
                    Column("weighted", _("项次"), NUMBER),
                ],
                rows=rows,
                total=total,
                chart=("staff", "received_amount"),
                note=note,
            )
        ],
        notes=[note],
    )


# --- 4. doctor performance -------------------------------------------------------------------------
def doctor_report(scope: Scope, f: ReportFilters) -> Report:
    """Per doctor: diagnoses (面诊), executions performed and their sessions, the value of those
    sessions, and money received on orders of visits where they were the doctor. Four queries:
    the doctors and one grouped query per source."""
    policy.require(scope, "report.doctors")
    diagnoses = diagnoses_for(scope).filter(f.moments("created_at"), f.in_stores())
    executions = executions_for(scope).filter(f.days("business_date"), f.in_stores())
    diagnosed = _tally(diagnoses, "doctor_id", n=ROWS)
    performed = _tally(
        executions,
        "performed_by_id",
        n=ROWS,
        session_count=Sum("sessions"),
        amount=Sum("value_amount"),
    )
    received = _tally(_received(scope, f), "doctor_id", amount=Sum("amount"))
    rows = list(_staff_rows(scope, f, [policy.DOCTOR]).values("pk", "name", "department__name"))
    for row in rows:
        pk = row["pk"]
        done = performed.get(pk, {})
        row["diagnoses"] = diagnosed.get(pk, {}).get("n", 0)
        row["executions"] = done.get("n", 0)
        row["sessions"] = done.get("session_count") or 0
        row["executed_amount"] = _money(done.get("amount"))
        row["received_amount"] = _money(received.get(pk, {}).get("amount"))
        row["staff"] = row.pop("name")
        row["department"] = row.pop("department__name") or ""
    rows.sort(key=lambda r: (-r["executed_amount"], r["staff"], r["pk"]))
    total = {"staff": _("合计")}
    for key in ("diagnoses", "executions", "sessions"):
        total[key] = sum(r[key] for r in rows)
    for key in ("executed_amount", "received_amount"):
        total[key] = sum((r[key] for r in rows), ZERO)
    return Report(
        slug="doctors",
        title=_("医生业绩"),
        filters=f,
        tables=[
            Table(
                key="doctors",
                title=_("医生业绩"),
                columns=[
                    Column("staff", _("医生"), TEXT),
                    Column("department", _("科室"), TEXT),
                    Column("diagnoses", _("面诊数")),
                    Column("executions", _("执行划扣数")),
                    Column("sessions", _("执行次数")),
                    Column("executed_amount", _("执行业绩"), MONEY),
                    Column("received_amount", _("接诊实收"), MONEY),
                ],
                rows=rows,
                total=total,
                chart=("staff", "executed_amount"),
            )
        ],
    )
