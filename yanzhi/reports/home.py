"""The manager's home figures (店长首页): today and this month, each against the same period of
last month (docs/reports.md, "Manager home"). One conditional-aggregate query per kind of fact
covers all four windows, so the page costs the same whatever the store's size."""

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from yanzhi.core.money import to_money
from yanzhi.core.scope import Scope
from yanzhi.core.timeutil import first_of_month, store_today
from yanzhi.customers.models import VisitType
from yanzhi.customers.queries import customers_for
from yanzhi.followups.models import FollowupTask
from yanzhi.followups.queries import tasks_for
from yanzhi.org import policy
from yanzhi.reports.filters import ReportFilters
from yanzhi.reports.queries import SOLD, converted_visit
from yanzhi.reports.tables import MONEY, PERCENT, percent
from yanzhi.sales.models import ApprovalStatus, Payment, StoredValueCard
from yanzhi.sales.queries import approvals_for, cards_for, orders_for, payments_for
from yanzhi.treatments.queries import executions_for
from yanzhi.visits.queries import visits_for

ZERO = Decimal("0.00")
WINDOWS = ("today", "today_before", "month", "month_before")
EXPIRY_DAYS = 30


def same_day_last_month(day: date) -> date:
    """The same day of the previous month (the 31st → that month's last day)."""
    month = first_of_month(day) - timedelta(days=1)
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=min(day.day, last))


def windows(today: date) -> dict[str, tuple[date, date]]:
    before = same_day_last_month(today)
    return {
        "today": (today, today),
        "today_before": (before, before),
        "month": (first_of_month(today), today),
        "month_before": (first_of_month(before), before),
    }


@dataclass
class Figure:
    key: str
    label: str
    values: dict  # window → value
    kind: str = "int"

    @property
    def today(self):
        return self.values["today"]

    @property
    def today_before(self):
        return self.values["today_before"]

    @property
    def month(self):
        return self.values["month"]

    @property
    def month_before(self):
        return self.values["month_before"]

    @staticmethod
    def change(now, before) -> Decimal | None:
        if now is None or before in (None, 0):
            return None
        return ((Decimal(now) - Decimal(before)) * 100 / Decimal(before)).quantize(Decimal("1"))

    @property
    def today_change(self):
        return self.change(self.today, self.today_before)

    @property
    def month_change(self):
        return self.change(self.month, self.month_before)


@dataclass
class Home:
    today: date
    filters: ReportFilters
    figures: list[Figure]
    pending_approvals: int
    expiring_cards: int
    expiring_amount: Decimal


def _counts(qs, field: str, spans: dict, measure=None, **extra) -> dict:
    """{window: aggregate} for a date field, in one query."""
    measure = measure or (lambda condition: Count("pk", filter=condition))
    return qs.aggregate(
        **{
            w: measure(Q(**{f"{field}__gte": a, f"{field}__lte": b}, **extra))
            for w, (a, b) in spans.items()
        }
    )


