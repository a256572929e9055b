"""check_balances recomputes every stock level from its ledger in the database."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from yanzhi.inventory.models import StockLevel, StockMove
from yanzhi.inventory.queries import ledger_mismatches
from yanzhi.inventory.services import StockLine, consume_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def some_stock(warehouse_a, warehouse_b, filler, mask, stock, store_a_nurse):
    from yanzhi.inventory.tests.conftest import TODAY

    stock(warehouse_a, filler, "10.5")
    stock(warehouse_a, mask, "0.1")
    stock(warehouse_a, mask, "0.2")
    stock(warehouse_b, filler, "3")
    consume_stock(
        warehouse_a,
        lines=[StockLine(filler, Decimal("0.3"))],
        by=store_a_nurse,
        business_date=TODAY,
        reference="execution:1",
    )


def test_balances_agree_with_their_ledgers(some_stock, capsys):
    call_command("check_balances")
    assert "stock: ok" in capsys.readouterr().out


def test_a_tampered_level_is_reported(some_stock, warehouse_a, filler, capsys):
    # given: someone edits a level behind the services' back
    level = StockLevel.objects.get(warehouse=warehouse_a, item=filler)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inventory_stocklevel SET quantity = quantity + 1 WHERE id = %s", [level.pk]
        )
    # when
    with pytest.raises(CommandError, match="1 balance"):
        call_command("check_balances")
    # then
    out = capsys.readouterr().out
    assert "stock: 1 mismatch" in out and "玻尿酸1ml" in out and "11.2" in out
    assert [m.pk for m in ledger_mismatches()] == [level.pk]


def test_a_deleted_ledger_row_is_reported(some_stock, warehouse_b):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM inventory_stockmove WHERE id = %s",
            [StockMove.objects.get(warehouse=warehouse_b).pk],
        )
    with pytest.raises(CommandError):
        call_command("check_balances", only=["stock"])
