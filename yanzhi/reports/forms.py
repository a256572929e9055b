"""The report settings form (shape only; the ranges are checked by services). The shared
report filters are parsed by yanzhi.reports.filters and drawn by reports/_filters.html."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yanzhi.reports.models import ReportSettings


class ReportSettingsForm(forms.ModelForm):
    class Meta:
        model = ReportSettings
        fields = [*ReportSettings.WEIGHT_FIELDS, *ReportSettings.TARGET_FIELDS]
        help_texts = {
            "deal_weight": _("项次 = 成交 × 成交权重 + 咨询 × 咨询权重 + 治疗 × 治疗权重")
        }
