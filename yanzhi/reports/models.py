"""Per-chain report settings (报表设置): the weights of 项次 and the target duration of every
visit stage. One row per chain, edited by HQ; a chain without a row uses the defaults."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yanzhi.core.models import TimeStampedModel

WEIGHT = {"max_digits": 5, "decimal_places": 2}

# The defaults (docs/reports.md): a deal is worth one 项次, a consultation and a treatment half.
DEFAULT_WEIGHTS = {
    "deal_weight": Decimal("1.00"),
    "consultation_weight": Decimal("0.50"),
    "treatment_weight": Decimal("0.50"),
}
# Target minutes per visit stage (到店→接待 … →离店, and the whole visit).
DEFAULT_TARGETS = {
    "reception_target_minutes": 10,
    "diagnosis_target_minutes": 20,
    "treatment_target_minutes": 30,
    "post_care_target_minutes": 60,
    "leave_target_minutes": 20,
    "total_target_minutes": 150,
}


class ReportSettings(TimeStampedModel):
    org = models.OneToOneField(
        "org.Organization", on_delete=models.PROTECT, related_name="report_settings"
    )
    deal_weight = models.DecimalField(_("成交权重"), default=Decimal("1.00"), **WEIGHT)
    consultation_weight = models.DecimalField(_("咨询权重"), default=Decimal("0.50"), **WEIGHT)
    treatment_weight = models.DecimalField(_("治疗权重"), default=Decimal("0.50"), **WEIGHT)
    reception_target_minutes = models.PositiveSmallIntegerField(
        _("到店→接待目标(分钟)"), default=10
    )
    diagnosis_target_minutes = models.PositiveSmallIntegerField(
        _("接待→面诊目标(分钟)"), default=20
    )
    treatment_target_minutes = models.PositiveSmallIntegerField(
        _("面诊→治疗目标(分钟)"), default=30
    )
    post_care_target_minutes = models.PositiveSmallIntegerField(
        _("治疗→术后护理目标(分钟)"), default=60
    )
    leave_target_minutes = models.PositiveSmallIntegerField(_("→离店目标(分钟)"), default=20)
    total_target_minutes = models.PositiveSmallIntegerField(_("全程目标(分钟)"), default=150)
    updated_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    WEIGHT_FIELDS = tuple(DEFAULT_WEIGHTS)
    TARGET_FIELDS = tuple(DEFAULT_TARGETS)

    class Meta:
        ordering = ["org_id"]
        verbose_name = _("报表设置")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    deal_weight__gte=0, consultation_weight__gte=0, treatment_weight__gte=0
                ),
                name="report_weights_non_negative",
            ),
        ]

    def __str__(self):
        return f"report settings of {self.org_id}"
