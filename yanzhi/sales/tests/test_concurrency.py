"""Cashiers paying from the same stored-value card at the same moment, and duplicate pay
requests: real threads and transactions, on SQLite (BEGIN IMMEDIATE) and PostgreSQL (the
guarded UPDATE's row lock)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from yanzhi.core.errors import BusinessError
from yanzhi.sales import services
from yanzhi.sales.models import Payment, StoredValueCard, StoredValueLedger
from yanzhi.sales.tests.conftest import card_line, cash


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


def _card_with_balance(card_with, store_a_cashier, open_pending, hydra, balance):
    """The customer's ¥11,000 card spent down to `balance`."""
    card = card_with()
    spend = Decimal("11000") - Decimal(balance)
    order = open_pending([(hydra.pk, 11, "0")])
    services.pay_order(
        order, payments=[card_line(card, spend), cash(Decimal("11000") - spend)], by=store_a_cashier
    )
    card.refresh_from_db()
    assert card.balance_amount == Decimal(balance)
    return card


@pytest.mark.parametrize("cashiers, affordable", [(2, 1), (8, 3)])
@pytest.mark.django_db(transaction=True)
def test_cashiers_paying_from_one_card_at_once(
    cashiers, affordable, card_with, open_pending, hydra, store_a_cashier
):
    # given: ¥{affordable × 300 + 100} left; each cashier takes ¥300 for an order of its own
    card = _card_with_balance(
        card_with, store_a_cashier, open_pending, hydra, affordable * 300 + 100
    )
    orders = [open_pending([(hydra.pk, 1, "700")]) for _ in range(cashiers)]

    def pay(order):
        return lambda: services.pay_order(
            order, payments=[card_line(card, "300")], by=store_a_cashier
        )

    # when
    results = run_concurrently([pay(o) for o in orders])
    # then
    assert sorted(results) == sorted(
        ["ok"] * affordable + ["insufficient_balance"] * (cashiers - affordable)
    ), results
    card.refresh_from_db()
    assert card.balance_amount == Decimal("100.00")
    ledger = StoredValueLedger.objects.filter(card=card).aggregate(s=Sum("delta"))["s"]
    assert ledger == card.balance_amount
    afters = sorted(
        StoredValueLedger.objects.filter(
            card=card, reason="paid", payment__order__in=orders
        ).values_list("balance_after", flat=True)
    )
    assert afters == [Decimal(100 + 300 * n) for n in range(affordable)]
    assert StoredValueCard.objects.filter(balance_amount__lt=0).count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_keys_charge_once(open_pending, hydra, store_a_cashier):
    # given: a double click sends the same pay request five times at once
    order = open_pending([(hydra.pk, 1, 0)])

    def pay():
        return services.pay_order(
            order, payments=[cash("600")], idempotency_key="dbl-click", by=store_a_cashier
        )

    # when
    results = run_concurrently([pay] * 5)
    # then: every request answers ok, the money was taken once
    assert results == ["ok"] * 5, results
    assert Payment.objects.filter(order=order).count() == 1
    order.refresh_from_db()
    assert order.paid_amount == Decimal("600.00") and order.arrears_amount == Decimal("400.00")


@pytest.mark.django_db(transaction=True)
def test_two_managers_deciding_one_request_at_once(
    store_a, chain, store_a_consultant, customer, hydra, store_a_cashier
):
    """Four managers of the store press 同意 / 驳回 on the same request at the same moment:
    exactly one decision is recorded, the others are told it was already decided."""
    from yanzhi.org.tests.factories import make_staff
    from yanzhi.sales.models import ApprovalStatus, DiscountApprovalDecision

    store_a.discount_limit_percent = Decimal("10")
    store_a.save()
    managers = [make_staff(chain, "store_manager", [store_a]) for _ in range(4)]
    order = services.open_order(
        customer, store=store_a, by=store_a_consultant, lines=[(hydra.pk, 1, "300")]
    )
    approval = services.submit_order(order, by=store_a_consultant).approvals.get()
    attempts = [
        (lambda m=m: services.approve_discount(approval, by=m))
        if n % 2
        else (lambda m=m: services.reject_discount(approval, by=m, comment="不同意"))
        for n, m in enumerate(managers)
    ]
    results = run_concurrently(attempts)
    assert sorted(results) == ["approval_closed"] * 3 + ["ok"], results
    assert DiscountApprovalDecision.objects.filter(approval=approval).count() == 1
    approval.refresh_from_db()
    order.refresh_from_db()
    assert approval.status in (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED)
    assert order.approval_status == approval.status


def _row_is_free(table: str, pk: int) -> bool:
    """Whether another connection may lock the row at once (PostgreSQL's NOWAIT)."""
    import psycopg

    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        try:
            other.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE NOWAIT", [pk])
        except psycopg.errors.LockNotAvailable:
            return False
    return True


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_payment_locks_its_order_and_customer_but_not_the_store(
    open_pending, hydra, store_a, store_a_cashier, customer
):
    # Two cashiers of one store take two customers' payments: neither waits for the other.
    from django.db import transaction

    order = open_pending([(hydra.pk, 1, "0")])
    with transaction.atomic():
        services.pay_order(order, payments=[cash(order.payable_amount)], by=store_a_cashier)
        assert not _row_is_free("sales_order", order.pk)
        assert not _row_is_free("customers_customer", customer.pk)  # the membership refresh
        assert _row_is_free("org_store", store_a.pk)
