"""SMS through an outbox. queue_sms() only writes the message (core.SmsMessage) and, once the
transaction commits, enqueues a background task; the worker (manage.py run_worker) hands it to
the configured sender. A web request never talks to the provider. A failed try is retried with
exponential backoff up to the message's attempt limit; a number the provider rejects as invalid
fails at once. Every try is kept (core.SmsAttempt)."""

import logging
import string
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from yanzhi.core.models import SmsAttempt, SmsMessage
from yanzhi.core.validators import MOBILE_RE

log = logging.getLogger("yanzhi.sms")

INVALID_PHONE = "invalid_phone"

# The texts the system sends, with named placeholders. The provider-side template (Tencent's
# TemplateId) carries the same text with numbered variables {1}, {2}… in the same order; the
# values are sent as its parameters (SmsMessage.params) in the order they appear here.
SMS_TEMPLATES = {
    "appointment_reminder": (
        "{称呼}您好,您已预约{日期} {时间}到{门店}就诊,请准时到店。如需改约请致电{电话}。"
    ),
    # Providers approve verification-code templates separately (and send them faster); the
    # code and its lifetime are the template's parameters.
    "phone_verification": "{称呼}您好,您的手机验证码为{验证码},{分钟}分钟内有效。如非本人操作请忽略。",
}


class SmsSendError(Exception):
    """The provider did not take the message. `permanent` errors (an invalid number) are not
    retried; all others are."""

    def __init__(self, code: str, message: str = "", *, permanent: bool = False):
        super().__init__(f"{code}: {message}" if message else code)
        self.code, self.message, self.permanent = code, message or code, permanent


class SmsSender:
    """Interface: hand one message (phone, text, template, params) to the provider and return
    the provider's message id; raise SmsSendError when it is refused."""

    def send(self, message: SmsMessage) -> str:
        raise NotImplementedError


class LogSmsSender(SmsSender):
    """Development and demo default: the message goes to the log, and to SMS_LOG_FILE if set
    (one line per message), and stays in the outbox as sent."""

    def send(self, message: SmsMessage) -> str:
        log.info("SMS to %s: %s", message.phone, message.text)
        if settings.SMS_LOG_FILE:
            path = Path(settings.SMS_LOG_FILE)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as out:
                out.write(f"{timezone.now().isoformat()}\t{message.phone}\t{message.text}\n")
        return f"log-{message.pk}"


def get_sender() -> SmsSender:
    return import_string(settings.SMS_SENDER)()


# --- Texts ------------------------------------------------------------------------------------

COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 轩辕 端木 独孤 南宫 西门 百里".split()
)


def salutation(name: str, gender: str, given: str = "") -> str:
    """How a text addresses the customer: the salutation recorded on the customer if any,
    otherwise surname + 女士/先生 by gender (张女士, 欧阳先生), otherwise the full name."""
    if given.strip():
        return given.strip()
    name = (name or "").strip()
    if not name:
        return ""
    surname = name[:2] if name[:2] in COMPOUND_SURNAMES else name[0]
    if gender == "female":
        return f"{surname}女士"
    if gender == "male":
        return f"{surname}先生"
    return name


def template_fields(template: str) -> list[str]:
    """The placeholder names of a text template, in order of appearance."""
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def render_template(template: str, values: dict) -> tuple[str, list[str]]:
    """The filled text and the parameters in placeholder order (for provider templates).
    A placeholder without a value is an error: a text must never go out half-filled."""
    fields = template_fields(template)
    missing = [field for field in fields if field not in values]
    if missing:
        raise KeyError(f"SMS template needs {', '.join(missing)}")
    return template.format_map(values), [str(values[field]) for field in fields]


# --- Queueing ---------------------------------------------------------------------------------


