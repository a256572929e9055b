"""SMS follow-ups send themselves when they fall due, once; greetings need marketing consent."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from yanzhi.core.models import SmsMessage
from yanzhi.customers.models import Customer
from yanzhi.followups.models import FollowupTask
from yanzhi.messaging.schedule import run_frequent_jobs

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def sms_task(customer, owner, *, kind="executed", due="2026-03-16 11:00", cause="test:sms"):
    return FollowupTask.objects.create(
        org_id=customer.org_id,
        store=customer.store,
        customer=customer,
        kind=kind,
        cause=cause,
        title="术后7天内短信",
        channel="sms",
        owner_role="nurse",
        owner=owner,
        script="赵女士您好,术后第7天,请继续按医嘱护理。",
        due_at=datetime.fromisoformat(due).replace(tzinfo=SHANGHAI),
    )


def test_an_sms_follow_up_goes_out_when_due_and_only_once(customer, store_a_nurse, at):
    # given an after-care SMS due at 11:00
    task = sms_task(customer, store_a_nurse)
    # when the worker passes before it is due
    at("2026-03-16 10:59")
    assert run_frequent_jobs() == 0
    assert not SmsMessage.objects.exists()
    # when it passes at 11:00, and again
    at("2026-03-16 11:00")
    assert run_frequent_jobs() == 1
    assert run_frequent_jobs() == 0
    # then one SMS with the script is queued and the task is closed as sent
    sms = SmsMessage.objects.get()
    assert sms.text.endswith("赵女士您好,术后第7天,请继续按医嘱护理。")
    assert (sms.customer_id, sms.purpose) == (customer.pk, "followup")
    task.refresh_from_db()
    assert (task.status, task.outcome) == ("done", "sms_sent")


def test_an_invalid_number_closes_the_task_as_wrong_number(customer, store_a_nurse, at):
    Customer.objects.filter(pk=customer.pk).update(phone="02166668888")
    customer.refresh_from_db()
    task = sms_task(customer, store_a_nurse)
    at("2026-03-16 11:30")
    run_frequent_jobs()
    task.refresh_from_db()
    assert task.outcome == "wrong_number"
    assert SmsMessage.objects.get().status == "failed"


def test_a_birthday_greeting_needs_marketing_consent(customer, store_a_service, at):
    # given two birthday greetings: the customer has not consented to marketing
    first = sms_task(customer, store_a_service, kind="birthday", cause="birthday:1")
    at("2026-03-16 11:00")
    run_frequent_jobs()
    first.refresh_from_db()
    assert first.outcome == "no_consent" and not SmsMessage.objects.exists()
    # when the customer consents, the next greeting goes out
    Customer.objects.filter(pk=customer.pk).update(marketing_consent=True)
    second = sms_task(customer, store_a_service, kind="birthday", cause="birthday:2")
    run_frequent_jobs()
    second.refresh_from_db()
    assert second.outcome == "sms_sent" and SmsMessage.objects.count() == 1
