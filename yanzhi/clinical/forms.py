"""Input shape of the clinical forms; the rules live in yanzhi.clinical.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yanzhi.clinical.models import Consultation, Diagnosis, MedicalRecord, Outcome, Photo

TEXTAREA = {"rows": 3, "class": "form-control"}


def _bootstrap(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.Select | forms.RadioSelect):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class ConsultationForm(forms.ModelForm):
    outcome = forms.ChoiceField(
        label=_("咨询结果"),
        choices=[(v, label) for v, label in Outcome.choices if v],
        required=False,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Consultation
        fields = [
            "demands",
            "concerns",
            "recommended_items",
            "quoted_amount",
            "notes",
            "next_contact_on",
        ]
        widgets = {
            "demands": forms.Textarea(attrs=TEXTAREA),
            "concerns": forms.Textarea(attrs=TEXTAREA),
            "recommended_items": forms.Textarea(attrs=TEXTAREA),
            "notes": forms.Textarea(attrs={**TEXTAREA, "rows": 5}),
            "next_contact_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {"next_contact_on": _("选择“预约改天”时必填:约定的到店日期")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
        self.fields["outcome"].widget.attrs["class"] = "form-check-input"

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class DiagnosisForm(forms.ModelForm):
    class Meta:
        model = Diagnosis
        fields = [
            "findings",
            "skin_analysis",
            "plan_items",
            "plan_effect",
            "plan_price_amount",
            "plan_duration",
            "outcome",
        ]
        widgets = {
            "findings": forms.Textarea(attrs=TEXTAREA),
            "skin_analysis": forms.Textarea(attrs=TEXTAREA),
            "plan_items": forms.Textarea(attrs=TEXTAREA),
            "plan_effect": forms.Textarea(attrs=TEXTAREA),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class MedicalRecordForm(forms.ModelForm):
    class Meta:
        model = MedicalRecord
        fields = [
            "chief_complaint",
            "present_illness",
            "past_history",
            "allergy_history",
            "examination",
            "diagnosis",
            "treatment",
            "advice",
        ]
        widgets = {name: forms.Textarea(attrs={**TEXTAREA, "rows": 2}) for name in fields}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class AddendumForm(forms.Form):
    text = forms.CharField(label=_("补充说明"), widget=forms.Textarea(attrs=TEXTAREA))


class PhotoUploadForm(forms.Form):
    """The files come from request.FILES.getlist("files"); each is checked by the service."""

    kind = forms.ChoiceField(label=_("类型"), choices=Photo.Kind.choices)
    body_area = forms.CharField(label=_("部位"), max_length=50, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)
