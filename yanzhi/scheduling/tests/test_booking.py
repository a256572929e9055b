"""Booking: the slot must be in the future, inside opening hours and the staff's working time,
and free for the doctor, consultant, room and customer (half-open intervals)."""

from datetime import timedelta

import pytest
from django.utils import translation

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.customers.models import CustomerStoreLink
from yanzhi.scheduling.models import Appointment
from yanzhi.scheduling.services import book_appointment
from yanzhi.scheduling.tests.conftest import at, roster


def book(store, customer, start, end, by, **extra):
    extra.setdefault("purpose", Appointment.Purpose.CONSULTATION)
    return book_appointment(store, customer=customer, starts_at=start, ends_at=end, by=by, **extra)


def refused(code, *args, **kwargs):
    before = Appointment.objects.count()
    with pytest.raises(BusinessError) as info:
        book(*args, **kwargs)
    assert info.value.code == code
    assert Appointment.objects.count() == before
    return info.value


def test_books_a_free_slot_with_doctor_consultant_and_room(
    store_a, customer, doctor_on_duty, consultant_on_duty, room_1, store_a_front_desk
):
    # when
    appointment = book(
        store_a,
        customer,
        at(10),
        at(11),
        store_a_front_desk,
        doctor=doctor_on_duty,
        consultant=consultant_on_duty,
        room=room_1,
        items="热玛吉",
    )
    # then
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert (appointment.doctor, appointment.consultant, appointment.room) == (
        doctor_on_duty,
        consultant_on_duty,
        room_1,
    )
    assert appointment.booked_by == store_a_front_desk
    log = AuditLog.objects.get(action="appointment.booked")
    assert log.object_id == str(appointment.pk) and log.actor_id == store_a_front_desk.pk


def test_refuses_a_doctor_outside_the_shift(store_a, customer, doctor_on_duty, store_a_front_desk):
    error = refused(
        "outside_shift",
        store_a,
        customer,
        at(17, 30),
        at(18, 30),
        store_a_front_desk,
        doctor=doctor_on_duty,
    )
    assert doctor_on_duty.name in str(error.message)
    assert "09:00-18:00" in str(error.message)
    assert "doctor" in error.fields


def test_refuses_a_doctor_in_a_rest_period(
    store_a, customer, doctor_on_duty, lunch_rest, store_a_front_desk
):
    roster(store_a, doctor_on_duty, lunch_rest)
    error = refused(
        "outside_shift",
        store_a,
        customer,
        at(12),
        at(12, 30),
        store_a_front_desk,
        doctor=doctor_on_duty,
    )
    assert "09:00-12:00、13:30-18:00" in str(error.message)


def test_refuses_a_doctor_without_roster(store_a, customer, store_a_doctor, store_a_front_desk):
    refused(
        "outside_shift",
        store_a,
        customer,
        at(10),
        at(11),
        store_a_front_desk,
        doctor=store_a_doctor,
    )


def test_refuses_a_consultant_outside_the_shift(
    store_a, customer, store_a_consultant, morning, store_a_front_desk
):
    roster(store_a, store_a_consultant, morning)
    error = refused(
        "outside_shift",
        store_a,
        customer,
        at(14),
        at(15),
        store_a_front_desk,
        consultant=store_a_consultant,
    )
    assert "consultant" in error.fields


@pytest.mark.parametrize("who", ["doctor", "room", "consultant", "customer"])
def test_refuses_overlaps(
    who,
    store_a,
    customer,
    other_customer,
    doctor_on_duty,
    consultant_on_duty,
    room_1,
    store_a_front_desk,
):
    # given: an appointment 10:00–11:00 with the doctor, consultant and room
    book(
        store_a,
        customer,
        at(10),
        at(11),
        store_a_front_desk,
        doctor=doctor_on_duty,
        consultant=consultant_on_duty,
        room=room_1,
    )
    # when: a second booking at 10:30 sharing only one of them
    extra = {
        "doctor": {"doctor": doctor_on_duty},
        "room": {"room": room_1},
        "consultant": {"consultant": consultant_on_duty},
        "customer": {},
    }[who]
    second_customer = customer if who == "customer" else other_customer
    # then
    error = refused(
        "overlap", store_a, second_customer, at(10, 30), at(11, 30), store_a_front_desk, **extra
    )
    assert "10:00-11:00" in str(error.message)
    if who == "doctor":
        assert doctor_on_duty.name in str(error.message)
    if who == "room":
        assert room_1.name in str(error.message)


def test_touching_intervals_are_allowed(
    store_a, customer, other_customer, doctor_on_duty, room_1, store_a_front_desk
):
    book(store_a, customer, at(10), at(11), store_a_front_desk, doctor=doctor_on_duty, room=room_1)
    after = book(
        store_a,
        other_customer,
        at(11),
        at(12),
        store_a_front_desk,
        doctor=doctor_on_duty,
        room=room_1,
    )
    before = book(
        store_a,
        other_customer,
        at(9),
        at(10),
        store_a_front_desk,
        doctor=doctor_on_duty,
        room=room_1,
    )
    assert Appointment.objects.filter(pk__in=[after.pk, before.pk]).count() == 2


