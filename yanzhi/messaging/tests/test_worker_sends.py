"""A real worker loop (in a thread, against the real database) sends the outbox through the fake
Tencent server: a failure is retried with backoff and the message goes out exactly once; an
invalid number fails at once and is never retried."""

import time

import pytest
from django.db import transaction

from yanzhi.core.models import SmsAttempt, SmsMessage
from yanzhi.core.sms import queue_sms
from yanzhi.messaging.tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def queue(phone="13812345678", **extra) -> SmsMessage:
    with transaction.atomic():  # the task is enqueued when this commits, as in a request
        return queue_sms(org_id=1, phone=phone, purpose="test", text="您好", **extra)


def status_of(message) -> str:
    return SmsMessage.objects.values_list("status", flat=True).get(pk=message.pk)


def test_a_message_survives_a_provider_failure_and_is_sent_exactly_once(fake_tencent, start_worker):
    # given: the provider refuses the first try (rate limit), then accepts
    fake_tencent.answer_next("rate_limit")
    message = queue()
    assert status_of(message) == "queued" and fake_tencent.requests == []  # nothing in-request
    # when
    start_worker()
    wait_for(lambda: status_of(message) == "sent")
    time.sleep(1.0)  # long enough for any duplicate task or retry to show
    # then
    message.refresh_from_db()
    attempts = list(message.attempts.values_list("number", "outcome", "error_code"))
    assert attempts == [(1, "retry", "RequestLimitExceeded"), (2, "sent", "")]
    assert message.attempt_count == 2 and message.provider_message_id.startswith("2433:")
    assert message.last_error == "" and message.sent_at is not None
    assert len(fake_tencent.requests) == 2 and fake_tencent.rejected == []


def test_an_invalid_number_fails_at_once_and_is_not_retried(fake_tencent, start_worker):
    fake_tencent.invalid_numbers.add("+8613900000000")
    message = queue(phone="13900000000")
    start_worker()
    wait_for(lambda: status_of(message) == "failed")
    time.sleep(1.5)  # several backoff periods
    message.refresh_from_db()
    assert message.error_code == "invalid_phone" and message.attempt_count == 1
    assert message.next_attempt_at is None and len(fake_tencent.requests) == 1


def test_retries_stop_at_the_attempt_limit_and_the_failure_stays_visible(
    settings, fake_tencent, start_worker
):
    settings.SMS_MAX_ATTEMPTS = 2
    settings.SMS_RETRY_BASE_SECONDS = 0.1
    fake_tencent.answer_next("internal", "internal", "internal")
    message = queue()
    start_worker()
    wait_for(lambda: status_of(message) == "failed")
    time.sleep(0.8)
    message.refresh_from_db()
    assert message.attempt_count == 2 and message.error_code == "InternalError.Timeout"
    assert list(message.attempts.values_list("outcome", flat=True)) == ["retry", "failed"]
    assert len(fake_tencent.requests) == 2


def test_a_malformed_number_never_reaches_the_provider(fake_tencent, start_worker):
    message = queue(phone="12345")
    assert status_of(message) == "failed"
    start_worker()
    time.sleep(0.5)
    assert fake_tencent.requests == [] and not SmsAttempt.objects.exists()


def test_a_rolled_back_action_sends_nothing(fake_tencent, start_worker):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            queue_sms(org_id=1, phone="13812345678", purpose="test", text="您好")
            raise RuntimeError("the business action failed")
    start_worker()
    time.sleep(0.5)
    assert not SmsMessage.objects.exists() and fake_tencent.requests == []
