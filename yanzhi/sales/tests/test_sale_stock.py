"""Sold goods leave stock when their order is paid (销售出库) and come back on refund (销售退货);
the store's negative-stock policy decides between refusing the payment and warning."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from yanzhi.catalog.models import Item
from yanzhi.core.errors import BusinessError
from yanzhi.inventory.models import StockLevel, StockMove, Warehouse
from yanzhi.inventory.services import ReceiptLine, receive_stock
from yanzhi.org.models import Store
from yanzhi.sales import services
from yanzhi.sales.models import Order, Payment
from yanzhi.sales.tests.conftest import TODAY, assign, card_line, cash, make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse(store_a):
    return Warehouse.objects.create(
        org=store_a.org, store=store_a, name="静安仓库", kind=Warehouse.Kind.WAREHOUSE
    )


@pytest.fixture
def pharmacy(store_a):
    return Warehouse.objects.create(
        org=store_a.org, store=store_a, name="静安药房", kind=Warehouse.Kind.PHARMACY
    )


@pytest.fixture
def serum(chain, store_a, warehouse, store_a_manager):
    """A stock-tracked product with 5 on hand in store A's warehouse."""
    item = assign(
        make_item(chain, "P10", "修护精华", "300.00", kind=Item.Kind.PRODUCT, track_stock=True),
        store_a,
    )
    receive_stock(
        warehouse, lines=[ReceiptLine(item, Decimal("5"))], by=store_a_manager, business_date=TODAY
    )
    return item


@pytest.fixture
def ointment(chain, store_a, pharmacy, store_a_manager):
    item = assign(
        make_item(chain, "D10", "修复药膏", "50.00", kind=Item.Kind.DRUG, track_stock=True),
        store_a,
    )
    receive_stock(
        pharmacy, lines=[ReceiptLine(item, Decimal("10"))], by=store_a_manager, business_date=TODAY
    )
    return item


def on_hand(warehouse, item) -> Decimal:
    return StockLevel.objects.get(warehouse=warehouse, item=item).quantity


def test_paying_issues_goods_from_the_default_warehouses(
    open_pending, serum, ointment, hydra, warehouse, pharmacy, store_a_cashier
):
    # given an order of 2 serums, 3 ointments and a service
    order = open_pending([(serum.pk, 2, 0), (ointment.pk, 3, 0), (hydra.pk, 1, 0)])
    # when it is paid
    paid = services.pay_order(order, payments=[cash(order.payable_amount)], by=store_a_cashier)
    # then products leave the warehouse and drugs the pharmacy, referenced to the order
    assert on_hand(warehouse, serum) == Decimal("3")
    assert on_hand(pharmacy, ointment) == Decimal("7")
    moves = StockMove.objects.filter(reference=f"order:{order.pk}").order_by("item_id")
    assert [(m.kind, m.item_id, m.delta) for m in moves] == [
        ("sale", serum.pk, Decimal("-2")),
        ("sale", ointment.pk, Decimal("-3")),
    ]
    assert paid.stock_warnings == []


def test_block_policy_refuses_the_payment_and_changes_nothing(
    open_pending, serum, warehouse, card_with, store_a_cashier, customer
):
    # given a ¥11,000 card and an order of 6 serums while 5 are on hand ("block", the default)
    card = card_with()
    order = open_pending([(serum.pk, 6, 0)])
    payments_before = Payment.objects.count()
    # when it is paid from the card
    with pytest.raises(BusinessError) as refused:
        services.pay_order(order, payments=[card_line(card, "1800")], by=store_a_cashier)
    # then the error names the item and what is on hand, and nothing changed
    assert refused.value.code == "insufficient_stock"
    assert "修护精华" in str(refused.value.message) and "现有 5" in str(refused.value.message)
    order.refresh_from_db()
    card.refresh_from_db()
    assert order.status == Order.Status.PENDING and order.paid_amount == 0
    assert Payment.objects.count() == payments_before
    assert card.balance_amount == Decimal("11000.00")
    assert on_hand(warehouse, serum) == Decimal("5")
    assert not StockMove.objects.filter(kind="sale").exists()