def home_figures(scope: Scope, f: ReportFilters) -> Home:
    """Nine queries: visits, new customers, orders, payments, executions, follow-ups,
    approvals, expiring cards (and the stores, read by the filters)."""
    policy.require(scope, "report.home")
    home = f.store or next((s for s in f.stores if s.pk == scope.current_store_id), None)
    home = home or (f.stores[0] if f.stores else None)
    today = store_today(home) if home else f.end
    spans = windows(today)
    first = min(a for a, _b in spans.values())
    stores = f.store_ids
    figures: list[Figure] = []

    # Visits by type, and converted visits (a deal the same visit or day).
    visits = visits_for(scope).filter(store_id__in=stores, day__gte=first, day__lte=today)
    visits = visits.annotate(converted=converted_visit(scope.org_id))
    measures = {}
    for w, (a, b) in spans.items():
        in_window = Q(day__gte=a, day__lte=b)
        measures[f"{w}__all"] = Count("pk", filter=in_window)
        measures[f"{w}__converted"] = Count("pk", filter=in_window & Q(converted=True))
        for value in VisitType.values:
            measures[f"{w}__{value}"] = Count("pk", filter=in_window & Q(visit_type=value))
    v = visits.aggregate(**measures)
    figures.append(Figure("visits", _("到访人次"), {w: v[f"{w}__all"] for w in WINDOWS}))
    for value, label in VisitType.choices:
        figures.append(
            Figure(f"visits_{value}", f"· {label}", {w: v[f"{w}__{value}"] for w in WINDOWS})
        )

    # New customers: files opened (建档) at the stores, each store's day in its timezone.
    customer_measures = {
        w: Count("pk", filter=replace(f, start=a, end=b).moments("created_at"))
        for w, (a, b) in spans.items()
    }
    customers = customers_for(scope).filter(store_id__in=stores).aggregate(**customer_measures)
    figures.append(Figure("new_customers", _("新建档客户"), customers))

    # Deals and arrears of the orders sold in each window.
    orders = orders_for(scope).filter(
        store_id__in=stores, status__in=SOLD, business_date__gte=first, business_date__lte=today
    )
    deals = _counts(orders, "business_date", spans, is_deal=True)
    arrears = _counts(
        orders,
        "business_date",
        spans,
        measure=lambda condition: Sum("arrears_amount", filter=condition),
    )
    figures.append(Figure("deals", _("成交单数"), deals))
    figures.append(
        Figure(
            "conversion",
            _("到访成交率(%)"),
            {w: percent(v[f"{w}__converted"], v[f"{w}__all"]) for w in WINDOWS},
            PERCENT,
        )
    )

    # Money: received (cash, bank card, WeChat, Alipay) and money refunded, by payment date.
    payments = payments_for(scope).filter(
        store_id__in=stores,
        method__in=sorted(Payment.MONEY_METHODS),
        business_date__gte=first,
        business_date__lte=today,
    )
    money = {}
    for w, (a, b) in spans.items():
        in_window = Q(business_date__gte=a, business_date__lte=b)
        money[f"{w}__in"] = Sum("amount", filter=in_window & Q(amount__gt=0))
        money[f"{w}__out"] = Sum("amount", filter=in_window & Q(amount__lt=0))
    money = payments.aggregate(**money)
    figures.append(
        Figure(
            "received",
            _("收款"),
            {w: to_money(money[f"{w}__in"] or ZERO) for w in WINDOWS},
            MONEY,
        )
    )
    figures.append(
        Figure(
            "refunded",
            _("退款"),
            {w: to_money(-(money[f"{w}__out"] or ZERO)) for w in WINDOWS},
            MONEY,
        )
    )
    figures.append(
        Figure("arrears", _("新增欠费"), {w: to_money(arrears[w] or ZERO) for w in WINDOWS}, MONEY)
    )

    executions = executions_for(scope).filter(
        store_id__in=stores, business_date__gte=first, business_date__lte=today
    )
    figures.append(
        Figure("treatments", _("治疗(执行划扣)"), _counts(executions, "business_date", spans))
    )

    tasks = (
        tasks_for(scope).filter(store_id__in=stores).exclude(status=FollowupTask.Status.CANCELLED)
    )
    task_measures = {}
    for w, (a, b) in spans.items():
        due = replace(f, start=a, end=b).moments("due_at")
        task_measures[f"{w}__due"] = Count("pk", filter=due)
        task_measures[f"{w}__done"] = Count("pk", filter=due & Q(status=FollowupTask.Status.DONE))
    t = tasks.aggregate(**task_measures)
    figures.append(
        Figure(
            "followups",
            _("回访完成率(%)"),
            {w: percent(t[f"{w}__done"], t[f"{w}__due"]) for w in WINDOWS},
            PERCENT,
        )
    )

    pending = (
        approvals_for(scope).filter(store_id__in=stores, status=ApprovalStatus.PENDING).count()
    )
    expiring = (
        cards_for(scope)
        .filter(
            store_id__in=stores,
            status=StoredValueCard.Status.ACTIVE,
            balance_amount__gt=0,
            expires_on__gte=today,
            expires_on__lte=today + timedelta(days=EXPIRY_DAYS),
        )
        .aggregate(count=Count("pk"), amount=Sum("balance_amount"))
    )
    return Home(
        today=today,
        filters=f,
        figures=figures,
        pending_approvals=pending,
        expiring_cards=expiring["count"],
        expiring_amount=to_money(expiring["amount"] or ZERO),
    )
