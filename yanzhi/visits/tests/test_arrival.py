"""Registering an arrival: appointments, the one-open-visit rule, summary and store link."""

from datetime import timedelta

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.customers.models import CustomerStoreLink, CustomerSummary, VisitType
from yanzhi.customers.tests.factories import make_customer
from yanzhi.scheduling.models import Appointment
from yanzhi.visits.models import Visit
from yanzhi.visits.services import leave, register_arrival
from yanzhi.visits.tests.conftest import NOW

pytestmark = pytest.mark.usefixtures("clock")


def test_arrival_from_appointment_marks_it_arrived(
    store_a, customer, store_a_front_desk, make_appointment
):
    appointment = make_appointment(store_a, customer)
    visit = register_arrival(
        store_a, customer=customer, appointment=appointment, by=store_a_front_desk
    )
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED and appointment.arrived_at == NOW
    assert visit.appointment == appointment and visit.status == Visit.Status.WAITING
    assert visit.arrived_at == NOW and visit.registered_by == store_a_front_desk
    assert AuditLog.objects.filter(action="visit.registered", object_id=str(visit.pk)).exists()
    assert AuditLog.objects.filter(action="appointment.arrived").exists()


@pytest.mark.parametrize(
    "status, code",
    [
        ("cancelled", "appointment_cancelled"),
        ("no_show", "appointment_no_show"),
        ("arrived", "appointment_arrived"),
    ],
)
def test_arrival_for_a_closed_appointment_is_refused_and_changes_nothing(
    store_a, customer, store_a_front_desk, make_appointment, status, code
):
    # given an appointment that is no longer booked
    appointment = make_appointment(store_a, customer, status=status)
    audit_count = AuditLog.objects.count()
    # when the front desk registers the arrival from it
    with pytest.raises(BusinessError, match=code) as error:
        register_arrival(store_a, customer=customer, appointment=appointment, by=store_a_front_desk)
    # then it is refused with a clear message and nothing changed
    if status == "cancelled":
        assert str(error.value.message) == "该预约已取消,不能登记到店"
    assert not Visit.objects.exists()
    appointment.refresh_from_db()
    assert appointment.status == status
    summary = CustomerSummary.objects.get(pk=customer.pk)
    assert summary.visit_count == 0 and summary.last_visit_at is None
    assert AuditLog.objects.count() == audit_count


def test_appointment_of_another_customer_is_refused(
    store_a, customer, store_a_front_desk, make_appointment
):
    other = make_customer(store_a, name="李四")
    appointment = make_appointment(store_a, other)
    with pytest.raises(BusinessError, match="appointment_mismatch"):
        register_arrival(store_a, customer=customer, appointment=appointment, by=store_a_front_desk)
    appointment.refresh_from_db()
    assert appointment.status == "booked" and not Visit.objects.exists()


def test_second_open_visit_in_the_same_store_is_refused(store_a, customer, store_a_front_desk):
    # given the customer is in the store
    register_arrival(store_a, customer=customer, by=store_a_front_desk)
    # when registered again, then refused and nothing changed
    with pytest.raises(BusinessError, match="already_in_store"):
        register_arrival(store_a, customer=customer, by=store_a_front_desk)
    assert Visit.objects.count() == 1
    assert CustomerSummary.objects.get(pk=customer.pk).visit_count == 1


def test_after_leaving_the_customer_can_arrive_again(store_a, customer, store_a_front_desk, clock):
    first = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    clock.shift(timedelta(minutes=30))
    leave(first, by=store_a_front_desk)
    clock.shift(timedelta(hours=2))
    second = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    assert second.visit_type == VisitType.FIRST  # the same day: the day's first type
    summary = CustomerSummary.objects.get(pk=customer.pk)
    assert summary.visit_count == 2
    assert summary.first_visit_at == first.arrived_at and summary.last_visit_at == second.arrived_at


def test_arrival_in_another_store_links_the_customer(store_b, customer, store_b_front_desk):
    register_arrival(store_b, customer=customer, by=store_b_front_desk)
    assert CustomerStoreLink.objects.filter(customer=customer, store=store_b).exists()


def test_staff_of_another_store_cannot_register_here(store_a, customer, store_b_front_desk):
    with pytest.raises(BusinessError, match="forbidden"):
        register_arrival(store_a, customer=customer, by=store_b_front_desk)
    assert not Visit.objects.exists()


def test_roles_without_the_register_action_are_refused(store_a, customer, store_a_nurse):
    with pytest.raises(BusinessError, match="forbidden"):
        register_arrival(store_a, customer=customer, by=store_a_nurse)
    assert not Visit.objects.exists()


def test_arrival_in_the_future_is_refused(store_a, customer, store_a_front_desk):
    with pytest.raises(BusinessError, match="time_in_future"):
        register_arrival(
            store_a, customer=customer, by=store_a_front_desk, arrived_at=NOW + timedelta(hours=1)
        )
    assert not Visit.objects.exists()


def test_backdated_earlier_arrival_becomes_the_days_first(
    store_a, store_b, customer, store_a_front_desk, store_b_front_desk
):
    # given a visit registered at store B at 10:00, confirmed 初诊
    later = register_arrival(store_b, customer=customer, by=store_b_front_desk)
    # when store A registers, late, that the customer had been there at 09:10 as a check-up
    earlier = register_arrival(
        store_a,
        customer=customer,
        by=store_a_front_desk,
        arrived_at=NOW - timedelta(minutes=50),
        visit_type=VisitType.CHECKUP,
    )
    # then the 09:10 arrival is the day's first and the 10:00 visit follows its type
    later.refresh_from_db()
    assert earlier.visit_type == later.visit_type == VisitType.CHECKUP
    summary = CustomerSummary.objects.get(pk=customer.pk)
    assert summary.last_visit_type == VisitType.CHECKUP and summary.last_visit_at == NOW
