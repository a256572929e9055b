"""Order states: draft → pending → paid, reverse (反结), and the lines' rules."""

from decimal import Decimal

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.sales import services
from yanzhi.sales.models import Order, OrderLine
from yanzhi.sales.tests.conftest import cash


def test_open_order_prices_lines_at_the_store_price(
    store_a, store_a_consultant, customer, hydra, cream
):
    # when
    order = services.open_order(
        customer,
        store=store_a,
        by=store_a_consultant,
        lines=[(hydra.pk, 2, "100.00"), (cream.pk, 1, 0)],
    )
    # then
    assert order.status == Order.Status.DRAFT
    assert order.list_amount == Decimal("2200.00")
    assert order.discount_amount == Decimal("100.00")
    assert order.payable_amount == order.arrears_amount == Decimal("2100.00")
    assert order.order_type == "医美"
    assert [ln.amount for ln in order.lines.all()] == [Decimal("1900.00"), Decimal("200.00")]


@pytest.mark.parametrize("quantity", [0, -1, "x", 1.5])
def test_bad_quantity_is_refused(store_a, store_a_consultant, customer, hydra, quantity):
    with pytest.raises(BusinessError) as error:
        services.open_order(
            customer, store=store_a, by=store_a_consultant, lines=[(hydra.pk, quantity, 0)]
        )
    assert error.value.code == "invalid_quantity"
    assert "lines.0.quantity" in error.value.fields
    assert not Order.objects.exists()


def test_item_not_assigned_to_the_store_is_refused(
    store_a, store_a_consultant, customer, hydra, unassigned
):
    with pytest.raises(BusinessError) as error:
        services.open_order(
            customer,
            store=store_a,
            by=store_a_consultant,
            lines=[(hydra.pk, 1, 0), (unassigned.pk, 1, 0)],
        )
    assert error.value.code == "item_not_in_store"
    assert "lines.1.item_id" in error.value.fields
    assert not Order.objects.exists() and not OrderLine.objects.exists()


def test_discount_above_the_line_price_is_refused(store_a, store_a_consultant, customer, hydra):
    with pytest.raises(BusinessError, match="discount_too_large"):
        services.open_order(
            customer, store=store_a, by=store_a_consultant, lines=[(hydra.pk, 1, "1000.01")]
        )
    assert not Order.objects.exists()


def test_submit_reverse_and_edit(store_a, store_a_consultant, customer, hydra, cream):
    order = services.open_order(
        customer, store=store_a, by=store_a_consultant, lines=[(hydra.pk, 1, 0)]
    )
    order = services.update_draft(order, by=store_a_consultant, lines=[(cream.pk, 3, 0)])
    assert order.payable_amount == Decimal("600.00")
    order = services.submit_order(order, by=store_a_consultant)
    assert order.status == Order.Status.PENDING
    with pytest.raises(BusinessError, match="order_not_draft"):
        services.update_draft(order, by=store_a_consultant, lines=[(hydra.pk, 1, 0)])
    order = services.reverse_order(order, by=store_a_consultant)
    assert order.status == Order.Status.DRAFT and order.submitted_at is None


def test_a_paid_order_cannot_be_reversed(open_pending, hydra, store_a_cashier, store_a_consultant):
    order = open_pending([(hydra.pk, 1, 0)])
    services.pay_order(order, payments=[cash("100.00")], by=store_a_cashier)
    with pytest.raises(BusinessError, match="order_not_reversible"):
        services.reverse_order(order, by=store_a_consultant)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_a_draft_cannot_be_paid(store_a, store_a_consultant, store_a_cashier, customer, hydra):
    order = services.open_order(
        customer, store=store_a, by=store_a_consultant, lines=[(hydra.pk, 1, 0)]
    )
    with pytest.raises(BusinessError, match="order_not_payable"):
        services.pay_order(order, payments=[cash("1000.00")], by=store_a_cashier)


def test_roles_the_policy_refuses(
    store_a, store_a_nurse, store_a_consultant, customer, hydra, open_pending
):
    with pytest.raises(BusinessError, match="forbidden"):
        services.open_order(customer, store=store_a, by=store_a_nurse, lines=[(hydra.pk, 1, 0)])
    order = open_pending([(hydra.pk, 1, 0)])
    with pytest.raises(BusinessError, match="forbidden"):
        services.pay_order(order, payments=[cash("1.00")], by=store_a_consultant)
