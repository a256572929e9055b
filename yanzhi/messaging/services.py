"""Writes on the SMS record (sending itself is yanzhi.core.sms, in the worker)."""

from django.db import transaction
from django.utils.translation import gettext as _

from yanzhi.core import audit, sms
from yanzhi.core.errors import BusinessError
from yanzhi.core.models import SmsMessage
from yanzhi.org import policy
from yanzhi.org.models import Staff


@transaction.atomic
def retry_message(message: SmsMessage, *, by: Staff) -> SmsMessage:
    """A failed message is queued again with a fresh set of tries (the worker sends it). A
    message to an invalid number is not: correct the customer's phone and send a new one."""
    if by is None or by.role not in policy.ACTIONS["message.retry"]:
        raise BusinessError("forbidden", _("您的角色无权执行此操作"), status=403)
    message = SmsMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != SmsMessage.Status.FAILED:
        raise BusinessError("message_not_failed", _("只有发送失败的短信可以重发"))
    if message.error_code == sms.INVALID_PHONE:
        raise BusinessError(
            "invalid_phone", _("手机号无效,不能重发;请先更正客户手机号"), status=422
        )
    before = {"status": message.status, "attempt_count": message.attempt_count}
    message = sms.requeue_failed(message)
    audit.record(
        by,
        "message.retried",
        message,
        before=before,
        after={"status": message.status, "attempt_limit": message.attempt_limit},
    )
    return message
