"""Receipts, consumption and the guarded balance: every change is a ledger row."""

from datetime import date
from decimal import Decimal

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.inventory.models import StockLevel, StockMove
from yanzhi.inventory.services import (
    ReceiptLine,
    StockLine,
    consume_stock,
    receive_stock,
)
from yanzhi.inventory.tests.conftest import TODAY

pytestmark = pytest.mark.django_db


def on_hand(warehouse, item) -> Decimal:
    return StockLevel.objects.get(warehouse=warehouse, item=item).quantity


def test_receipt_creates_the_level_and_a_ledger_row_with_lot(warehouse_a, filler, store_a_manager):
    # when
    receipt = receive_stock(
        warehouse_a,
        lines=[ReceiptLine(filler, Decimal("10"), "HA20261001", date(2027, 10, 1), "880.5")],
        by=store_a_manager,
        business_date=TODAY,
        note="供应商到货",
    )
    # then
    assert on_hand(warehouse_a, filler) == Decimal("10")
    move = StockMove.objects.get()
    assert (move.kind, move.delta, move.quantity_after) == ("receipt", Decimal(10), Decimal(10))
    assert move.lot_no == "HA20261001" and move.expires_on == date(2027, 10, 1)
    assert move.unit_cost_amount == Decimal("880.50")
    assert move.reference == f"receipt:{receipt.pk}" and move.business_date == TODAY
    assert move.store_id == warehouse_a.store_id and move.by == store_a_manager
    assert AuditLog.objects.filter(action="stock.received", object_id=str(receipt.pk)).exists()


def test_receipt_accepts_plain_tuples(warehouse_a, filler, mask, store_a_manager):
    receive_stock(
        warehouse_a,
        lines=[(filler, 2, "L1", None, None), (mask, "1.5", "", None, None)],
        by=store_a_manager,
        business_date=TODAY,
    )
    assert on_hand(warehouse_a, mask) == Decimal("1.5")
    assert StockMove.objects.count() == 2


@pytest.mark.parametrize("quantity", ["0", "-1", "0.0001", "abc"])
def test_receipt_refuses_bad_quantities_and_changes_nothing(
    warehouse_a, filler, mask, store_a_manager, quantity
):
    with pytest.raises(BusinessError, match="invalid_quantity"):
        receive_stock(
            warehouse_a,
            lines=[ReceiptLine(mask, Decimal(1)), ReceiptLine(filler, quantity)],
            by=store_a_manager,
            business_date=TODAY,
        )
    assert not StockMove.objects.exists() and not StockLevel.objects.exists()


def test_receipt_refuses_items_not_stock_tracked(warehouse_a, service_item, store_a_manager):
    with pytest.raises(BusinessError, match="item_not_stocked"):
        receive_stock(
            warehouse_a,
            lines=[ReceiptLine(service_item, 1)],
            by=store_a_manager,
            business_date=TODAY,
        )
    assert not StockMove.objects.exists()


def test_receipt_refuses_another_chains_item(warehouse_a, other_chain, store_a_manager):
    from yanzhi.inventory.tests.conftest import make_item

    foreign = make_item(other_chain, "X1")
    with pytest.raises(BusinessError, match="invalid_item"):
        receive_stock(
            warehouse_a, lines=[ReceiptLine(foreign, 1)], by=store_a_manager, business_date=TODAY
        )
    assert not StockMove.objects.exists()


def test_receipt_needs_the_manage_action(warehouse_a, filler, store_a_nurse):
    with pytest.raises(BusinessError, match="forbidden"):
        receive_stock(
            warehouse_a, lines=[ReceiptLine(filler, 1)], by=store_a_nurse, business_date=TODAY
        )


def test_store_b_manager_cannot_receive_into_store_a(warehouse_a, filler, store_b_manager):
    with pytest.raises(BusinessError, match="not_found"):
        receive_stock(
            warehouse_a, lines=[ReceiptLine(filler, 1)], by=store_b_manager, business_date=TODAY
        )


def test_consumption_decreases_through_the_ledger(warehouse_a, filler, stock, store_a_nurse):
    # given
    stock(warehouse_a, filler, "5")
    # when
    moves = consume_stock(
        warehouse_a,
        lines=[StockLine(filler, Decimal("1.5"), "LOT1")],
        by=store_a_nurse,
        business_date=TODAY,
        reference="execution:7",
    )
    # then
    assert on_hand(warehouse_a, filler) == Decimal("3.5")
    (move,) = moves
    assert (move.kind, move.delta, move.quantity_after) == (
        "consumption",
        Decimal("-1.5"),
        Decimal("3.5"),
    )
    assert move.reference == "execution:7" and not move.went_negative


def test_insufficient_stock_is_refused_and_nothing_changes(
    warehouse_a, filler, mask, stock, store_a_nurse
):
    # given
    stock(warehouse_a, filler, "2")
    stock(warehouse_a, mask, "10")
    # when: the second line asks for more than is on hand
    with pytest.raises(BusinessError) as refused:
        consume_stock(
            warehouse_a,
            lines=[StockLine(mask, 1), StockLine(filler, 3)],
            by=store_a_nurse,
            business_date=TODAY,
            reference="execution:8",
        )
    # then
    assert refused.value.code == "insufficient_stock"
    assert "玻尿酸1ml" in str(refused.value.message) and "静安仓库" in str(refused.value.message)
    assert "现有 2" in str(refused.value.message) and "需要 3" in str(refused.value.message)
    assert on_hand(warehouse_a, filler) == 2 and on_hand(warehouse_a, mask) == 10
    assert not StockMove.objects.filter(kind="consumption").exists()


def test_consuming_an_item_never_received_is_insufficient(warehouse_a, filler, store_a_nurse):
    with pytest.raises(BusinessError, match="insufficient_stock"):
        consume_stock(
            warehouse_a,
            lines=[StockLine(filler, 1)],
            by=store_a_nurse,
            business_date=TODAY,
            reference="execution:9",
        )
    assert not StockMove.objects.exists()


def test_allow_policy_goes_negative_with_a_warning_flag(
    store_a, warehouse_a, filler, stock, store_a_nurse
):
    # given
    store_a.negative_stock = "warn"
    store_a.save()
    stock(warehouse_a, filler, "1")
    # when
    (move,) = consume_stock(
        warehouse_a,
        lines=[StockLine(filler, 3)],
        by=store_a_nurse,
        business_date=TODAY,
        reference="execution:10",
    )
    # then
    assert on_hand(warehouse_a, filler) == -2
    assert move.went_negative and move.quantity_after == -2


def test_inactive_warehouse_refuses_moves(warehouse_a, filler, store_a_manager):
    warehouse_a.is_active = False
    warehouse_a.save()
    with pytest.raises(BusinessError, match="warehouse_inactive"):
        receive_stock(
            warehouse_a, lines=[ReceiptLine(filler, 1)], by=store_a_manager, business_date=TODAY
        )
