"""Executing a session (执行划扣): deducts through the ledger, consumes materials, records the
parameters and lot number, and refuses what is not possible without changing anything."""

from datetime import date

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.customers.models import CustomerSummary
from yanzhi.inventory.models import StockLevel, StockMove
from yanzhi.org.services import close_period
from yanzhi.treatments.models import (
    Entitlement,
    EntitlementLedger,
    Execution,
    ExecutionMaterial,
)
from yanzhi.treatments.services import confirm_execution, execute_session
from yanzhi.treatments.tests.conftest import TODAY
from yanzhi.visits.services import register_arrival

pytestmark = pytest.mark.django_db


def _ledger(course):
    return list(
        EntitlementLedger.objects.filter(entitlement=course)
        .order_by("id")
        .values_list("delta", "remaining_after", "reason")
    )


def _nothing_changed(course, remaining, ledger_rows=1):
    course.refresh_from_db()
    assert course.remaining_sessions == remaining
    assert EntitlementLedger.objects.filter(entitlement=course).count() == ledger_rows
    assert not Execution.objects.exists() and not ExecutionMaterial.objects.exists()
    assert not StockMove.objects.filter(kind="consumption").exists()


def test_execution_decrements_ledgers_and_records_the_treatment(
    customer_a, hydra, filler, pharmacy_a, stock, grant, store_a_nurse, store_a
):
    # given: 3 sessions, 5 units of filler in the pharmacy
    stock(pharmacy_a, filler, "5")
    course = grant(customer_a, hydra, sessions=3)
    # when
    execution = execute_session(
        course,
        by=store_a_nurse,
        sessions=2,
        device="水光仪",
        energy="3档",
        dose="2ml",
        injection_sites="全脸",
        lot_no="HA2026A",
        notes="无不适",
    )
    # then
    course.refresh_from_db()
    assert course.remaining_sessions == 1 and course.status == "active"
    assert _ledger(course) == [(3, 3, "granted"), (-2, 1, "executed")]
    assert EntitlementLedger.objects.last().reference == f"execution:{execution.pk}"
    assert (execution.store, execution.business_date, execution.lot_no) == (
        store_a,
        TODAY,
        "HA2026A",
    )
    assert (execution.performed_by, execution.item, execution.sessions) == (store_a_nurse, hydra, 2)
    material = ExecutionMaterial.objects.get(execution=execution)
    assert (material.item, material.quantity, material.warehouse) == (filler, 2, pharmacy_a)
    assert StockLevel.objects.get(warehouse=pharmacy_a, item=filler).quantity == 3
    move = StockMove.objects.get(kind="consumption")
    assert move.reference == f"execution:{execution.pk}"
    assert AuditLog.objects.filter(action="execution.created").count() == 1


def test_the_last_session_exhausts_the_course(customer_a, hydra, grant, store_a_doctor):
    course = grant(customer_a, hydra, sessions=1)
    assert CustomerSummary.objects.get(customer=customer_a).open_course_count == 1
    execute_session(course, by=store_a_doctor)
    course.refresh_from_db()
    assert (course.remaining_sessions, course.status) == (0, Entitlement.Status.EXHAUSTED)
    assert CustomerSummary.objects.get(customer=customer_a).open_course_count == 0


def test_no_session_left_is_refused_and_changes_nothing(customer_a, hydra, grant, store_a_nurse):
    course = grant(customer_a, hydra, sessions=2)
    with pytest.raises(BusinessError) as refused:
        execute_session(course, by=store_a_nurse, sessions=3)
    assert refused.value.code == "no_sessions_left"
    assert str(refused.value.message) == "该疗程剩余次数不足"
    _nothing_changed(course, 2)


def test_short_stock_refuses_the_whole_execution(
    customer_a, hydra, filler, pharmacy_a, stock, grant, store_a_nurse
):
    # given: the store blocks negative stock (default) and has 1 unit; 2 sessions need 2
    stock(pharmacy_a, filler, "1")
    course = grant(customer_a, hydra, sessions=3)
    # when
    with pytest.raises(BusinessError) as refused:
        execute_session(course, by=store_a_nurse, sessions=2)
    # then: neither the sessions nor the stock moved
    assert refused.value.code == "insufficient_stock"
    _nothing_changed(course, 3)
    assert StockLevel.objects.get(warehouse=pharmacy_a, item=filler).quantity == 1


def test_materials_actually_used_replace_the_configured_ones(
    customer_a, hydra, filler, pharmacy_a, stock, grant, store_a_nurse
):
    stock(pharmacy_a, filler, "5", lot_no="HA-9")
    course = grant(customer_a, hydra)
    execution = execute_session(
        course, by=store_a_nurse, materials=[(filler, 3, "HA-9")], lot_no="HA-9"
    )
    material = ExecutionMaterial.objects.get(execution=execution)
    assert (material.quantity, material.lot_no) == (3, "HA-9")
    assert StockLevel.objects.get(warehouse=pharmacy_a, item=filler).quantity == 2


def test_a_closed_period_refuses_a_back_dated_execution(
    customer_a, hydra, grant, store_a_nurse, store_a_manager, store_a
):
    course = grant(customer_a, hydra)
    close_period(store_a, month=date(2026, 2, 1), by=store_a_manager)
    with pytest.raises(BusinessError) as refused:
        execute_session(course, by=store_a_nurse, business_date=date(2026, 2, 27))
    assert refused.value.code == "period_closed"
    _nothing_changed(course, 3)
    # the open period still works
    assert execute_session(course, by=store_a_nurse, business_date=date(2026, 3, 2)).pk


def test_an_expired_course_cannot_be_used(customer_a, hydra, grant, store_a_nurse):
    course = grant(customer_a, hydra, expires_on=date(2026, 3, 15))
    with pytest.raises(BusinessError, match="entitlement_expired"):
        execute_session(course, by=store_a_nurse)
    _nothing_changed(course, 3)


def test_only_nurses_and_doctors_execute(customer_a, hydra, grant, store_a_consultant):
    course = grant(customer_a, hydra)
    with pytest.raises(BusinessError, match="forbidden"):
        execute_session(course, by=store_a_consultant)
    _nothing_changed(course, 3)


def test_a_customer_outside_the_nurses_scope_is_not_found(customer_a, hydra, grant, store_b_nurse):
    course = grant(customer_a, hydra)
    with pytest.raises(BusinessError, match="not_found"):
        execute_session(course, by=store_b_nurse)
    _nothing_changed(course, 3)


def test_the_visit_gets_its_treatment_stage(
    customer_a, hydra, grant, store_a_nurse, store_a_front_desk, store_a
):
    visit = register_arrival(store_a, customer=customer_a, by=store_a_front_desk)
    course = grant(customer_a, hydra)
    execution = execute_session(course, by=store_a_nurse, visit=visit)
    visit.refresh_from_db()
    assert execution.visit == visit and visit.treated_at is not None


def test_the_customer_confirms_once(customer_a, hydra, grant, store_a_nurse):
    execution = execute_session(grant(customer_a, hydra), by=store_a_nurse)
    confirm_execution(execution, method="signature", by=store_a_nurse)
    execution.refresh_from_db()
    assert execution.customer_confirmed_at is not None
    assert execution.confirmation_method == "signature"
    with pytest.raises(BusinessError, match="already_confirmed"):
        confirm_execution(execution, method="sms", by=store_a_nurse)
    execution.refresh_from_db()
    assert execution.confirmation_method == "signature"