def test_warn_policy_lets_the_payment_through_with_a_warning(
    open_pending, serum, warehouse, store_a, store_a_cashier, api_for, client_for
):
    store_a.negative_stock = Store.NegativeStock.WARN
    store_a.save()
    # service: paid, the level goes to −1, the move is flagged and the warning returned
    order = open_pending([(serum.pk, 6, 0)])
    paid = services.pay_order(order, payments=[cash("1800")], by=store_a_cashier)
    assert paid.status == Order.Status.PAID
    assert on_hand(warehouse, serum) == Decimal("-1")
    assert StockMove.objects.get(reference=f"order:{order.pk}").went_negative
    assert len(paid.stock_warnings) == 1 and "修护精华" in paid.stock_warnings[0]
    # API over HTTP: the pay response carries the warning
    order = open_pending([(serum.pk, 1, 0)])
    r = api_for(store_a_cashier).post(
        f"/orders/{order.pk}/pay", json={"payments": [{"method": "cash", "amount": "300"}]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "paid" and "-2" in r.json()["warnings"][0]
    # the page: the warning is shown on the order page after paying
    order = open_pending([(serum.pk, 1, 0)])
    c = client_for(store_a_cashier)
    r = c.post(
        f"/orders/{order.pk}/pay/",
        {"method": ["cash"], "amount": ["300"], "source": [""], "idempotency_key": "k-warn"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and r.headers["HX-Redirect"] == f"/orders/{order.pk}/"
    page = c.get(f"/orders/{order.pk}/").content.decode()
    assert "库存已为负数" in page and "-3" in page


def test_refund_puts_goods_back_and_the_ledgers_still_balance(
    open_pending, serum, warehouse, store_a_cashier, store_a_manager
):
    # given 3 serums sold
    order = open_pending([(serum.pk, 3, 0)])
    services.pay_order(order, payments=[cash("900")], by=store_a_cashier)
    line = order.lines.get()
    # when 2 are refunded, then the last one
    services.refund_order(order, lines=[(line.pk, 2)], by=store_a_manager, reason="过敏")
    assert on_hand(warehouse, serum) == Decimal("4")
    services.refund_order(order, lines=[(line.pk, 1)], by=store_a_manager, reason="过敏")
    # then all 5 are back, as sale-return moves of the order
    assert on_hand(warehouse, serum) == Decimal("5")
    returns = StockMove.objects.filter(reference=f"order:{order.pk}", kind="sale_return")
    assert sorted(m.delta for m in returns) == [Decimal("1"), Decimal("2")]
    call_command("check_balances")  # exits non-zero on any mismatch


def test_an_order_paid_before_goods_were_tracked_returns_nothing(
    open_pending, serum, warehouse, store_a_cashier, store_a_manager
):
    serum.track_stock = False
    serum.save()
    order = open_pending([(serum.pk, 1, 0)])
    services.pay_order(order, payments=[cash("300")], by=store_a_cashier)
    serum.track_stock = True
    serum.save()
    services.refund_order(order, full=True, by=store_a_manager, reason="退货")
    assert on_hand(warehouse, serum) == Decimal("5")
    assert not StockMove.objects.filter(reference=f"order:{order.pk}").exists()


def test_a_store_without_a_warehouse_cannot_sell_tracked_goods(
    chain, store_a, open_pending, store_a_cashier
):
    item = assign(
        make_item(chain, "P11", "面膜", "100.00", kind=Item.Kind.PRODUCT, track_stock=True),
        store_a,
    )
    order = open_pending([(item.pk, 1, 0)])
    with pytest.raises(BusinessError, match="no_warehouse"):
        services.pay_order(order, payments=[cash("100")], by=store_a_cashier)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and not Payment.objects.filter(order=order)
