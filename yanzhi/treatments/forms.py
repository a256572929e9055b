"""Input shapes of the execution, confirmation and extension forms (rules live in services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yanzhi.treatments.models import Execution


class ExecutionForm(forms.Form):
    sessions = forms.IntegerField(label=_("执行次数"), min_value=1, initial=1)
    device = forms.CharField(label=_("设备"), max_length=100, required=False)
    energy = forms.CharField(label=_("能量"), max_length=100, required=False)
    dose = forms.CharField(label=_("剂量"), max_length=100, required=False)
    injection_sites = forms.CharField(label=_("注射部位"), max_length=200, required=False)
    lot_no = forms.CharField(label=_("产品批号"), max_length=40, required=False)
    # Offers the store's other doctors and nurses; the service enforces the same rule.
    assistant = forms.ModelChoiceField(
        label=_("配台"),
        queryset=None,
        required=False,
        error_messages={"invalid_choice": _("配台人员须为本门店在职的医生或护士")},
    )
    notes = forms.CharField(
        label=_("备注"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, assistants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assistant"].queryset = assistants
        self.fields["assistant"].label_from_instance = lambda staff: staff.name
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class ConfirmForm(forms.Form):
    method = forms.ChoiceField(
        label=_("确认方式"),
        choices=Execution.ConfirmationMethod.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class ExtendForm(forms.Form):
    new_expires_on = forms.DateField(
        label=_("新的有效期"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    reason = forms.CharField(
        label=_("延期原因"), max_length=200, widget=forms.TextInput(attrs={"class": "form-control"})
    )
