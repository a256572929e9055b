"""Input shapes for the visit pages; the rules live in yanzhi.visits.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yanzhi.customers.models import VisitType
from yanzhi.visits.services import STAGE_FIELDS


class ArrivalForm(forms.Form):
    customer_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    phone = forms.CharField(required=False, max_length=11, widget=forms.HiddenInput)
    appointment_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    visit_type = forms.ChoiceField(label=_("到访类型"), choices=VisitType.choices)
    note = forms.CharField(label=_("备注"), required=False, max_length=300)

    def clean(self):
        data = super().clean()
        if not (data.get("customer_id") or data.get("phone") or data.get("appointment_id")):
            raise forms.ValidationError(_("请先选择客户"))
        return data


class VisitTypeForm(forms.Form):
    visit_type = forms.ChoiceField(label=_("到访类型"), choices=VisitType.choices)


class TriageForm(forms.Form):
    consultant_id = forms.IntegerField(required=False)
    doctor_id = forms.IntegerField(required=False)


class StageForm(forms.Form):
    stage = forms.ChoiceField(choices=[(s, s) for s in STAGE_FIELDS])
