"""Base classes and the chain-wide records every app writes to: the audit log and the SMS outbox."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditLog(models.Model):
    """Who did what to which record, with the values before and after. Append-only: database
    triggers (migration 0002) refuse UPDATE and DELETE, and no view or endpoint writes here
    except through yanzhi.core.audit."""

    org_id = models.BigIntegerField(db_index=False)
    store_id = models.BigIntegerField(null=True, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org_id", "object_type", "object_id"], name="audit_org_object"),
            models.Index(fields=["org_id", "actor_id", "created_at"], name="audit_org_actor"),
            models.Index(fields=["org_id", "created_at"], name="audit_org_time"),
        ]

    def __str__(self):
        return (
            f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"
        )

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field named in either snapshot, for display."""
        before, after = self.before or {}, self.after or {}
        keys = list(dict.fromkeys([*before, *after]))
        return [(key, before.get(key), after.get(key)) for key in keys]


class SmsMessage(models.Model):
    """Every SMS the system sends: the outbox before sending and the record after. Only the
    background worker sends (yanzhi.core.sms.deliver); each try is kept as an SmsAttempt."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    org_id = models.BigIntegerField()
    customer_id = models.BigIntegerField(null=True, blank=True)
    phone = models.CharField(max_length=20)
    text = models.TextField()
    purpose = models.CharField(max_length=40)
    # The provider-side template (e.g. Tencent's TemplateId is looked up by this key) and its
    # parameters in order; empty for free text.
    template = models.CharField(max_length=40, blank=True)
    params = models.JSONField(default=list, blank=True)
    # Set by callers that must never send the same message twice (e.g. one reminder per
    # appointment); unique per org when not empty.
    dedupe_key = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempt_count = models.PositiveIntegerField(default=0)
    attempt_limit = models.PositiveIntegerField(default=5)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=100, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org_id", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="sms_dedupe_key_unique_in_org",
            )
        ]
        indexes = [
            models.Index(fields=["org_id", "status", "created_at"], name="sms_org_status"),
            models.Index(fields=["org_id", "customer_id"], name="sms_org_customer"),
            models.Index(fields=["status", "next_attempt_at"], name="sms_due"),
        ]

    def __str__(self):
        from yanzhi.core.validators import mask_phone

        return f"{mask_phone(self.phone)} {self.purpose} {self.status}"


class SmsAttempt(models.Model):
    """One try to hand a message to the provider, with what the provider answered."""

    class Outcome(models.TextChoices):
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        RETRY = "retry", _("稍后重试")
        FAILED = "failed", _("发送失败")

    message = models.ForeignKey(SmsMessage, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    sender = models.CharField(max_length=60)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SENDING)
    provider_message_id = models.CharField(max_length=100, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["message_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["message", "number"], name="sms_attempt_number_unique")
        ]

    def __str__(self):
        return f"#{self.message_id}/{self.number} {self.outcome}"
