"""STAND-IN written on the sales branch (issue 3) so sales can grant and refund courses; the
treatments app (built in parallel) replaces this file on merge."""

from django.db import models
from django.db.models import F, Q

from yanzhi.core.models import TimeStampedModel
from yanzhi.core.money import MoneyField


class Entitlement(TimeStampedModel):
    """A course: sessions of a service item the customer has paid for (疗程)."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")
    sessions_total = models.PositiveIntegerField()
    sessions_used = models.PositiveIntegerField(default=0)
    sessions_revoked = models.PositiveIntegerField(default=0)
    unit_value_amount = MoneyField()
    source_kind = models.CharField(max_length=20)
    source_line_id = models.BigIntegerField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["org_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sessions_total__gte=F("sessions_used") + F("sessions_revoked")),
                name="standin_entitlement_sessions_within_total",
            )
        ]

    def __str__(self):
        return f"entitlement {self.pk}"

    @property
    def remaining(self) -> int:
        return self.sessions_total - self.sessions_used - self.sessions_revoked
