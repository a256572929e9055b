"""Transfers move both sides in one transaction; counts post their differences."""

from decimal import Decimal

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.inventory.models import StockCountLine, StockLevel, StockMove, StockTransfer
from yanzhi.inventory.services import StockLine, count_stock, transfer_stock
from yanzhi.inventory.tests.conftest import TODAY

pytestmark = pytest.mark.django_db


def on_hand(warehouse, item) -> Decimal:
    level = StockLevel.objects.filter(warehouse=warehouse, item=item).first()
    return level.quantity if level else Decimal(0)


def test_transfer_to_another_store_moves_both_sides(
    warehouse_a, warehouse_b, filler, stock, store_a_manager
):
    # given
    stock(warehouse_a, filler, "10")
    # when
    transfer = transfer_stock(
        warehouse_a,
        warehouse_b,
        lines=[StockLine(filler, Decimal(4), "HA20261001")],
        by=store_a_manager,
        business_date=TODAY,
    )
    # then
    assert on_hand(warehouse_a, filler) == 6 and on_hand(warehouse_b, filler) == 4
    out, into = (
        StockMove.objects.get(kind="transfer_out"),
        StockMove.objects.get(kind="transfer_in"),
    )
    assert (out.delta, out.quantity_after, out.store_id) == (-4, 6, warehouse_a.store_id)
    assert (into.delta, into.quantity_after, into.store_id) == (4, 4, warehouse_b.store_id)
    assert out.reference == into.reference == f"transfer:{transfer.pk}"
    assert out.lot_no == into.lot_no == "HA20261001"
    assert transfer.lines.get().quantity == 4 and transfer.warnings == []


def test_transfer_with_one_short_line_moves_nothing(
    warehouse_a, warehouse_b, filler, mask, stock, store_a_manager
):
    # given
    stock(warehouse_a, filler, "10")
    stock(warehouse_a, mask, "1")
    # when
    with pytest.raises(BusinessError, match="insufficient_stock"):
        transfer_stock(
            warehouse_a,
            warehouse_b,
            lines=[StockLine(filler, 4), StockLine(mask, 2)],
            by=store_a_manager,
            business_date=TODAY,
        )
    # then
    assert on_hand(warehouse_a, filler) == 10 and on_hand(warehouse_b, filler) == 0
    assert on_hand(warehouse_a, mask) == 1
    assert not StockTransfer.objects.exists()
    assert not StockMove.objects.filter(kind__startswith="transfer").exists()


def test_transfer_refuses_the_same_warehouse(warehouse_a, filler, stock, store_a_manager):
    stock(warehouse_a, filler, "10")
    with pytest.raises(BusinessError, match="same_warehouse"):
        transfer_stock(
            warehouse_a,
            warehouse_a,
            lines=[StockLine(filler, 1)],
            by=store_a_manager,
            business_date=TODAY,
        )
    assert on_hand(warehouse_a, filler) == 10


def test_transfer_to_another_chain_is_not_found(
    warehouse_a, other_warehouse, filler, stock, store_a_manager
):
    stock(warehouse_a, filler, "10")
    with pytest.raises(BusinessError, match="not_found"):
        transfer_stock(
            warehouse_a,
            other_warehouse,
            lines=[StockLine(filler, 1)],
            by=store_a_manager,
            business_date=TODAY,
        )
    assert on_hand(warehouse_a, filler) == 10 and not StockTransfer.objects.exists()


def test_transfer_from_a_store_outside_the_scope_is_not_found(
    warehouse_a, warehouse_b, filler, stock, store_b_manager
):
    stock(warehouse_a, filler, "10")
    with pytest.raises(BusinessError, match="not_found"):
        transfer_stock(
            warehouse_a,
            warehouse_b,
            lines=[StockLine(filler, 1)],
            by=store_b_manager,
            business_date=TODAY,
        )
    assert on_hand(warehouse_a, filler) == 10


def test_count_posts_adjustments_for_the_differences(
    warehouse_a, filler, mask, stock, store_a_manager, chain
):
    # given: 10 fillers and 3 masks on the books; a third item never stocked
    from yanzhi.inventory.tests.conftest import make_item

    stock(warehouse_a, filler, "10")
    stock(warehouse_a, mask, "3")
    gauze = make_item(chain, "GZ", name="纱布")
    # when: 8 fillers, 3 masks and 5 gauze are found on the shelf
    count = count_stock(
        warehouse_a,
        counted={filler: Decimal(8), mask: Decimal(3), gauze: Decimal(5)},
        by=store_a_manager,
        business_date=TODAY,
    )
    # then
    assert on_hand(warehouse_a, filler) == 8 and on_hand(warehouse_a, gauze) == 5
    lines = {line.item_id: line for line in StockCountLine.objects.filter(count=count)}
    assert (lines[filler.pk].expected_quantity, lines[filler.pk].counted_quantity) == (10, 8)
    assert lines[gauze.pk].difference == 5 and lines[mask.pk].difference == 0
    adjustments = StockMove.objects.filter(kind="count_adjustment", reference=f"count:{count.pk}")
    assert sorted(m.delta for m in adjustments) == [-2, 5]  # no move for the unchanged masks


def test_count_sets_reality_even_from_a_negative_level(
    store_a, warehouse_a, filler, stock, store_a_manager, store_a_nurse
):
    # given: the allow policy let the level go to -2
    from yanzhi.inventory.services import consume_stock

    store_a.negative_stock = "warn"
    store_a.save()
    stock(warehouse_a, filler, "1")
    consume_stock(
        warehouse_a,
        lines=[StockLine(filler, 3)],
        by=store_a_nurse,
        business_date=TODAY,
        reference="execution:1",
    )
    store_a.negative_stock = "block"
    store_a.save()
    # when
    count_stock(warehouse_a, counted={filler: 0}, by=store_a_manager, business_date=TODAY)
    # then
    assert on_hand(warehouse_a, filler) == 0
    assert StockMove.objects.get(kind="count_adjustment").delta == 2


def test_count_refuses_negative_counts(warehouse_a, filler, stock, store_a_manager):
    stock(warehouse_a, filler, "4")
    with pytest.raises(BusinessError, match="invalid_quantity"):
        count_stock(warehouse_a, counted={filler: -1}, by=store_a_manager, business_date=TODAY)
    assert on_hand(warehouse_a, filler) == 4 and not StockCountLine.objects.exists()
