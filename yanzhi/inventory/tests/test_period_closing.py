"""Stock services respect period closing: back-dated moves are refused, corrections go into the
open period."""

from datetime import date
from decimal import Decimal

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.inventory.models import StockLevel, StockMove
from yanzhi.inventory.services import (
    ReceiptLine,
    StockLine,
    consume_stock,
    count_stock,
    receive_stock,
    transfer_stock,
)
from yanzhi.inventory.tests.conftest import TODAY
from yanzhi.org.services import close_period

pytestmark = pytest.mark.django_db
IN_FEBRUARY = date(2026, 2, 20)


@pytest.fixture
def february_closed(store_a, store_a_manager, warehouse_a, filler):
    receive_stock(
        warehouse_a,
        lines=[ReceiptLine(filler, 10, "LOT-FEB")],
        by=store_a_manager,
        business_date=IN_FEBRUARY,
    )
    close_period(store_a, month=date(2026, 2, 1), by=store_a_manager)


def test_back_dated_moves_are_refused(
    february_closed, warehouse_a, warehouse_b, filler, store_a_manager, store_a_nurse
):
    attempts = [
        lambda: receive_stock(
            warehouse_a,
            lines=[ReceiptLine(filler, 1)],
            by=store_a_manager,
            business_date=IN_FEBRUARY,
        ),
        lambda: consume_stock(
            warehouse_a,
            lines=[StockLine(filler, 1)],
            by=store_a_nurse,
            business_date=IN_FEBRUARY,
            reference="execution:1",
        ),
        lambda: transfer_stock(
            warehouse_a,
            warehouse_b,
            lines=[StockLine(filler, 1)],
            by=store_a_manager,
            business_date=IN_FEBRUARY,
        ),
        lambda: count_stock(
            warehouse_a, counted={filler: 3}, by=store_a_manager, business_date=IN_FEBRUARY
        ),
    ]
    for attempt in attempts:
        with pytest.raises(BusinessError, match="period_closed"):
            attempt()
    assert StockLevel.objects.get(warehouse=warehouse_a, item=filler).quantity == 10
    assert StockMove.objects.count() == 1


def test_a_transfer_into_a_store_with_a_closed_period_is_refused(
    warehouse_a, warehouse_b, filler, stock, store_b, store_a_manager, hq_admin
):
    # given: store B closed February, store A did not
    receive_stock(
        warehouse_a, lines=[ReceiptLine(filler, 5)], by=store_a_manager, business_date=IN_FEBRUARY
    )
    close_period(store_b, month=date(2026, 2, 1), by=hq_admin)
    # when / then
    with pytest.raises(BusinessError, match="period_closed"):
        transfer_stock(
            warehouse_a,
            warehouse_b,
            lines=[StockLine(filler, 1)],
            by=store_a_manager,
            business_date=IN_FEBRUARY,
        )
    assert StockMove.objects.count() == 1


def test_corrections_go_into_the_open_period(february_closed, warehouse_a, filler, store_a_manager):
    # when: the February receipt turns out to have been 9, corrected by a count dated today
    count_stock(warehouse_a, counted={filler: Decimal(9)}, by=store_a_manager, business_date=TODAY)
    # then
    correction = StockMove.objects.get(kind="count_adjustment")
    assert correction.business_date == TODAY and correction.delta == -1
    assert StockLevel.objects.get(warehouse=warehouse_a, item=filler).quantity == 9
