"""Odd fen amounts: balances and ledgers stay exact on SQLite too (it stores decimals as
numbers and subtracts in floating point)."""

from decimal import Decimal

from django.core.management import call_command

from yanzhi.sales import services
from yanzhi.sales.tests.conftest import card_line


def test_odd_amounts_keep_card_and_order_ledgers_exact(
    card_with, open_pending, hydra, store_a_cashier
):
    # given a ¥11,000 card and three orders with awkward discounts
    card = card_with()
    paid = Decimal("0")
    for discount in ("0.01", "33.34", "99.99"):
        order = open_pending([(hydra.pk, 1, discount)])
        part = (order.payable_amount / 3).quantize(Decimal("0.01"))
        # when paying a third from the card, then the rest later
        services.pay_order(order, payments=[card_line(card, part)], by=store_a_cashier)
        order.refresh_from_db()
        services.pay_order(
            order, payments=[card_line(card, order.arrears_amount)], by=store_a_cashier
        )
        order.refresh_from_db()
        assert order.arrears_amount == 0 and order.paid_amount == order.payable_amount
        paid += order.paid_amount
    # then the card balance is exact and every balance equals its ledger
    card.refresh_from_db()
    assert card.balance_amount == Decimal("11000.00") - paid
    call_command("check_balances")
