"""Appointment reminders: the day before, one SMS per booked appointment, addressed by the
customer's salutation, never twice; the worker's schedule runs it at the store's reminder time."""

from datetime import datetime, timedelta

import time_machine

from yanzhi.core.models import SmsMessage
from yanzhi.core.sms import salutation
from yanzhi.customers.tests.factories import make_customer
from yanzhi.messaging.models import JobRun
from yanzhi.messaging.schedule import run_due_jobs
from yanzhi.scheduling.models import Appointment

TOMORROW_10 = datetime.fromisoformat("2026-03-03 10:00+08:00")


def book(store, customer, starts_at, **extra):
    return Appointment.objects.create(
        org_id=store.org_id,
        store=store,
        customer=customer,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        **extra,
    )


def test_salutations():
    assert salutation("张小红", "female") == "张女士"
    assert salutation("李雷", "male") == "李先生"
    assert salutation("欧阳娜娜", "female") == "欧阳女士"
    assert salutation("王五", "unknown") == "王五"
    assert salutation("王五", "male", "王总") == "王总"


def test_reminders_go_out_the_day_before_once_per_appointment(store_a, store_b):
    # given
    store_a.phone = "021-5555"
    store_a.save()
    her = make_customer(store_a, name="张小红", gender="female")
    him = make_customer(store_a, name="李雷", gender="male")
    book(store_a, her, TOMORROW_10)
    book(store_a, him, TOMORROW_10 + timedelta(hours=4))
    book(store_a, him, TOMORROW_10 + timedelta(days=1))  # the day after: not yet
    book(store_a, her, TOMORROW_10 - timedelta(hours=2), status=Appointment.Status.CANCELLED)
    # when: the schedule runs at 10:00 the day before, and the worker looks again later
    with time_machine.travel("2026-03-02 10:01 +08:00", tick=False):
        run_due_jobs()
        run_due_jobs()
    with time_machine.travel("2026-03-02 18:00 +08:00", tick=False):
        run_due_jobs()
    # then
    texts = dict(
        SmsMessage.objects.filter(purpose="appointment_reminder").values_list("customer_id", "text")
    )
    assert SmsMessage.objects.filter(purpose="appointment_reminder").count() == 2
    assert texts[her.pk] == (
        "【颜值】张女士您好,您已预约3月3日 10:00到静安店就诊,请准时到店。如需改约请致电021-5555。".replace(
            "静安店", store_a.name
        )
    )
    assert texts[him.pk].startswith("【颜值】李先生您好,您已预约3月3日 14:00")
    reminder = SmsMessage.objects.get(customer_id=her.pk)
    assert reminder.template == "appointment_reminder" and reminder.params[0] == "张女士"
    run = JobRun.objects.get(job="appointment_reminders", store_id=store_a.pk)
    assert run.period == "2026-03-02" and run.result == "2 reminder(s)"


def test_a_missed_reminder_day_is_not_caught_up(store_a):
    customer = make_customer(store_a, name="张小红", gender="female")
    book(store_a, customer, TOMORROW_10 - timedelta(days=1))  # Monday's appointment
    # the worker was down on Sunday, the reminder day for Monday
    with time_machine.travel("2026-03-02 10:01 +08:00", tick=False):
        run_due_jobs()
    assert not SmsMessage.objects.filter(purpose="appointment_reminder").exists()


def test_no_shows_are_marked_by_the_schedule_after_midnight(store_a):
    customer = make_customer(store_a)
    appointment = book(store_a, customer, TOMORROW_10 - timedelta(days=1))
    with time_machine.travel("2026-03-03 00:11 +08:00", tick=False):
        run_due_jobs()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.NO_SHOW
    run = JobRun.objects.get(job="mark_no_shows", store_id=store_a.pk, period="2026-03-03")
    assert run.status == "succeeded" and run.result == "1 no-show(s)"
