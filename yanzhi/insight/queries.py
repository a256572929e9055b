"""Scoped reads of insight: the customer scores, the overview figures and saved segments.
Every figure is an aggregate in the database (one query per table); docs/insight.md defines
them."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from yanzhi.core.money import to_money
from yanzhi.core.scope import Scope
from yanzhi.customers.queries import customers_for
from yanzhi.insight.models import (
    AbcClass,
    AgeBand,
    BandItemTotal,
    CustomerScore,
    DepartmentTotal,
    GrowthType,
    RfmSegment,
    Segment,
    SegmentCampaign,
)
from yanzhi.insight.scoring import purchases_since
from yanzhi.sales.models import Order, OrderLine

TYPICAL_ITEMS = 5
ZERO = Decimal("0.00")


def scores_for(scope: Scope) -> QuerySet[CustomerScore]:
    """Scores of the customers the scope may see (HQ: the chain; a store: its customers;
    a consultant: their own customers)."""
    qs = CustomerScore.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None or scope.owner_ids is not None:
        qs = qs.filter(customer__in=customers_for(scope))
    return qs


def get_score(scope: Scope, customer_id: int) -> CustomerScore:
    return get_object_or_404(scores_for(scope), customer_id=customer_id)


def _share(part, whole) -> Decimal:
    """A percentage with one decimal (0 when the whole is 0)."""
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


@dataclass
class Row:
    key: str
    label: str
    customers: int = 0
    spend: Decimal = ZERO
    customer_share: Decimal = Decimal("0.0")
    spend_share: Decimal = Decimal("0.0")
    extra: dict = field(default_factory=dict)


def _rows(counts: dict, choices) -> list[Row]:
    """Rows in the choices' order from {value: (customers, spend)}, with shares."""
    total_n = sum(n for n, _spend in counts.values())
    total_spend = sum((spend for _n, spend in counts.values()), ZERO)
    rows = []
    for value, label in choices:
        n, spend = counts.get(value, (0, ZERO))
        rows.append(
            Row(
                key=value,
                label=str(label),
                customers=n,
                spend=to_money(spend),
                customer_share=_share(n, total_n),
                spend_share=_share(spend, total_spend),
            )
        )
    return rows


GROUPINGS = {
    "age_band": AgeBand.choices,
    "rfm_segment": RfmSegment.choices,
    "abc_class": AbcClass.choices,
    "growth_type": GrowthType.choices,
}


def _score_tables(scores: QuerySet[CustomerScore]) -> dict[str, list[Row]]:
    """Customers and spend per age band (all customers) and per RFM segment, class and growth
    type (customers with a deal). One pass over the scores, grouped by the four columns and
    the deal flag (a few hundred groups), folded into the four tables here."""
    grouped = (
        scores.order_by()
        .values(*GROUPINGS, dealing=Q(deal_count__gt=0))
        .annotate(n=Count("pk"), spend=Coalesce(Sum("total_spend_amount"), ZERO))
    )
    counts: dict[str, dict] = {key: {} for key in GROUPINGS}
    for group in grouped:
        for key in GROUPINGS:
            if key != "age_band" and not group["dealing"]:
                continue
            n, spend = counts[key].get(group[key], (0, ZERO))
            counts[key][group[key]] = (n + group["n"], spend + group["spend"])
    return {key: _rows(counts[key], choices) for key, choices in GROUPINGS.items()}


@dataclass
class Overview:
    customers: int
    dealing: int
    rfm: list[Row]
    pyramid: list[Row]
    growth: list[Row]
    age_bands: list[Row]
    departments: list[Row]
    computed_at: object = None
    since: date | None = None


def rfm_table(scores: QuerySet[CustomerScore]) -> list[Row]:
    return _score_tables(scores)["rfm_segment"]


def _lines(scores: QuerySet[CustomerScore], *, org_id: int, since: date):
    return OrderLine.objects.filter(
        order__org_id=org_id,
        order__status=Order.Status.PAID,
        order__business_date__gte=since,
        order__customer_id__in=scores.values("customer_id"),
    )


def _top_items(rows) -> dict[str, list]:
    """At most TYPICAL_ITEMS (name, quantity) per band from rows sorted by band, quantity."""
    top: dict[str, list] = {}
    for band, name, quantity in rows:
        if len(top.setdefault(band or AgeBand.UNKNOWN, [])) < TYPICAL_ITEMS:
            top[band or AgeBand.UNKNOWN].append((name, quantity))
    return top


