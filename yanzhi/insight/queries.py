"""Scoped reads of insight: the customer scores, the overview figures and saved segments.
Every figure is an aggregate in the database (one query per table); docs/insight.md defines
them."""

from dataclasses import dataclass, field
from datetime import date, timedelta
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
    CustomerScore,
    GrowthType,
    RfmSegment,
    Segment,
    SegmentCampaign,
)
from yanzhi.sales.models import Order, OrderLine

TYPICAL_ITEMS = 5
PURCHASE_DAYS = 365
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


def _grouped(scores: QuerySet[CustomerScore], key: str, choices, *, dealing_only: bool):
    """(value, customers, spend) per choice, in the choices' order, with shares."""
    qs = scores.filter(deal_count__gt=0) if dealing_only else scores
    got = {
        row[key]: row
        for row in qs.values(key)
        .annotate(n=Count("pk"), spend=Coalesce(Sum("total_spend_amount"), ZERO))
        .order_by()
    }
    total_n = sum(r["n"] for r in got.values())
    total_spend = sum((r["spend"] for r in got.values()), ZERO)
    rows = []
    for value, label in choices:
        r = got.get(value, {"n": 0, "spend": ZERO})
        rows.append(
            Row(
                key=value,
                label=str(label),
                customers=r["n"],
                spend=to_money(r["spend"]),
                customer_share=_share(r["n"], total_n),
                spend_share=_share(r["spend"], total_spend),
            )
        )
    return rows


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
    return _grouped(scores, "rfm_segment", RfmSegment.choices, dealing_only=True)


def _lines(scores: QuerySet[CustomerScore], *, org_id: int, since: date, restricted: bool):
    lines = OrderLine.objects.filter(
        order__org_id=org_id, order__status=Order.Status.PAID, order__business_date__gte=since
    )
    if restricted:
        lines = lines.filter(order__customer_id__in=scores.values("customer_id"))
    return lines


def typical_items(scores, *, org_id: int, since: date, restricted: bool) -> dict[str, list]:
    """Per age band, the items its customers bought most (paid quantity net of refunds, on paid
    orders of the period), at most TYPICAL_ITEMS each. One query."""
    rows = (
        _lines(scores, org_id=org_id, since=since, restricted=restricted)
        .values("order__customer__insight_score__age_band", "item_id", "item__name")
        .annotate(quantity=Sum(F("quantity") - F("refunded_quantity")))
        .filter(quantity__gt=0)
        .order_by("order__customer__insight_score__age_band", "-quantity", "item__name")
    )
    top: dict[str, list] = {}
    for row in rows:
        band = row["order__customer__insight_score__age_band"] or AgeBand.UNKNOWN
        if len(top.setdefault(band, [])) < TYPICAL_ITEMS:
            top[band].append((row["item__name"], row["quantity"]))
    return top


def departments(scores, *, org_id: int, since: date, restricted: bool) -> list[Row]:
    """Per department: the customers who bought its items and the amount (line amount net of
    refunds) on paid orders of the period. One query."""
    rows = (
        _lines(scores, org_id=org_id, since=since, restricted=restricted)
        .values("item__department_id", "item__department__name")
        .annotate(
            n=Count("order__customer_id", distinct=True),
            spend=Coalesce(Sum(F("amount") - F("refunded_amount")), ZERO),
        )
        .order_by("-spend", "item__department__name")
    )
    rows = list(rows)
    total = sum((r["spend"] for r in rows), ZERO)
    return [
        Row(
            key=str(r["item__department_id"] or ""),
            label=r["item__department__name"] or _("未分科室"),
            customers=r["n"],
            spend=to_money(r["spend"]),
            spend_share=_share(r["spend"], total),
        )
        for r in rows
    ]


def overview(scope: Scope, *, store_id: int | None, today: date, computed_at=None) -> Overview:
    """The insight page's figures for the viewer (and one store when chosen)."""
    scores = scores_for(scope)
    if store_id is not None:
        scores = scores.filter(store_id=store_id)
    restricted = store_id is not None or not scope.chain_wide or scope.owner_ids is not None
    since = today - timedelta(days=PURCHASE_DAYS - 1)
    ages = _grouped(scores, "age_band", AgeBand.choices, dealing_only=False)
    items = typical_items(scores, org_id=scope.org_id, since=since, restricted=restricted)
    for row in ages:
        row.extra["items"] = items.get(row.key, [])
    customers = sum(r.customers for r in ages)
    rfm = rfm_table(scores)
    return Overview(
        customers=customers,
        dealing=sum(r.customers for r in rfm),
        rfm=rfm,
        pyramid=_grouped(scores, "abc_class", AbcClass.choices, dealing_only=True),
        growth=_grouped(scores, "growth_type", GrowthType.choices, dealing_only=True),
        age_bands=ages,
        departments=departments(scores, org_id=scope.org_id, since=since, restricted=restricted),
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
