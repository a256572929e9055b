"""Promotion summary (活动汇总): per promotion and per promotion item, what was sold under it,
to how many customers, what came back, how many were new customers and how many bought again
within 90 days. Definitions: docs/promotions.md ("Promotion summary"). Everything is aggregated
in SQL: two aggregate queries (per item, per promotion) whatever the number of orders.

The page, its Excel export and GET /api/v1/reports/promotions share `promotion_summary`.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yanzhi.catalog.queries import promotions_for
from yanzhi.core.errors import BusinessError
from yanzhi.core.money import to_money
from yanzhi.core.scope import Scope
from yanzhi.core.timeutil import store_today
from yanzhi.core.xlsx import Sheet, xlsx_response
from yanzhi.org import policy
from yanzhi.org.queries import get_store, stores_for
from yanzhi.sales.models import Order, OrderLine
from yanzhi.sales.queries import orders_for

SECOND_PURCHASE_DAYS = 90
SOLD = (Order.Status.PAID, Order.Status.REFUNDED)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Filters:
    date_from: date
    date_to: date
    promotion_id: int | None = None
    store_id: int | None = None


@dataclass
class Row:
    """The figures of one promotion item, or of a whole promotion (item_id None)."""

    promotion_id: int
    promotion_name: str
    item_id: int | None = None
    item_name: str = ""
    quantity: int = 0
    refunded_quantity: int = 0
    amount: Decimal = ZERO
    refunded_amount: Decimal = ZERO
    customers: int = 0
    new_customers: int = 0
    second_purchase_customers: int = 0

    @property
    def net_amount(self) -> Decimal:
        return self.amount - self.refunded_amount

    @property
    def second_purchase_percent(self) -> Decimal | None:
        if not self.customers:
            return None
        return (Decimal(self.second_purchase_customers) * 100 / self.customers).quantize(
            Decimal("0.1")
        )


@dataclass
class PromotionSummary:
    total: Row
    items: list[Row] = field(default_factory=list)


def _lines(scope: Scope, filters: Filters) -> QuerySet[OrderLine]:
    """Lines sold under a promotion on orders of the scope (paid or refunded since), by the
    order's business date; each annotated with the customer's first deal and whether the
    customer made a later deal within 90 days."""
    orders = orders_for(scope).filter(
        status__in=SOLD, business_date__gte=filters.date_from, business_date__lte=filters.date_to
    )
    if filters.store_id:
        orders = orders.filter(store_id=filters.store_id)
    lines = OrderLine.objects.filter(promotion__isnull=False, order__in=orders)
    if filters.promotion_id:
        lines = lines.filter(promotion_id=filters.promotion_id)
    deals = Order.objects.filter(
        org_id=scope.org_id, customer_id=OuterRef("order__customer_id"), is_deal=True
    ).filter(status__in=SOLD)
    first_deal = deals.order_by("paid_at", "pk").values("pk")[:1]
    return lines.annotate(
        first_deal_id=Subquery(first_deal),
        window_end=ExpressionWrapper(
            F("order__business_date") + timedelta(days=SECOND_PURCHASE_DAYS),
            output_field=DateField(),
        ),
    ).annotate(
        bought_again=Exists(
            deals.filter(
                paid_at__gt=OuterRef("order__paid_at"), business_date__lte=OuterRef("window_end")
            ).exclude(pk=OuterRef("order_id"))
        )
    )


def _figures() -> dict:
    customer = F("order__customer_id")
    return {
        "quantity": Sum("quantity"),
        "refunded_quantity": Sum("refunded_quantity"),
        "amount": Sum("amount"),
        "refunded_amount": Sum("refunded_amount"),
        "customers": Count(customer, distinct=True),
        "new_customers": Count(
            Case(When(order_id=F("first_deal_id"), then=customer)), distinct=True
        ),
        "second_purchase_customers": Count(
            Case(When(bought_again=True, then=customer)), distinct=True
        ),
    }


def _row(values: dict, **names) -> Row:
    return Row(
        promotion_id=values["promotion_id"],
        promotion_name=values["promotion__name"],
        quantity=values["quantity"] or 0,
        refunded_quantity=values["refunded_quantity"] or 0,
        amount=to_money(values["amount"] or ZERO),
        refunded_amount=to_money(values["refunded_amount"] or ZERO),
        customers=values["customers"],
        new_customers=values["new_customers"],
        second_purchase_customers=values["second_purchase_customers"],
        **names,
    )


def promotion_summary(scope: Scope, filters: Filters) -> list[PromotionSummary]:
    """The report: one entry per promotion with its total and its items (two queries)."""
    lines = _lines(scope, filters)
    totals = (
        lines.values("promotion_id", "promotion__name")
        .annotate(**_figures())
        .order_by("promotion__name", "promotion_id")
    )
    per_item = (
        lines.values("promotion_id", "promotion__name", "item_id", "item__name")
        .annotate(**_figures())
        .order_by("promotion_id", "item__name", "item_id")
    )
    summaries = {t["promotion_id"]: PromotionSummary(total=_row(t)) for t in totals}
    for values in per_item:
        summaries[values["promotion_id"]].items.append(
            _row(values, item_id=values["item_id"], item_name=values["item__name"])
        )
    return list(summaries.values())


# --- filters from a request --------------------------------------------------------------------
def _date(value, default: date, field_name: str) -> date:
    if value in (None, ""):
        return default
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        message = _("日期格式应为 YYYY-MM-DD")
        raise BusinessError("invalid_date", message, fields={field_name: [message]}) from None


def filters_for(scope: Scope, *, date_from=None, date_to=None, promotion_id=None, store_id=None):
    """Checked filters: the period defaults to this month up to today (the viewer's store
    calendar); a store outside the scope is a 404."""
    store = get_store(scope, store_id) if store_id else None
    calendar = store or stores_for(scope).filter(pk=scope.current_store_id).first()
    calendar = calendar or stores_for(scope).first()
    today = store_today(calendar) if calendar else timezone.localdate()  # a chain without stores
    start = _date(date_from, today.replace(day=1), "date_from")
    end = _date(date_to, today, "date_to")
    if end < start:
        message = _("结束日期不能早于开始日期")
        raise BusinessError("invalid_period", message, fields={"date_to": [message]})
    if (end - start).days > 366 * 3:
        message = _("统计期间最长三年")
        raise BusinessError("period_too_long", message, fields={"date_from": [message]})
    return Filters(
        date_from=start,
        date_to=end,
        promotion_id=int(promotion_id) if promotion_id else None,
        store_id=store.pk if store else None,
    )


def _int(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


# --- the page and the export ---------------------------------------------------------------------
HEADERS = [
    gettext_lazy("活动"),
    gettext_lazy("项目"),
    gettext_lazy("销售数量"),
    gettext_lazy("退回数量"),
    gettext_lazy("销售金额"),
    gettext_lazy("退款金额"),
    gettext_lazy("净额"),
    gettext_lazy("客户数"),
    gettext_lazy("新客数"),
    gettext_lazy("90天内再消费客户数"),
    gettext_lazy("再消费率(%)"),
]


def _sheet_rows(summaries: list[PromotionSummary]) -> list[list]:
    rows = []
    for summary in summaries:
        for row in [*summary.items, summary.total]:
            rows.append(
                [
                    row.promotion_name,
                    row.item_name if row.item_id else _("合计"),
                    row.quantity,
                    row.refunded_quantity,
                    row.amount,
                    row.refunded_amount,
                    row.net_amount,
                    row.customers,
                    row.new_customers,
                    row.second_purchase_customers,
                    row.second_purchase_percent,
                ]
            )
    return rows


@login_required
def promotion_summary_view(request):
    """活动汇总 page (?format=xlsx: the Excel file)."""
    if not policy.can(request.scope, "promotion.report"):
        raise PermissionDenied
    scope = request.scope
    error = None
    try:
        filters = filters_for(
            scope,
            date_from=request.GET.get("date_from"),
            date_to=request.GET.get("date_to"),
            promotion_id=_int(request.GET.get("promotion")),
            store_id=_int(request.GET.get("store")),
        )
    except BusinessError as error_:
        error = error_
        filters = filters_for(scope, store_id=_int(request.GET.get("store")))
    summaries = promotion_summary(scope, filters)
    if request.GET.get("format") == "xlsx" and error is None:
        notes = [
            _("活动汇总"),
            _("期间:%(start)s 至 %(end)s(订单业务日期)")
            % {"start": filters.date_from, "end": filters.date_to},
        ]
        sheet = Sheet(_("活动汇总"), [str(h) for h in HEADERS], _sheet_rows(summaries), notes)
        return xlsx_response(f"promotion-summary-{filters.date_from}-{filters.date_to}", [sheet])
    context = {
        "summaries": summaries,
        "filters": filters,
        "error": error,
        "chart": [(s.total.promotion_name, s.total.net_amount) for s in summaries],
        "promotions": list(promotions_for(scope).order_by("-start_date", "-pk")[:200]),
        "stores": list(stores_for(scope)),
        "second_purchase_days": SECOND_PURCHASE_DAYS,
        "query": request.GET.urlencode(),
    }
    return render(request, "reports/promotion_summary.html", context, status=422 if error else 200)