def typical_items(scores, *, org_id: int, since: date) -> dict[str, list]:
    """Per age band, the items its customers bought most (paid quantity net of refunds, on paid
    orders of the period), at most TYPICAL_ITEMS each. One query over the customers' lines."""
    rows = (
        _lines(scores, org_id=org_id, since=since)
        .values_list("order__customer__insight_score__age_band", "item__name")
        .annotate(quantity=Sum(F("quantity") - F("refunded_quantity")))
        .filter(quantity__gt=0)
        .order_by("order__customer__insight_score__age_band", "-quantity", "item__name")
    )
    return _top_items(rows)


def _department_rows(rows) -> list[Row]:
    rows = list(rows)
    total = sum((r["spend"] for r in rows), ZERO)
    return [
        Row(
            key=str(r["department_id"] or ""),
            label=r["department__name"] or _("未分科室"),
            customers=r["n"],
            spend=to_money(r["spend"]),
            spend_share=_share(r["spend"], total),
        )
        for r in rows
    ]


def departments(scores, *, org_id: int, since: date) -> list[Row]:
    """Per department: the customers who bought its items and the amount (line amount net of
    refunds) on paid orders of the period. One query over the customers' lines."""
    rows = (
        _lines(scores, org_id=org_id, since=since)
        .values(
            department_id=F("item__department_id"), department__name=F("item__department__name")
        )
        .annotate(
            n=Count("order__customer_id", distinct=True),
            spend=Coalesce(Sum(F("amount") - F("refunded_amount")), ZERO),
        )
        .order_by("-spend", "department__name")
    )
    return _department_rows(rows)


def _store_totals(model, org_id: int, store_id: int | None) -> QuerySet:
    qs = model.objects.filter(org_id=org_id)
    return qs if store_id is None else qs.filter(store_id=store_id)


def typical_items_from_totals(org_id: int, store_id: int | None) -> dict[str, list]:
    """typical_items of the chain or of one home store, from the totals the scores job keeps."""
    rows = (
        _store_totals(BandItemTotal, org_id, store_id)
        .values_list("age_band", "item__name")
        .annotate(total=Sum("quantity"))
        .filter(total__gt=0)
        .order_by("age_band", "-total", "item__name")
    )
    return _top_items(rows)


def departments_from_totals(org_id: int, store_id: int | None) -> list[Row]:
    """departments of the chain or of one home store, from the totals the scores job keeps."""
    rows = (
        _store_totals(DepartmentTotal, org_id, store_id)
        .values("department_id", "department__name")
        .annotate(n=Sum("customers"), spend=Coalesce(Sum("spend_amount"), ZERO))
        .order_by("-spend", "department__name")
    )
    return _department_rows(rows)


def overview(
    scope: Scope,
    *,
    store_id: int | None,
    today: date,
    computed_on: date | None = None,
    computed_at=None,
) -> Overview:
    """The insight page's figures for the viewer (and one store when chosen), as of the day
    the scores were computed (`computed_on`, else today). The chain and one whole store read
    the purchase totals kept with the scores; a narrower view (a consultant's customers, a
    manager's stores with their linked customers) sums its customers' own lines."""
    scores = scores_for(scope)
    if store_id is not None:
        scores = scores.filter(store_id=store_id)
    since = purchases_since(computed_on or today)
    tables = _score_tables(scores)
    if scope.owner_ids is None and (scope.chain_wide or store_id is not None):
        items = typical_items_from_totals(scope.org_id, store_id)
        by_department = departments_from_totals(scope.org_id, store_id)
    else:
        items = typical_items(scores, org_id=scope.org_id, since=since)
        by_department = departments(scores, org_id=scope.org_id, since=since)
    ages = tables["age_band"]
    for row in ages:
        row.extra["items"] = items.get(row.key, [])
    return Overview(
        customers=sum(r.customers for r in ages),
        dealing=sum(r.customers for r in tables["rfm_segment"]),
        rfm=tables["rfm_segment"],
        pyramid=tables["abc_class"],
        growth=tables["growth_type"],
        age_bands=ages,
        departments=by_department,
        computed_at=computed_at,
        since=since,
    )


# --- segments ------------------------------------------------------------------------------------
def segments_for(scope: Scope) -> QuerySet[Segment]:
    """Chain-wide segments and those of the viewer's stores."""
    qs = Segment.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(Q(store__isnull=True) | Q(store_id__in=scope.store_ids))
    return qs.select_related("store", "created_by")


def get_segment(scope: Scope, pk: int) -> Segment:
    return get_object_or_404(segments_for(scope), pk=pk)


def campaigns_of(segment: Segment) -> QuerySet[SegmentCampaign]:
    return SegmentCampaign.objects.filter(segment=segment).select_related("by")
