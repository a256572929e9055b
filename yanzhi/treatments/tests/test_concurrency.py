"""Nurses executing the last sessions of one course at the same moment: exactly the possible
number succeed, the balance never goes negative, and the ledger adds up to it. Real threads and
real transactions, on SQLite (BEGIN IMMEDIATE) and PostgreSQL (row locks + guarded UPDATE)."""

import threading

import pytest
from django.db import connection
from django.db.models import Sum

from yanzhi.core.errors import BusinessError
from yanzhi.customers.models import CustomerSummary
from yanzhi.inventory.models import StockLevel
from yanzhi.org.tests.factories import make_staff
from yanzhi.treatments.models import Entitlement, EntitlementLedger, Execution
from yanzhi.treatments.services import execute_session


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


def _nurses(chain, store, n):
    return [make_staff(chain, "nurse", [store], name=f"护士{i}") for i in range(n)]


def _assert_consistent(course, remaining, executions):
    course.refresh_from_db()
    assert course.remaining_sessions == remaining >= 0
    ledger = EntitlementLedger.objects.filter(entitlement=course).aggregate(s=Sum("delta"))["s"]
    assert ledger == course.remaining_sessions
    assert Execution.objects.filter(entitlement=course).count() == executions
    afters = sorted(
        EntitlementLedger.objects.filter(entitlement=course, reason="executed").values_list(
            "remaining_after", flat=True
        )
    )
    assert afters == list(range(remaining, remaining + executions))


@pytest.mark.django_db(transaction=True)
def test_two_nurses_on_the_last_session(chain, store_a, customer_a, hydra, grant):
    # given
    course = grant(customer_a, hydra, sessions=1)
    nurses = _nurses(chain, store_a, 2)
    # when
    results = run_concurrently([lambda n=n: execute_session(course, by=n) for n in nurses])
    # then
    assert sorted(results) == ["no_sessions_left", "ok"], results
    _assert_consistent(course, 0, 1)
    course.refresh_from_db()
    assert course.status == Entitlement.Status.EXHAUSTED
    assert CustomerSummary.objects.get(customer=customer_a).open_course_count == 0


@pytest.mark.django_db(transaction=True)
def test_eight_nurses_on_three_sessions_with_materials(
    chain, store_a, customer_a, hydra, filler, pharmacy_a, stock, grant
):
    # given: 3 sessions left and enough filler for all 8
    stock(pharmacy_a, filler, "10")
    course = grant(customer_a, hydra, sessions=3)
    nurses = _nurses(chain, store_a, 8)
    # when
    results = run_concurrently([lambda n=n: execute_session(course, by=n) for n in nurses])
    # then
    assert sorted(results) == ["no_sessions_left"] * 5 + ["ok"] * 3, results
    _assert_consistent(course, 0, 3)
    assert StockLevel.objects.get(warehouse=pharmacy_a, item=filler).quantity == 7


@pytest.mark.django_db(transaction=True)
def test_eight_nurses_two_sessions_each_on_five(chain, store_a, customer_a, hydra, grant):
    course = grant(customer_a, hydra, sessions=5)
    nurses = _nurses(chain, store_a, 8)
    results = run_concurrently(
        [lambda n=n: execute_session(course, by=n, sessions=2) for n in nurses]
    )
    assert sorted(results) == ["no_sessions_left"] * 6 + ["ok"] * 2, results
    course.refresh_from_db()
    assert course.remaining_sessions == 1
    ledger = EntitlementLedger.objects.filter(entitlement=course).aggregate(s=Sum("delta"))["s"]
    assert ledger == 1
