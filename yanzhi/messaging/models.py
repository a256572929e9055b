"""The record of scheduled job runs (the outbox itself is core.SmsMessage)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobRun(models.Model):
    """One run of a scheduled job for one store and period (the store-local day, ISO). The
    unique constraint is what makes a period run at most once, even with several workers."""

    class Status(models.TextChoices):
        RUNNING = "running", _("运行中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("失败")

    job = models.CharField(max_length=60)
    org_id = models.BigIntegerField()
    store_id = models.BigIntegerField()
    period = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    attempt_count = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "store_id", "period"], name="job_run_once_per_period"
            )
        ]
        indexes = [models.Index(fields=["org_id", "job", "period"], name="job_run_org_job")]

    def __str__(self):
        return f"{self.job} {self.store_id} {self.period} {self.status}"
