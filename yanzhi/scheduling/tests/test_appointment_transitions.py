"""Booked → arrived / no-show / cancelled, and rescheduling while booked."""

from datetime import date, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.scheduling import services
from yanzhi.scheduling.models import Appointment
from yanzhi.scheduling.tests.conftest import DAY, at


@pytest.fixture
def appointment(store_a, customer, doctor_on_duty, store_a_front_desk):
    return services.book_appointment(
        store_a,
        customer=customer,
        starts_at=at(10),
        ends_at=at(11),
        purpose="consultation",
        doctor=doctor_on_duty,
        by=store_a_front_desk,
    )


def _status(appointment):
    appointment.refresh_from_db()
    return appointment.status


# --- reschedule ----------------------------------------------------------------------------------
def test_reschedule_moves_the_slot_and_may_overlap_itself(
    appointment, doctor_on_duty, store_a_front_desk
):
    moved = services.reschedule_appointment(
        appointment,
        starts_at=at(10, 30),
        ends_at=at(11, 30),
        doctor=doctor_on_duty,
        consultant=None,
        room=None,
        by=store_a_front_desk,
    )
    moved.refresh_from_db()
    assert (moved.starts_at, moved.ends_at) == (at(10, 30), at(11, 30))
    log = AuditLog.objects.get(action="appointment.rescheduled")
    assert datetime.fromisoformat(log.before["starts_at"]) == at(10)
    assert datetime.fromisoformat(log.after["starts_at"]) == at(10, 30)


def test_reschedule_refuses_a_conflict_and_changes_nothing(
    store_a, appointment, other_customer, doctor_on_duty, store_a_front_desk
):
    services.book_appointment(
        store_a,
        customer=other_customer,
        starts_at=at(14),
        ends_at=at(15),
        purpose="treatment",
        doctor=doctor_on_duty,
        by=store_a_front_desk,
    )
    with pytest.raises(BusinessError, match="overlap"):
        services.reschedule_appointment(
            appointment,
            starts_at=at(14, 30),
            ends_at=at(15, 30),
            doctor=doctor_on_duty,
            consultant=None,
            room=None,
            by=store_a_front_desk,
        )
    appointment.refresh_from_db()
    assert appointment.starts_at == at(10)


def test_reschedule_refuses_outside_shift(appointment, doctor_on_duty, store_a_front_desk):
    with pytest.raises(BusinessError, match="outside_shift"):
        services.reschedule_appointment(
            appointment,
            starts_at=at(19),
            ends_at=at(20),
            doctor=doctor_on_duty,
            consultant=None,
            room=None,
            by=store_a_front_desk,
        )


def test_reschedule_only_while_booked(appointment, doctor_on_duty, store_a_front_desk):
    services.cancel_appointment(appointment, reason="客户临时有事", by=store_a_front_desk)
    with pytest.raises(BusinessError, match="not_booked"):
        services.reschedule_appointment(
            appointment,
            starts_at=at(14),
            ends_at=at(15),
            doctor=doctor_on_duty,
            consultant=None,
            room=None,
            by=store_a_front_desk,
        )


# --- cancel --------------------------------------------------------------------------------------
def test_cancel_needs_a_reason(appointment, store_a_front_desk):
    with pytest.raises(BusinessError, match="reason_required"):
        services.cancel_appointment(appointment, reason="  ", by=store_a_front_desk)
    assert _status(appointment) == Appointment.Status.BOOKED


def test_cancel_records_reason_and_time(appointment, store_a_front_desk, frozen_now):
    services.cancel_appointment(appointment, reason="客户临时有事", by=store_a_front_desk)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert appointment.cancel_reason == "客户临时有事" and appointment.cancelled_at is not None
    assert AuditLog.objects.filter(action="appointment.cancelled", note="客户临时有事").exists()


def test_cancel_only_while_booked(appointment, store_a_front_desk):
    services.mark_arrived(appointment, arrived_at=at(9, 50), by=store_a_front_desk)
    with pytest.raises(BusinessError, match="not_booked"):
        services.cancel_appointment(appointment, reason="x", by=store_a_front_desk)
    assert _status(appointment) == Appointment.Status.ARRIVED


# --- no-show -------------------------------------------------------------------------------------
def test_no_show_only_after_the_start(appointment, store_a_front_desk):
    with pytest.raises(BusinessError, match="not_started"):
        services.mark_no_show(appointment, by=store_a_front_desk)
    assert _status(appointment) == Appointment.Status.BOOKED
    with time_machine.travel(at(10, 1), tick=False):
        services.mark_no_show(appointment, by=store_a_front_desk)
    assert _status(appointment) == Appointment.Status.NO_SHOW


def test_no_show_refused_for_cancelled(appointment, store_a_front_desk):
    services.cancel_appointment(appointment, reason="改天再来", by=store_a_front_desk)
    with time_machine.travel(at(10, 1), tick=False), pytest.raises(BusinessError):
        services.mark_no_show(appointment, by=store_a_front_desk)
    assert _status(appointment) == Appointment.Status.CANCELLED


def test_end_of_day_command_marks_yesterdays_booked_only_and_is_idempotent(
    store_a, appointment, other_customer, doctor_on_duty, store_a_front_desk
):
    # given: two appointments tomorrow, one of which arrives
    arrived = services.book_appointment(
        store_a,
        customer=other_customer,
        starts_at=at(14),
        ends_at=at(15),
        purpose="treatment",
        doctor=doctor_on_duty,
        by=store_a_front_desk,
    )
    services.mark_arrived(arrived, arrived_at=at(13, 55), by=store_a_front_desk)
    # when: the command runs in the early hours of the day after
    out = StringIO()
    with time_machine.travel(at(2, 0, on=date(2026, 3, 4)), tick=False):
        call_command("mark_no_shows", stdout=out)
        call_command("mark_no_shows", stdout=StringIO())
    # then
    assert _status(appointment) == Appointment.Status.NO_SHOW
    assert _status(arrived) == Appointment.Status.ARRIVED
    assert AuditLog.objects.filter(action="appointment.no_show").count() == 1
    assert out.getvalue().startswith("1 ")


def test_mark_no_shows_leaves_future_appointments_alone(store_a, appointment):
    with time_machine.travel(at(9, 0), tick=False):
        assert services.mark_no_shows(store_a, day=DAY) == 0
    assert _status(appointment) == Appointment.Status.BOOKED


# --- arrival -------------------------------------------------------------------------------------
def test_mark_arrived(appointment, store_a_front_desk):
    services.mark_arrived(appointment, arrived_at=at(9, 50), by=store_a_front_desk)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED
    assert appointment.arrived_at == at(9, 50)


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (Appointment.Status.CANCELLED, "appointment_cancelled", "该预约已取消,不能登记到店"),
        (Appointment.Status.NO_SHOW, "appointment_no_show", "该预约已登记爽约,不能登记到店"),
        (Appointment.Status.ARRIVED, "appointment_arrived", "该预约已登记到店,不能重复登记"),
    ],
)
def test_mark_arrived_refuses(appointment, store_a_front_desk, status, code, message):
    Appointment.objects.filter(pk=appointment.pk).update(status=status)
    with pytest.raises(BusinessError) as info:
        services.mark_arrived(appointment, arrived_at=at(9, 50), by=store_a_front_desk)
    assert (info.value.code, str(info.value.message)) == (code, message)
    appointment.refresh_from_db()
    assert appointment.status == status and appointment.arrived_at is None