def test_cancelled_and_no_show_appointments_do_not_block(
    store_a, customer, other_customer, doctor_on_duty, store_a_front_desk
):
    first = book(store_a, customer, at(10), at(11), store_a_front_desk, doctor=doctor_on_duty)
    Appointment.objects.filter(pk=first.pk).update(status=Appointment.Status.CANCELLED)
    second = book(
        store_a, other_customer, at(10), at(11), store_a_front_desk, doctor=doctor_on_duty
    )
    Appointment.objects.filter(pk=second.pk).update(status=Appointment.Status.NO_SHOW)
    third = book(store_a, customer, at(10), at(11), store_a_front_desk, doctor=doctor_on_duty)
    assert third.status == Appointment.Status.BOOKED


def test_arrived_appointments_still_block(
    store_a, customer, other_customer, doctor_on_duty, store_a_front_desk
):
    first = book(store_a, customer, at(10), at(11), store_a_front_desk, doctor=doctor_on_duty)
    Appointment.objects.filter(pk=first.pk).update(status=Appointment.Status.ARRIVED)
    refused(
        "overlap",
        store_a,
        other_customer,
        at(10),
        at(11),
        store_a_front_desk,
        doctor=doctor_on_duty,
    )


def test_refuses_end_before_start(store_a, customer, store_a_front_desk):
    refused("invalid_time", store_a, customer, at(11), at(10), store_a_front_desk)
    refused("invalid_time", store_a, customer, at(11), at(11), store_a_front_desk)


def test_refuses_a_past_time_but_allows_a_few_minutes_of_slack(
    store_a, customer, store_a_front_desk, frozen_now, lunch_rest, store_a_doctor
):
    # given: "now" is 08:00 today; the store opens at 09:00, so move to 10:00 today
    from datetime import date

    import time_machine

    today = date(2026, 3, 2)
    with time_machine.travel(at(10, 0, on=today), tick=False):
        refused(
            "past_time",
            store_a,
            customer,
            at(9, 30, on=today),
            at(10, 30, on=today),
            store_a_front_desk,
        )
        walk_in = book(
            store_a, customer, at(9, 57, on=today), at(10, 30, on=today), store_a_front_desk
        )
    assert walk_in.pk


def test_refuses_outside_opening_hours(store_a, customer, store_a_front_desk):
    refused("outside_hours", store_a, customer, at(8, 30), at(9, 30), store_a_front_desk)
    refused("outside_hours", store_a, customer, at(20, 30), at(21, 30), store_a_front_desk)
    refused(
        "outside_hours", store_a, customer, at(20), at(10) + timedelta(days=1), store_a_front_desk
    )


def test_refuses_staff_of_another_store(
    store_a, store_b, customer, store_a_front_desk, chain, full_day
):
    from yanzhi.org.tests.factories import make_staff

    doctor_b = make_staff(chain, "doctor", [store_b], name="B医生")
    roster(store_a, doctor_b, full_day)  # even with a roster entry written by hand
    error = refused(
        "invalid_doctor", store_a, customer, at(10), at(11), store_a_front_desk, doctor=doctor_b
    )
    assert "B医生" in str(error.message)


def test_refuses_a_nurse_as_doctor_and_a_doctor_as_consultant(
    store_a, customer, store_a_nurse, doctor_on_duty, store_a_front_desk
):
    refused(
        "invalid_doctor",
        store_a,
        customer,
        at(10),
        at(11),
        store_a_front_desk,
        doctor=store_a_nurse,
    )
    refused(
        "invalid_consultant",
        store_a,
        customer,
        at(10),
        at(11),
        store_a_front_desk,
        consultant=doctor_on_duty,
    )


def test_refuses_a_room_of_another_store(store_a, store_b, customer, store_a_front_desk):
    from yanzhi.scheduling.models import Room

    room_b = Room.objects.create(org_id=store_b.org_id, store=store_b, name="B1")
    refused("invalid_room", store_a, customer, at(10), at(11), store_a_front_desk, room=room_b)


def test_customer_out_of_scope_is_not_found(store_a, store_b, store_a_front_desk):
    from yanzhi.customers.tests.factories import make_customer

    customer_b = make_customer(store_b, name="浦东客户")
    error = refused("not_found", store_a, customer_b, at(10), at(11), store_a_front_desk)
    assert error.status == 404


def test_consultant_cannot_book_another_consultants_customer(
    store_a, other_customer, store_a_consultant
):
    refused("not_found", store_a, other_customer, at(10), at(11), store_a_consultant)


def test_roles_without_booking_rights_are_refused(store_a, customer, store_a_nurse):
    refused("forbidden", store_a, customer, at(10), at(11), store_a_nurse)


def test_booking_a_chain_customer_in_another_store_links_the_customer(store_a, store_b, hq_admin):
    from yanzhi.customers.tests.factories import make_customer

    customer_b = make_customer(store_b, name="浦东客户")
    book(store_a, customer_b, at(10), at(11), hq_admin)
    assert CustomerStoreLink.objects.filter(customer=customer_b, store=store_a).exists()


def test_error_message_in_english(store_a, customer, doctor_on_duty, store_a_front_desk):
    with translation.override("en"):
        with pytest.raises(BusinessError) as info:
            book(
                store_a, customer, at(17, 30), at(18, 30), store_a_front_desk, doctor=doctor_on_duty
            )
    assert "not on duty" in str(info.value.message)
    assert doctor_on_duty.name in str(info.value.message)
