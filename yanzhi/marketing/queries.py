"""Scoped reads of marketing: the repurchase window, channel statistics and ROI, channel costs,
voucher redemptions and referrals. Every figure is defined in docs/marketing.md; every report is
one or a few aggregate queries (no loop over rows)."""

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from yanzhi.core.money import MoneyField, to_money
from yanzhi.core.scope import Scope
from yanzhi.core.timeutil import first_of_month, next_month, store_zone
from yanzhi.customers.models import Customer, CustomerSummary, SourceChannel, VisitType
from yanzhi.customers.queries import customers_for
from yanzhi.marketing.models import ChannelCost, VoucherRedemption
from yanzhi.sales.models import Order, OrderLine, Payment
from yanzhi.visits.models import Visit

ZERO = Decimal("0.00")
# A month of the repurchase window is 30 days; the windows are 3, 6 and 12 of them.
MONTH_DAYS = 30
WINDOWS = (3, 6, 12)
CURVE_MONTHS = 12
INSIDE_DAYS = WINDOWS[-1] * MONTH_DAYS
REFERRAL_DEPTH = 3
REFERRAL_TOP = 50


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def period_bounds(store, start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in the store's timezone (the chain's default without one)."""
    zone = store_zone(store) if store is not None else ZoneInfo(settings.TIME_ZONE)
    lo = datetime.combine(start, time.min, tzinfo=zone)
    hi = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    return lo, hi


def _store_filter(scope: Scope, store_id: int | None, field_name: str = "store_id") -> Q:
    """The stores a report covers: the one asked for (the caller checked it is in scope), else
    every store of the scope."""
    if store_id is not None:
        return Q(**{field_name: store_id})
    if scope.store_ids is not None:
        return Q(**{f"{field_name}__in": scope.store_ids})
    return Q()


# --- the customer summaries a report may read --------------------------------------------------
def summaries_for(scope: Scope) -> QuerySet[CustomerSummary]:
    """Summaries of the customers this scope may see by home store (a consultant: only their
    own customers). Reports count customers at their home store (归属门店)."""
    qs = CustomerSummary.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    if scope.owner_ids is not None:
        qs = qs.filter(
            Q(customer__consultant_id__in=scope.owner_ids)
            | Q(customer__online_consultant_id__in=scope.owner_ids)
        )
    return qs


# --- the repurchase window (复购窗口) ------------------------------------------------------------
@dataclass
class WindowShare:
    months: int
    closed: int  # customers whose window has fully elapsed
    repurchased: int  # … of whom bought again within it
    open: int  # customers whose window is still running
    share: Decimal | None  # repurchased / closed, in percent


@dataclass
class CurveMonth:
    month: int
    count: int  # second purchases in this month after the first deal (every cohort customer)
    closed: int
    repurchased: int  # cumulative, among the customers whose window up to here has elapsed
    share: Decimal | None


@dataclass
class RepurchaseWindow:
    customers: int
    repurchased: int
    later: int  # second purchase more than 12 months after the first deal
    windows: list[WindowShare]
    curve: list[CurveMonth]


def repurchase_window(
    scope: Scope, *, start: datetime, end: datetime, as_of: datetime, store_id: int | None = None
) -> RepurchaseWindow:
    """The cohort of customers whose first deal falls in [start, end): how many bought again and
    when, counted only over windows that have fully elapsed by `as_of`. One query, grouped by
    two small numbers per customer — the month after the first deal in which the second came
    (1–12, 13 = later, none) and how many whole months have passed since the first deal (0–12)
    — from which every figure is added up here: each customer is compared with the month
    bounds once, instead of once per figure (37 filtered counts over a year's cohort)."""
    cohort = summaries_for(scope).filter(first_deal_at__gte=start, first_deal_at__lt=end)
    if store_id is not None:
        cohort = cohort.filter(store_id=store_id)
    first = F("first_deal_at")
    later = CURVE_MONTHS + 1
    second_month = Case(
        When(second_deal_at__isnull=True, then=Value(None)),
        *(
            When(second_deal_at__lte=first + _days(k * MONTH_DAYS), then=Value(k))
            for k in range(1, CURVE_MONTHS + 1)
        ),
        default=Value(later),
        output_field=IntegerField(),
    )
    months_passed = Case(
        *(
            When(first_deal_at__lte=as_of - _days(k * MONTH_DAYS), then=Value(k))
            for k in range(CURVE_MONTHS, 0, -1)
        ),
        default=Value(0),
        output_field=IntegerField(),
    )
    groups = [
        (row["second_month"], row["months_passed"], row["n"])
        for row in cohort.order_by()
        .values(second_month=second_month, months_passed=months_passed)
        .annotate(n=Count("*"))  # COUNT(*): the covering index holds no primary key
    ]
    row = {
        "customers": sum(n for _s, _p, n in groups),
        "repurchased": sum(n for s, _p, n in groups if s is not None),
        "later": sum(n for s, _p, n in groups if s == later),
    }
    for k in range(1, CURVE_MONTHS + 1):
        row[f"m{k}"] = sum(n for s, _p, n in groups if s == k)
        row[f"closed{k}"] = sum(n for _s, p, n in groups if p >= k)
        row[f"within{k}"] = sum(n for s, p, n in groups if p >= k and s is not None and s <= k)
    curve = [
        CurveMonth(
            month=k,
            count=row[f"m{k}"],
            closed=row[f"closed{k}"],
            repurchased=row[f"within{k}"],
            share=_percent(row[f"within{k}"], row[f"closed{k}"]),
        )
        for k in range(1, CURVE_MONTHS + 1)
    ]
    windows = [
        WindowShare(
            months=n,
            closed=curve[n - 1].closed,
            repurchased=curve[n - 1].repurchased,
            open=row["customers"] - curve[n - 1].closed,
            share=curve[n - 1].share,
        )
        for n in WINDOWS
    ]
    return RepurchaseWindow(
        customers=row["customers"],
        repurchased=row["repurchased"],
        later=row["later"],
        windows=windows,
        curve=curve,
    )


def repurchase_candidates(
    scope: Scope, *, as_of: datetime, store_id: int | None = None, window: int | None = None
) -> QuerySet[CustomerSummary]:
    """Customers inside the repurchase window without a second purchase: a first deal less than
    12 months (360 days) before `as_of` and no second deal. Ranked by the end of the window they
    are in now (3, 6 or 12 months after the first deal), soonest first, then by their spend so
    far (for a one-deal customer: the first deal's money), highest first."""
    qs = summaries_for(scope).filter(
        first_deal_at__gt=as_of - _days(INSIDE_DAYS),
        first_deal_at__lte=as_of,
        second_deal_at__isnull=True,
    )
    if store_id is not None:
        qs = qs.filter(store_id=store_id)
    first = F("first_deal_at")
    bounds = [(n, as_of - _days(n * MONTH_DAYS)) for n in WINDOWS]
    if window in WINDOWS:
        index = WINDOWS.index(window)
        qs = qs.filter(first_deal_at__gt=bounds[index][1])
        if index:
            qs = qs.filter(first_deal_at__lte=bounds[index - 1][1])
    qs = qs.annotate(
        window_months=Case(
            *(When(first_deal_at__gt=bound, then=Value(n)) for n, bound in bounds),
            output_field=IntegerField(),
        ),
        window_end=Case(
            *(
                When(first_deal_at__gt=bound, then=first + _days(n * MONTH_DAYS))
                for n, bound in bounds
            ),
            output_field=DateTimeField(),
        ),
    )
    return qs.select_related(
        "customer", "customer__consultant", "customer__source_channel", "store"
    ).order_by("window_end", "-total_spend_amount", "customer_id")


def days_left(window_end: datetime, as_of: datetime) -> int:
    """Whole days (rounded up) until a candidate leaves the window they are in."""
    seconds = (window_end - as_of).total_seconds()
    return max(0, -int(-seconds // 86400))


# --- channel costs and voucher redemptions ------------------------------------------------------
def channel_costs_for(scope: Scope) -> QuerySet[ChannelCost]:
    """A store's staff see their stores' costs; HQ every store's and the chain-level ones."""
    qs = ChannelCost.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    return qs.select_related("channel", "store")


def get_channel_cost(scope: Scope, pk: int) -> ChannelCost:
    return get_object_or_404(channel_costs_for(scope), pk=pk)


def redemptions_for(scope: Scope) -> QuerySet[VoucherRedemption]:
    qs = VoucherRedemption.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    if scope.owner_ids is not None:
        qs = qs.filter(customer__in=customers_for(scope))
    return qs.select_related("channel", "item", "customer", "store", "verified_by", "reversed_by")


def get_redemption(scope: Scope, pk: int) -> VoucherRedemption:
    return get_object_or_404(redemptions_for(scope), pk=pk)


# --- channel statistics and ROI ------------------------------------------------------------------
FIGURES = (
    "arrivals",
    "first_arrivals",
    "verifications",
    "verification_amount",
    "first_deals",
    "second_deals",
    "repurchases",
    "repurchase_amount",
    "revenue",
    "cost",
)
MONEY_FIGURES = {"verification_amount", "repurchase_amount", "revenue", "cost"}


@dataclass
class ChannelRow:
    channel_id: int | None
    name: str
    kind: str = ""
    figures: dict = field(default_factory=dict)

    def __getattr__(self, name):
        if name in FIGURES:
            return self.figures.get(name, ZERO if name in MONEY_FIGURES else 0)
        raise AttributeError(name)

    @property
    def roi_percent(self) -> Decimal | None:
        """(revenue − cost) / cost, in percent; none without a cost."""
        cost = self.cost
        if not cost:
            return None
        return ((self.revenue - cost) * 100 / cost).quantize(Decimal("0.1"))

    @property
    def is_empty(self) -> bool:
        return not any(self.figures.values())


def _prorated_cost(amount: Decimal, month: date, start: date, end: date) -> Decimal:
    """The share of a month's cost that falls inside [start, end], by days."""
    days = calendar.monthrange(month.year, month.month)[1]
    last = month + timedelta(days=days - 1)
    inside = (min(last, end) - max(month, start)).days + 1
    if inside >= days:
        return to_money(amount)
    return to_money(amount * inside / days) if inside > 0 else ZERO


# The figures counted per customer row, in the order every branch of the one-pass query selects.
CUSTOMER_FIGURES = (
    "arrivals",
    "first_arrivals",
    "first_deals",
    "second_deals",
    "repurchases",
    "repurchase_amount",
    "revenue",
)
MONEY_ROW_FIGURES = MONEY_FIGURES.intersection(CUSTOMER_FIGURES)


def _figure_rows(qs: QuerySet, channel: str, **figures) -> QuerySet:
    """One branch of the channel query: (the customer's source channel, every figure) per row
    of qs, the figures it does not count as zeros."""
    columns = {}
    for name in CUSTOMER_FIGURES:
        if name in figures:
            columns[name] = figures[name]
        elif name in MONEY_ROW_FIGURES:
            columns[name] = Value(ZERO, output_field=MoneyField())
        else:
            columns[name] = Value(0, output_field=IntegerField())
    return qs.order_by().values(channel_ref=F(channel), **columns)


def _sum_by_channel(branches: list[QuerySet]):
    """(source channel, {figure: sum}) over the UNION ALL of the branches. Visits, orders and
    payments carry the customer's channel (docs/reports.md, "Attribution"), so a month of the
    chain's rows is summed from their covering indexes without joining a million customers."""
    parts, params = [], []
    for qs in branches:
        sql, branch_params = qs.query.sql_with_params()
        parts.append(sql)
        params.extend(branch_params)
    # money as text: SQLite sums decimals as floats, and money is never a float
    sums = ", ".join(
        f"CAST(SUM(f.{name}) AS TEXT)" if name in MONEY_ROW_FIGURES else f"SUM(f.{name})"
        for name in CUSTOMER_FIGURES
    )
    sql = (
        f"SELECT f.channel_ref, {sums} FROM ({' UNION ALL '.join(parts)}) f GROUP BY f.channel_ref"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for channel_id, *values in cursor.fetchall():
            yield channel_id, dict(zip(CUSTOMER_FIGURES, values, strict=True))


def channel_stats(
    scope: Scope, *, start: date, end: date, store_id: int | None = None, zone_store=None
) -> tuple[list[ChannelRow], ChannelRow]:
    """Per source channel, the figures of docs/marketing.md for the days [start, end] and the
    stores of the scope (or one of them). Four queries whatever the data: the figures counted
    per customer in one pass, the redemptions, the costs and the channels."""
    lo, hi = period_bounds(zone_store, start, end)
    rows: dict[int | None, dict] = {}

    def add(channel_id, **figures):
        target = rows.setdefault(channel_id, {})
        for key, value in figures.items():
            target[key] = target.get(key, 0) + (value or 0)

    visits = Visit.objects.filter(org_id=scope.org_id, day__gte=start, day__lte=end).filter(
        _store_filter(scope, store_id)
    )
    in_period = {"first": Q(first_deal_at__gte=lo, first_deal_at__lt=hi)}
    in_period["second"] = Q(second_deal_at__gte=lo, second_deal_at__lt=hi)
    summaries = summaries_for(scope).filter(in_period["first"] | in_period["second"])
    if store_id is not None:
        summaries = summaries.filter(store_id=store_id)
    # a deal after the customer's first one (deal_number is set when an order becomes a deal)
    repeat_deals = Order.objects.filter(
        org_id=scope.org_id, is_deal=True, paid_at__gte=lo, paid_at__lt=hi, deal_number__gt=1
    ).filter(_store_filter(scope, store_id))
    money = Payment.objects.filter(
        org_id=scope.org_id,
        method__in=Payment.MONEY_METHODS,
        business_date__gte=start,
        business_date__lte=end,
    ).filter(_store_filter(scope, store_id))
    one = Value(1, output_field=IntegerField())
    branches = [
        _figure_rows(
            visits,
            "customer_channel_id",
            arrivals=one,
            first_arrivals=Case(When(visit_type=VisitType.FIRST, then=one), default=Value(0)),
        ),
        _figure_rows(
            summaries,
            "customer__source_channel_id",
            first_deals=Case(When(in_period["first"], then=one), default=Value(0)),
            second_deals=Case(When(in_period["second"], then=one), default=Value(0)),
        ),
        _figure_rows(
            repeat_deals,
            "customer_channel_id",
            repurchases=one,
            repurchase_amount=F("payable_amount") - F("refunded_amount"),
        ),
        _figure_rows(money, "customer_channel_id", revenue=F("amount")),
    ]
    for channel_id, figures in _sum_by_channel(branches):
        for name in MONEY_ROW_FIGURES:
            figures[name] = to_money(figures[name] or 0)
        add(channel_id, **figures)

    redemptions = VoucherRedemption.objects.filter(
        org_id=scope.org_id,
        status=VoucherRedemption.Status.VERIFIED,
        business_date__gte=start,
        business_date__lte=end,
    ).filter(_store_filter(scope, store_id))
    for row in (
        redemptions.values("channel_id")
        .annotate(n=Count("pk"), amount=Sum("settlement_amount"))
        .order_by()
    ):
        add(row["channel_id"], verifications=row["n"], verification_amount=row["amount"])

    costs = ChannelCost.objects.filter(
        org_id=scope.org_id, month__gte=first_of_month(start), month__lte=end
    )
    if store_id is not None or scope.store_ids is not None:
        costs = costs.filter(_store_filter(scope, store_id))
    for row in costs.values("channel_id", "month").annotate(s=Sum("amount")).order_by():
        add(row["channel_id"], cost=_prorated_cost(row["s"], row["month"], start, end))

    result = []
    for channel in SourceChannel.objects.filter(org_id=scope.org_id).order_by("name"):
        row = ChannelRow(channel.pk, channel.name, channel.kind, rows.pop(channel.pk, {}))
        if channel.is_active or not row.is_empty:
            result.append(row)
    if rows.get(None):
        result.append(ChannelRow(None, "", "", rows[None]))
    total = ChannelRow(None, "", "", {})
    for row in result:
        for key, value in row.figures.items():
            total.figures[key] = total.figures.get(key, 0) + value
    return result, total


def cost_months(start: date, end: date) -> list[date]:
    months, month = [], first_of_month(start)
    while month <= end:
        months.append(month)
        month = next_month(month)
    return months


# --- referrals (老带新) --------------------------------------------------------------------------
@dataclass
class ReferralNode:
    customer: Customer
    level: int
    children: list = field(default_factory=list)


@dataclass
class ReferralTree:
    root: Customer
    levels: int
    nodes: list[ReferralNode]  # the customers the root brought (level 1), each with children
    count: int = 0
    deal_count: int = 0
    spend_amount: Decimal = ZERO


def referral_tree(scope: Scope, customer: Customer, *, depth: int = REFERRAL_DEPTH) -> ReferralTree:
    """Who the customer brought, and whom they brought in turn, up to `depth` levels: one query
    per level. Only customers inside the scope are shown."""
    visible = customers_for(scope).select_related("summary", "consultant", "store")
    tree = ReferralTree(root=customer, levels=depth, nodes=[])
    seen = {customer.pk}
    parents = {customer.pk: None}
    for level in range(1, depth + 1):
        found = list(
            visible.filter(referrer_id__in=list(parents))
            .exclude(pk__in=seen)
            .order_by("created_at", "pk")
        )
        if not found:
            break
        next_parents = {}
        for person in found:
            node = ReferralNode(person, level)
            parent = parents[person.referrer_id]
            (tree.nodes if parent is None else parent.children).append(node)
            seen.add(person.pk)
            next_parents[person.pk] = node
            summary = getattr(person, "summary", None)
            tree.count += 1
            if summary is not None:
                tree.deal_count += summary.deal_count
                tree.spend_amount += summary.total_spend_amount
        parents = next_parents
    return tree


def referral_stats(
    scope: Scope, *, start: date, end: date, store_id: int | None = None, zone_store=None
) -> dict:
    """Customers registered in the period who were brought by a referrer the scope may see,
    counted per referring customer, per the referrer's responsible consultant and doctor, and per item of the referred
    customers' first deal. Four queries."""
    lo, hi = period_bounds(zone_store, start, end)
    referred = (
        Customer.objects.filter(
            org_id=scope.org_id, referrer__isnull=False, created_at__gte=lo, created_at__lt=hi
        )
        .filter(_store_filter(scope, store_id))
        # a referrer the viewer may not see (another store's customer) is not named or counted
        .filter(referrer__in=customers_for(scope))
        .order_by()
    )
    figures = {
        "referred": Count("pk"),
        "dealt": Count("pk", filter=Q(summary__deal_count__gt=0)),
        "spend": Coalesce(
            Sum("summary__total_spend_amount"), Value(ZERO), output_field=MoneyField()
        ),
    }

    def grouped(*keys):
        return list(
            referred.values(*keys)
            .annotate(**figures)
            .order_by("-referred", "-spend", keys[0])[:REFERRAL_TOP]
        )

    by_item = list(
        OrderLine.objects.filter(
            order__org_id=scope.org_id,
            order__is_deal=True,
            order__customer__in=referred.values("pk"),
            order__paid_at=F("order__customer__summary__first_deal_at"),
        )
        .values("item_id", "item__name")
        .annotate(
            customers=Count("order__customer_id", distinct=True),
            quantity=Sum(F("quantity") - F("refunded_quantity")),
            amount=Sum(F("amount") - F("refunded_amount"), output_field=MoneyField()),
        )
        .order_by("-customers", "-amount", "item_id")[:REFERRAL_TOP]
    )
    return {
        "by_referrer": grouped("referrer_id", "referrer__name", "referrer__member_no"),
        "by_consultant": grouped("referrer__consultant_id", "referrer__consultant__name"),
        "by_doctor": grouped("referrer__doctor_id", "referrer__doctor__name"),
        "by_item": by_item,
    }
