"""Sales and cash reconciliation (销售与收款对账), docs/reports.md "Reconciliation".

Every order keeps `paid_amount = Σ its Payment rows` (signed; refunds are negative rows) and
`arrears_amount = payable_amount − refunded_amount − paid_amount`. Summed over the orders sold in
a period that gives the identity this report shows and the tests check:

    net sales (Σ payable − Σ refunded)
      = money received (cash, bank card, WeChat, Alipay) + stored value used + coupons applied
        + deposits applied − money refunded + arrears still owed

where the payments are all payments of those orders, whatever their date. The cash table shows
the till's view — payments dated in the period, whatever the order's date — and the bridge
between the two (payments on this period's orders vs on earlier orders). Four queries.
"""

from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from yanzhi.core.money import to_money
from yanzhi.core.scope import Scope
from yanzhi.org import policy
from yanzhi.reports.filters import ReportFilters
from yanzhi.reports.queries import SOLD, sold_orders
from yanzhi.reports.tables import INT, MONEY, TEXT, Column, Report, Table
from yanzhi.sales.models import Payment
from yanzhi.sales.queries import deposits_for, payments_for

ZERO = Decimal("0.00")
METHODS = list(Payment.Method.choices)


def _m(value) -> Decimal:
    return to_money(value or ZERO)


def _by_method(rows, keys) -> list[dict]:
    """One row per payment method in the fixed order of Payment.Method (zero when unused)."""
    found = {r["method"]: r for r in rows}
    out = []
    for value, label in METHODS:
        row = found.get(value, {})
        out.append({"method": str(label), "code": value, **{k: _m(row.get(k)) for k in keys}})
    return out


def _total(rows, keys, label) -> dict:
    return {"method": label, **{k: sum((r[k] for r in rows), ZERO) for k in keys}}


