"""Refunds take back unused sessions only; extension and expiry; the ledger check."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from yanzhi.core.balances import checks
from yanzhi.core.errors import BusinessError
from yanzhi.customers.models import CustomerSummary
from yanzhi.treatments.models import Entitlement, EntitlementLedger
from yanzhi.treatments.services import (
    execute_session,
    expire_entitlements,
    extend_entitlement,
    refundable_sessions,
    revoke_sessions,
)

pytestmark = pytest.mark.django_db


def test_revoke_refunds_unused_sessions_at_their_value(
    customer_a, hydra, grant, store_a_nurse, store_a_cashier
):
    # given: 3 sessions at 300.00 from line 55, one executed
    course = grant(customer_a, hydra, sessions=3, value="300.00", source_line_id=55)
    execute_session(course, by=store_a_nurse)
    assert refundable_sessions(55) == 2
    # when
    value = revoke_sessions(source_line_id=55, sessions=2, by=store_a_cashier)
    # then
    assert value == Decimal("600.00")
    course.refresh_from_db()
    assert (course.remaining_sessions, course.status) == (0, "revoked")
    assert EntitlementLedger.objects.filter(entitlement=course).last().reason == "revoked"
    assert refundable_sessions(55) == 0
    assert CustomerSummary.objects.get(customer=customer_a).open_course_count == 0


def test_revoke_refuses_used_sessions_and_changes_nothing(
    customer_a, hydra, grant, store_a_nurse, store_a_cashier
):
    course = grant(customer_a, hydra, sessions=2, source_line_id=56)
    execute_session(course, by=store_a_nurse)
    with pytest.raises(BusinessError) as refused:
        revoke_sessions(source_line_id=56, sessions=2, by=store_a_cashier)
    assert refused.value.code == "sessions_used"
    assert str(refused.value.message) == "已使用的疗程次数不能退款"
    course.refresh_from_db()
    assert course.remaining_sessions == 1 and course.status == "active"
    assert EntitlementLedger.objects.filter(entitlement=course).count() == 2


def test_revoke_spans_the_courses_of_a_package_line(
    customer_a, hydra, chain, grant, store_a_cashier
):
    from yanzhi.treatments.tests.conftest import make_item

    peel = make_item(chain, "GS", name="果酸焕肤")
    grant(customer_a, hydra, sessions=2, value="100.00", source_kind="package", source_line_id=9)
    grant(customer_a, peel, sessions=2, value="50.00", source_kind="package", source_line_id=9)
    assert refundable_sessions(9) == 4
    assert revoke_sessions(source_line_id=9, sessions=3, by=store_a_cashier) == Decimal("250.00")
    assert refundable_sessions(9) == 1


def test_expiry_zeroes_the_sessions_once(customer_a, hydra, grant, store_a):
    course = grant(customer_a, hydra, sessions=3, expires_on=date(2026, 3, 15))
    assert expire_entitlements(store_a, day=date(2026, 3, 16)) == 1
    assert expire_entitlements(store_a, day=date(2026, 3, 16)) == 0  # idempotent
    course.refresh_from_db()
    assert (course.remaining_sessions, course.status) == (0, "expired")
    assert [r.reason for r in course.ledger.all()] == ["granted", "expired"]
    assert CustomerSummary.objects.get(customer=customer_a).open_course_count == 0


def test_a_course_still_valid_today_does_not_expire(customer_a, hydra, grant):
    course = grant(customer_a, hydra, expires_on=date(2026, 3, 16))
    call_command("expire_courses")
    course.refresh_from_db()
    assert course.status == "active" and course.remaining_sessions == 3


def test_extension_needs_a_reason_and_restores_an_expired_course(
    customer_a, hydra, grant, store_a, store_a_manager, store_a_nurse
):
    course = grant(customer_a, hydra, sessions=3, expires_on=date(2026, 3, 10))
    expire_entitlements(store_a, day=date(2026, 3, 16))
    with pytest.raises(BusinessError, match="reason_required"):
        extend_entitlement(course, new_expires_on=date(2026, 6, 30), reason=" ", by=store_a_manager)
    with pytest.raises(BusinessError, match="forbidden"):
        extend_entitlement(course, new_expires_on=date(2026, 6, 30), reason="x", by=store_a_nurse)
    course.refresh_from_db()
    assert course.status == "expired" and course.expires_on == date(2026, 3, 10)
    # when
    extend_entitlement(
        course, new_expires_on=date(2026, 6, 30), reason="客户出差", by=store_a_manager
    )
    # then
    course.refresh_from_db()
    assert (course.status, course.remaining_sessions, course.expires_on) == (
        "active",
        3,
        date(2026, 6, 30),
    )
    assert [r.reason for r in course.ledger.all()] == ["granted", "expired", "adjusted"]
    assert CustomerSummary.objects.get(customer=customer_a).open_course_count == 1
    execute_session(course, by=store_a_nurse)


def test_check_balances_catches_a_tampered_remaining(customer_a, hydra, grant, store_a_nurse):
    course = grant(customer_a, hydra, sessions=3)
    execute_session(course, by=store_a_nurse)
    assert list(checks()["sessions"]()) == []
    # when: someone edits the balance behind the ledger's back
    Entitlement.objects.filter(pk=course.pk).update(remaining_sessions=3)
    # then
    [mismatch] = list(checks()["sessions"]())
    assert (mismatch.stored, mismatch.recomputed) == (3, 2)
    assert f"entitlement {course.pk}" in mismatch.key
