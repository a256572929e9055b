"""Sending SMS through a pluggable sender. Every message is written to the outbox first
(core.SmsMessage); delivery happens after the transaction commits, so a rolled-back action
never sends a message."""

import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from yanzhi.core.models import SmsMessage

log = logging.getLogger("yanzhi.sms")


class SmsSendError(Exception):
    pass


class SmsSender:
    """Interface: send one text to one mobile number, return the provider's message id."""

    def send(self, phone: str, text: str) -> str:
        raise NotImplementedError


class LogSmsSender(SmsSender):
    """Development and demo default: the message goes to the log (and stays in the outbox)."""

    def send(self, phone: str, text: str) -> str:
        log.info("SMS to %s: %s", phone, text)
        return ""


def get_sender() -> SmsSender:
    return import_string(settings.SMS_SENDER)()


def queue_sms(
    *, org_id: int, phone: str, text: str, purpose: str, customer_id: int | None = None
) -> SmsMessage:
    message = SmsMessage.objects.create(
        org_id=org_id,
        customer_id=customer_id,
        phone=phone,
        text=f"【{settings.SMS_SIGNATURE}】{text}",
        purpose=purpose,
    )
    transaction.on_commit(partial(deliver_sms, message.pk))
    return message


def deliver_sms(message_id: int) -> SmsMessage:
    message = SmsMessage.objects.get(pk=message_id)
    if message.status == SmsMessage.Status.SENT:
        return message
    message.attempt_count += 1
    try:
        message.provider_message_id = get_sender().send(message.phone, message.text) or ""
    except Exception as exc:  # the provider's failure is recorded, never raised into a request
        log.warning("SMS %s failed: %s", message.pk, exc)
        message.status, message.error = SmsMessage.Status.FAILED, str(exc)[:300]
    else:
        message.status, message.sent_at, message.error = SmsMessage.Status.SENT, timezone.now(), ""
    message.save(
        update_fields=["status", "attempt_count", "provider_message_id", "error", "sent_at"]
    )
    return message
