"""Visits (到访): one per arrival, with its type, triage and stage timestamps."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yanzhi.core.models import TimeStampedModel
from yanzhi.customers.models import VisitType


class Visit(TimeStampedModel):
    class Status(models.TextChoices):
        WAITING = "waiting", _("候诊")
        IN_SERVICE = "in_service", _("接待中")
        LEFT = "left", _("已离店")

    # No single-column index on org (the indexes below lead with it) nor on the staff who
    # registered or confirmed (never read by; staff are never deleted). The store keeps its own:
    # the automatic leave reads a store's open visits without the org.
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="visits"
    )
    appointment = models.OneToOneField(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visit",
    )
    # The store-local calendar day of the arrival: the same-day visit-type rule works on it.
    day = models.DateField()
    visit_type = models.CharField(_("到访类型"), max_length=20, choices=VisitType.choices)
    proposed_visit_type = models.CharField(max_length=20, choices=VisitType.choices)
    type_confirmed_by = models.ForeignKey(
        "org.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    type_confirmed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.WAITING
    )
    consultant = models.ForeignKey(
        "org.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("接诊咨询师"),
    )
    doctor = models.ForeignKey(
        "org.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("接诊医生"),
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    # Stage timestamps: how long each step takes is what a chain manages by.
    arrived_at = models.DateTimeField(_("到店"))
    escorted_at = models.DateTimeField(_("接待"), null=True, blank=True)
    diagnosed_at = models.DateTimeField(_("面诊"), null=True, blank=True)
    treated_at = models.DateTimeField(_("治疗"), null=True, blank=True)
    post_care_at = models.DateTimeField(_("术后护理"), null=True, blank=True)
    left_at = models.DateTimeField(_("离店"), null=True, blank=True)
    left_automatically = models.BooleanField(default=False)
    registered_by = models.ForeignKey(
        "org.Staff", on_delete=models.SET_NULL, null=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    note = models.CharField(_("备注"), max_length=300, blank=True)
    # The customer's source channel, kept on the row so a month's channel statistics count
    # visits without joining every customer of the chain; it follows the customer's channel
    # when that is corrected (customers.services.update_customer).
    customer_channel = models.ForeignKey(
        "customers.SourceChannel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-arrived_at", "-id"]
        constraints = [
            # A customer is in a store at most once at a time (the service says so in words;
            # this guards concurrent registrations).
            models.UniqueConstraint(
                fields=["customer", "store"],
                condition=Q(left_at__isnull=True),
                name="visit_one_open_per_customer_store",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "store", "day", "status"], name="visit_org_store_day"),
            models.Index(fields=["org", "customer", "arrived_at"], name="visit_org_customer"),
            models.Index(fields=["org", "consultant", "day"], name="visit_org_consultant_day"),
            models.Index(fields=["org", "doctor", "day"], name="visit_org_doctor_day"),
            # A month of the chain's visits by channel, read from the index alone (PostgreSQL)
            models.Index(
                fields=["org", "day"],
                include=["store", "customer_channel", "visit_type"],
                name="visit_org_day_figures",
            ),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.day} {self.get_visit_type_display()}"

    STAGES = ("arrived_at", "escorted_at", "diagnosed_at", "treated_at", "post_care_at", "left_at")

    @property
    def is_open(self) -> bool:
        return self.left_at is None

    @property
    def last_stage_at(self):
        """The latest stage timestamp recorded so far (arrival at least)."""
        return max(getattr(self, name) for name in self.STAGES if getattr(self, name))