def queue_sms(
    *,
    org_id: int,
    phone: str,
    purpose: str,
    text: str = "",
    customer_id: int | None = None,
    template: str = "",
    values: dict | None = None,
    dedupe_key: str = "",
) -> SmsMessage:
    """Put one message in the outbox; it is sent by the worker after the caller's transaction
    commits. With a `template` (a key of SMS_TEMPLATES) the text is filled from `values`.
    With a `dedupe_key`, queueing the same key again returns the first message instead."""
    params: list[str] = []
    if template:
        text, params = render_template(SMS_TEMPLATES[template], values or {})
    if dedupe_key:
        existing = SmsMessage.objects.filter(org_id=org_id, dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    now = timezone.now()
    fields = dict(
        org_id=org_id,
        customer_id=customer_id,
        phone=phone,
        text=f"【{settings.SMS_SIGNATURE}】{text}",
        purpose=purpose,
        template=template,
        params=params,
        dedupe_key=dedupe_key,
        attempt_limit=settings.SMS_MAX_ATTEMPTS,
        next_attempt_at=now,
    )
    if not MOBILE_RE.match(phone or ""):
        # Known bad before any try: recorded as failed, never handed to the provider.
        fields.update(
            status=SmsMessage.Status.FAILED,
            next_attempt_at=None,
            error_code=INVALID_PHONE,
            last_error="手机号无效",
        )
    try:
        with transaction.atomic():
            message = SmsMessage.objects.create(**fields)
    except IntegrityError:
        if not dedupe_key:
            raise
        return SmsMessage.objects.get(org_id=org_id, dedupe_key=dedupe_key)
    if message.status == SmsMessage.Status.QUEUED:
        enqueue_delivery(message.pk)
    return message


def enqueue_delivery(message_id: int, *, run_after: datetime | None = None) -> None:
    """Hand the message to the background worker once the current transaction commits."""
    from yanzhi.core.tasks import send_sms

    task = send_sms.using(run_after=run_after) if run_after else send_sms
    transaction.on_commit(partial(task.enqueue, message_id))


# --- Sending (in the worker only) -------------------------------------------------------------


def retry_delay(attempt_number: int) -> timedelta:
    """Exponential backoff after the n-th failed try: base, 2×base, 4×base… at most an hour."""
    seconds = settings.SMS_RETRY_BASE_SECONDS * 2 ** (attempt_number - 1)
    return timedelta(seconds=min(seconds, 3600))


def _claim(message_id: int) -> tuple[SmsMessage, SmsAttempt] | None:
    """Lock a due queued message and mark it as being sent, in its own short transaction, so
    no other worker sends it and a crash mid-send is visible (status "sending")."""
    with transaction.atomic():
        message = SmsMessage.objects.select_for_update().filter(pk=message_id).first()
        now = timezone.now()
        if (
            message is None
            or message.status != SmsMessage.Status.QUEUED
            or (message.next_attempt_at and message.next_attempt_at > now)
        ):
            return None
        message.status = SmsMessage.Status.SENDING
        message.attempt_count += 1
        message.save(update_fields=["status", "attempt_count", "updated_at"])
        attempt = SmsAttempt.objects.create(
            message=message,
            number=message.attempt_count,
            sender=settings.SMS_SENDER.rsplit(".", 1)[-1],
            started_at=now,
        )
    return message, attempt


def deliver(message_id: int) -> SmsMessage | None:
    """Send one due message once (called by the worker's task). Returns None if the message is
    not due (already sent, failed, being sent, or waiting for its next try)."""
    claimed = _claim(message_id)
    if claimed is None:
        return None
    message, attempt = claimed
    provider_id, error = "", None
    try:
        provider_id = get_sender().send(message) or ""
    except SmsSendError as exc:
        error = exc
    except Exception as exc:  # a network error or a bug in the sender: try again later
        log.exception("SMS %s: sender crashed", message.pk)
        error = SmsSendError("sender_error", str(exc))
    return _record_outcome(message, attempt, provider_id, error)


@transaction.atomic
def _record_outcome(
    message: SmsMessage, attempt: SmsAttempt, provider_id: str, error: SmsSendError | None
) -> SmsMessage:
    message = SmsMessage.objects.select_for_update().get(pk=message.pk)
    now = timezone.now()
    attempt.finished_at = now
    if error is None:
        attempt.outcome, attempt.provider_message_id = SmsAttempt.Outcome.SENT, provider_id
        message.status, message.sent_at = SmsMessage.Status.SENT, now
        message.provider_message_id, message.next_attempt_at = provider_id, None
        message.error_code = message.last_error = ""
    else:
        log.warning("SMS %s try %s failed: %s", message.pk, attempt.number, error)
        attempt.error_code, attempt.error = error.code[:60], error.message[:300]
        message.error_code, message.last_error = error.code[:60], error.message[:300]
        if error.permanent or message.attempt_count >= message.attempt_limit:
            attempt.outcome = SmsAttempt.Outcome.FAILED
            message.status, message.next_attempt_at = SmsMessage.Status.FAILED, None
        else:
            attempt.outcome = SmsAttempt.Outcome.RETRY
            message.status = SmsMessage.Status.QUEUED
            message.next_attempt_at = now + retry_delay(attempt.number)
            enqueue_delivery(message.pk, run_after=message.next_attempt_at)
    attempt.save()
    message.save()
    return message


def requeue_stranded(*, now: datetime | None = None) -> int:
    """Safety net run by the worker: a due message whose task was lost (the process died
    between commit and enqueue) is enqueued again, and one left "sending" by a worker that died
    mid-send goes back to the queue (its try stays recorded). Returns how many were requeued."""
    now = now or timezone.now()
    count = 0
    stuck = SmsMessage.objects.filter(
        status=SmsMessage.Status.SENDING, updated_at__lt=now - timedelta(minutes=10)
    )
    for message_id in stuck.values_list("pk", flat=True)[:100]:
        with transaction.atomic():
            message = SmsMessage.objects.select_for_update().get(pk=message_id)
            if message.status != SmsMessage.Status.SENDING:
                continue
            message.attempts.filter(outcome=SmsAttempt.Outcome.SENDING).update(
                outcome=SmsAttempt.Outcome.RETRY, error="worker stopped during the try"
            )
            message.status, message.next_attempt_at = SmsMessage.Status.QUEUED, now
            if message.attempt_count >= message.attempt_limit:
                message.status, message.next_attempt_at = SmsMessage.Status.FAILED, None
            message.save()
            if message.status == SmsMessage.Status.QUEUED:
                enqueue_delivery(message.pk)
                count += 1
    late = now - timedelta(minutes=2)
    overdue = SmsMessage.objects.filter(
        Q(next_attempt_at__lt=late) | Q(next_attempt_at__isnull=True, created_at__lt=late),
        status=SmsMessage.Status.QUEUED,
    )
    for message_id in overdue.values_list("pk", flat=True)[:100]:
        with transaction.atomic():
            enqueue_delivery(message_id)
        count += 1
    return count


@transaction.atomic
def requeue_failed(message: SmsMessage) -> SmsMessage:
    """Give a failed message a fresh set of tries (a manager's retry). An invalid number is not
    retried: correct the customer's phone and send again instead."""
    message = SmsMessage.objects.select_for_update().get(pk=message.pk)
    message.status = SmsMessage.Status.QUEUED
    message.attempt_limit = message.attempt_count + settings.SMS_MAX_ATTEMPTS
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["status", "attempt_limit", "next_attempt_at", "updated_at"])
    enqueue_delivery(message.pk)
    return message