def reconciliation(scope: Scope, f: ReportFilters) -> Report:
    policy.require(scope, "report.finance")
    orders = sold_orders(scope, f)
    sales = orders.aggregate(
        orders=Count("pk"),
        list_amount=Sum("list_amount"),
        discount_amount=Sum("discount_amount"),
        payable_amount=Sum("payable_amount"),
        refunded_amount=Sum("refunded_amount"),
        arrears_amount=Sum("arrears_amount"),
    )
    for key in ("list_amount", "discount_amount", "payable_amount", "refunded_amount"):
        sales[key] = _m(sales[key])
    sales["arrears_amount"] = _m(sales["arrears_amount"])
    sales["net_amount"] = sales["payable_amount"] - sales["refunded_amount"]

    in_period = f.days("business_date")
    settle_keys = ("received", "refunded", "net", "in_period", "outside_period")
    settlement = _by_method(
        payments_for(scope)
        .filter(order__in=orders.values("pk"))
        .order_by()
        .values("method")
        .annotate(
            received=Sum("amount", filter=Q(amount__gt=0)),
            refunded=Sum("amount", filter=Q(amount__lt=0)),
            net=Sum("amount"),
            in_period=Sum("amount", filter=in_period),
            outside_period=Sum("amount", filter=~in_period),
        ),
        settle_keys,
    )
    settle_total = _total(settlement, settle_keys, _("合计"))

    this_period_order = Q(
        order__status__in=SOLD,
        order__business_date__gte=f.start,
        order__business_date__lte=f.end,
    )
    cash_keys = ("received", "refunded", "net", "on_period_orders", "on_other_orders")
    cash = _by_method(
        payments_for(scope)
        .filter(in_period, store_id__in=f.store_ids)
        .order_by()
        .values("method")
        .annotate(
            received=Sum("amount", filter=Q(amount__gt=0)),
            refunded=Sum("amount", filter=Q(amount__lt=0)),
            net=Sum("amount"),
            on_period_orders=Sum("amount", filter=this_period_order),
            on_other_orders=Sum("amount", filter=~this_period_order),
        ),
        cash_keys,
    )
    cash_total = _total(cash, cash_keys, _("合计"))
    money_rows = [r for r in cash if r["code"] in Payment.MONEY_METHODS]
    money_total = _total(money_rows, cash_keys, _("其中:现金类收款"))

    deposits = list(
        deposits_for(scope)
        .filter(in_period, store_id__in=f.store_ids)
        .order_by()
        .values("method")
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .order_by("method")
    )
    labels = dict(METHODS)
    deposit_rows = [
        {
            "method": str(labels.get(r["method"], r["method"])),
            "count": r["count"],
            "amount": _m(r["amount"]),
        }
        for r in deposits
    ]

    by_code = {r["code"]: r for r in settlement}
    money_received = sum((by_code[m]["received"] for m in Payment.MONEY_METHODS), ZERO)
    identity_rows = [
        {"item": _("净销售额(应收 − 退货)"), "amount": sales["net_amount"]},
        {"item": _("现金类收款(现金/银行卡/微信/支付宝)"), "amount": money_received},
        {"item": _("储值卡消费"), "amount": by_code["stored_value"]["received"]},
        {"item": _("电子券抵扣"), "amount": by_code["coupon"]["received"]},
        {"item": _("预约金抵扣"), "amount": by_code["deposit"]["received"]},
        {"item": _("退款(退回各支付方式)"), "amount": settle_total["refunded"]},
        {"item": _("欠费"), "amount": sales["arrears_amount"]},
    ]
    difference = sales["net_amount"] - (settle_total["net"] + sales["arrears_amount"])
    identity_rows.append({"item": _("差额(应为 0)"), "amount": difference})

    method_column = Column("method", _("支付方式"), TEXT)
    return Report(
        slug="reconciliation",
        title=_("销售与收款对账"),
        filters=f,
        tables=[
            Table(
                key="sales",
                title=_("本期销售"),
                columns=[
                    Column("orders", _("订单数"), INT),
                    Column("list_amount", _("原价合计"), MONEY),
                    Column("discount_amount", _("优惠"), MONEY),
                    Column("payable_amount", _("销售额(应收)"), MONEY),
                    Column("refunded_amount", _("退货额"), MONEY),
                    Column("net_amount", _("净销售额"), MONEY),
                    Column("arrears_amount", _("欠费"), MONEY),
                ],
                rows=[sales],
                note=_("本期销售 = 业务日期在期间内、已支付(含后来退款)的订单。"),
            ),
            Table(
                key="settlement",
                title=_("本期订单的结算"),
                columns=[
                    method_column,
                    Column("received", _("收款"), MONEY),
                    Column("refunded", _("退款"), MONEY),
                    Column("net", _("净额"), MONEY),
                    Column("in_period", _("其中期间内"), MONEY),
                    Column("outside_period", _("其中期间外"), MONEY),
                ],
                rows=settlement,
                total=settle_total,
            ),
            Table(
                key="identity",
                title=_("勾稽关系"),
                columns=[Column("item", _("项目"), TEXT), Column("amount", _("金额"), MONEY)],
                rows=identity_rows,
                note=_("净销售额 = 各方式收款 − 退款 + 欠费"),
            ),
            Table(
                key="cash",
                title=_("期间收款(按收款日期)"),
                columns=[
                    method_column,
                    Column("received", _("收款"), MONEY),
                    Column("refunded", _("退款"), MONEY),
                    Column("net", _("净额"), MONEY),
                    Column("on_period_orders", _("本期订单"), MONEY),
                    Column("on_other_orders", _("往期订单(补缴/退款)"), MONEY),
                ],
                rows=[*cash, money_total],
                total=cash_total,
                chart=None,
            ),
            Table(
                key="deposits",
                title=_("期间收取的预约金"),
                columns=[
                    method_column,
                    Column("count", _("笔数"), INT),
                    Column("amount", _("金额"), MONEY),
                ],
                rows=deposit_rows,
                total={
                    "method": _("合计"),
                    "count": sum(r["count"] for r in deposit_rows),
                    "amount": sum((r["amount"] for r in deposit_rows), ZERO),
                },
                note=_("预约金在收取时进入收银,抵扣订单时记为“预约金抵扣”,不重复计入现金类收款。"),
            ),
        ],
        context={"difference": difference},
    )
