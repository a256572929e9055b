"""The sales checks of `manage.py check_balances`: card balances against their ledger, order
money against its payments and refunded lines, customer arrears against their orders, and the
attribution kept on payments, orders, visits and executions against what it derives from."""

from yanzhi.core.balances import Mismatch, register
from yanzhi.sales import queries


@register("stored_value")
def check_stored_value():
    for card in queries.card_ledger_mismatches():
        yield Mismatch(
            "stored_value",
            f"{card.card_no} ({card.customer.name})",
            card.balance_amount,
            card.ledger_sum,
        )


@register("order_payments")
def check_order_payments():
    for order in queries.order_payment_mismatches():
        yield Mismatch(
            "order_payments", f"order {order.order_no} paid", order.paid_amount, order.payment_sum
        )
    for order in queries.order_refund_mismatches():
        yield Mismatch(
            "order_payments",
            f"order {order.order_no} refunded",
            order.refunded_amount,
            order.line_refunds,
        )


@register("arrears")
def check_arrears():
    for summary in queries.summary_arrears_mismatches():
        yield Mismatch(
            "arrears",
            f"customer {summary.customer_id}",
            summary.arrears_amount,
            summary.order_arrears,
        )


@register("attribution")
def check_attribution():
    for key, stored, derived in queries.attribution_mismatches():
        yield Mismatch("attribution", key, stored, derived)
