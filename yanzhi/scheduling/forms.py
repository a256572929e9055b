"""Input shape of the scheduling pages; the rules live in services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yanzhi.scheduling.models import Appointment, Room

TIME_WIDGET = forms.TimeInput(attrs={"type": "time", "class": "form-control"}, format="%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


class SlotForm(forms.Form):
    """Day, start, end and who/where: shared by booking and rescheduling."""

    day = forms.DateField(label=_("日期"), widget=DATE_WIDGET)
    start = forms.TimeField(label=_("开始时间"), widget=TIME_WIDGET)
    end = forms.TimeField(label=_("结束时间"), widget=TIME_WIDGET)
    doctor = forms.ModelChoiceField(
        label=_("医生"), queryset=None, required=False, empty_label=_("不指定")
    )
    consultant = forms.ModelChoiceField(
        label=_("咨询师"), queryset=None, required=False, empty_label=_("不指定")
    )
    room = forms.ModelChoiceField(
        label=_("诊室/仪器"), queryset=None, required=False, empty_label=_("不指定")
    )

    def __init__(self, *args, doctors, consultants, rooms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doctor"].queryset = doctors
        self.fields["consultant"].queryset = consultants
        self.fields["room"].queryset = rooms
        for name in ("doctor", "consultant", "room"):
            self.fields[name].widget.attrs["class"] = "form-select"


class BookingForm(SlotForm):
    customer = forms.IntegerField(
        label=_("客户"), widget=forms.HiddenInput, error_messages={"required": _("请先选择客户")}
    )
    purpose = forms.ChoiceField(
        label=_("预约类型"),
        choices=Appointment.Purpose.choices,
        initial=Appointment.Purpose.CONSULTATION,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    items = forms.CharField(
        label=_("意向项目"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    note = forms.CharField(
        label=_("备注"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("取消原因"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        error_messages={"required": _("请填写取消原因")},
    )


class ShiftTypeForm(forms.Form):
    name = forms.CharField(
        label=_("班次名称"), max_length=30, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    starts_at = forms.TimeField(label=_("开始时间"), widget=TIME_WIDGET)
    ends_at = forms.TimeField(label=_("结束时间"), widget=TIME_WIDGET)
    is_rest = forms.BooleanField(
        label=_("休息班"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    color = forms.CharField(
        label=_("颜色"),
        max_length=7,
        initial="#0d6efd",
        widget=forms.TextInput(attrs={"type": "color", "class": "form-control form-control-color"}),
    )
    chain_wide = forms.BooleanField(
        label=_("全连锁通用"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class RoomForm(forms.Form):
    name = forms.CharField(
        label=_("名称"), max_length=50, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=Room.Kind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    department = forms.ModelChoiceField(
        label=_("科室"),
        queryset=None,
        required=False,
        empty_label=_("不限"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
