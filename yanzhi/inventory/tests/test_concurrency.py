"""Many nurses consuming the last units at the same moment: stock never goes negative under
the block policy. Real threads and real transactions, on SQLite (BEGIN IMMEDIATE) and
PostgreSQL (the guarded UPDATE's row lock)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from yanzhi.core.errors import BusinessError
from yanzhi.inventory.models import StockLevel, StockMove
from yanzhi.inventory.services import ReceiptLine, StockLine, consume_stock, receive_stock
from yanzhi.inventory.tests.conftest import TODAY


def run_concurrently(attempts: list) -> list[str]:
    barrier = threading.Barrier(len(attempts))
    results: list[str] = []
    lock = threading.Lock()

    def run(attempt):
        try:
            barrier.wait()
            attempt()
            outcome = "ok"
        except BusinessError as error:
            outcome = error.code
        except Exception as error:  # noqa: BLE001 - reported in the assertion
            outcome = repr(error)
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(a,)) for a in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_consumption_of_the_last_units(warehouse_a, filler, stock, store_a_nurse):
    # given: 3 units left, 8 nurses each consuming one
    stock(warehouse_a, filler, "3")

    def consume(n):
        return lambda: consume_stock(
            warehouse_a,
            lines=[StockLine(filler, Decimal(1))],
            by=store_a_nurse,
            business_date=TODAY,
            reference=f"execution:{n}",
        )

    # when
    results = run_concurrently([consume(n) for n in range(8)])
    # then
    assert sorted(results) == ["insufficient_stock"] * 5 + ["ok"] * 3, results
    level = StockLevel.objects.get(warehouse=warehouse_a, item=filler)
    ledger = StockMove.objects.filter(warehouse=warehouse_a, item=filler).aggregate(s=Sum("delta"))
    assert level.quantity == 0 == ledger["s"]
    assert StockMove.objects.filter(kind="consumption").count() == 3
    afters = sorted(
        StockMove.objects.filter(kind="consumption").values_list("quantity_after", flat=True)
    )
    assert afters == [0, 1, 2]  # each move saw the balance the previous one left


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_receipts_create_one_level(warehouse_a, filler, hq_admin):
    # given: no level yet; 5 receipts of the same item arrive at once
    def receive(n):
        return lambda: receive_stock(
            warehouse_a,
            lines=[ReceiptLine(filler, Decimal(2), f"LOT{n}")],
            by=hq_admin,
            business_date=TODAY,
        )

    # when
    results = run_concurrently([receive(n) for n in range(5)])
    # then
    assert results == ["ok"] * 5, results
    level = StockLevel.objects.get(warehouse=warehouse_a, item=filler)
    assert level.quantity == 10
    assert sorted(
        StockMove.objects.filter(kind="receipt").values_list("quantity_after", flat=True)
    ) == [2, 4, 6, 8, 10]
