"""Input shapes of the follow-up pages; the rules live in services.py."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from yanzhi.customers.models import DealStatus, MemberActivity, VisitType
from yanzhi.followups.models import (
    Channel,
    FollowupTask,
    OffsetUnit,
    OwnerRole,
    Trigger,
)
from yanzhi.scheduling.models import Appointment

# The rule form shows the rule's nodes and two empty rows; "添加节点" adds more, up to the cap.
SPARE_NODE_ROWS = 2
MAX_NODE_ROWS = 30
NODE_KEYS = ("label", "offset_value", "offset_unit", "owner_role", "channel", "script")
_POSTED_ROW = re.compile(r"^node-(\d+)-")


class Styled:
    """Bootstrap classes on every widget."""

    def style(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class ResultForm(Styled, forms.Form):
    outcome = forms.ChoiceField(label=_("回访结果"), choices=FollowupTask.Outcome.choices)
    satisfaction = forms.TypedChoiceField(
        label=_("满意度"),
        choices=[("", "—")] + [(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    dissatisfaction_reason = forms.ChoiceField(
        label=_("不满意原因"),
        choices=[("", "—"), *FollowupTask.Reason.choices],
        required=False,
    )
    notes = forms.CharField(
        label=_("回访记录"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    abnormal = forms.BooleanField(label=_("术后异常,上报医生"), required=False)
    abnormal_description = forms.CharField(label=_("异常情况"), max_length=300, required=False)
    next_appointment_at = forms.DateTimeField(
        label=_("预约下次到店"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    next_appointment_purpose = forms.ChoiceField(
        label=_("预约类型"), choices=Appointment.Purpose.choices, initial="checkup", required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class RuleForm(Styled, forms.Form):
    name = forms.CharField(label=_("规则名称"), max_length=60, required=False)
    trigger = forms.ChoiceField(label=_("触发条件"), choices=Trigger.choices)
    store_id = forms.TypedChoiceField(
        label=_("适用门店"), coerce=int, empty_value=None, required=False
    )
    wait_days = forms.IntegerField(label=_("等待天数"), required=False, initial=0)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    deal_statuses = forms.MultipleChoiceField(
        label=_("成交标签"),
        choices=DealStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    last_visit_types = forms.MultipleChoiceField(
        label=_("最近一次到访类型"),
        choices=VisitType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    activities = forms.MultipleChoiceField(
        label=_("会员活跃度"),
        choices=MemberActivity.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    has_allergy = forms.TypedChoiceField(
        label=_("过敏史"),
        choices=[("", _("不限")), ("1", _("有过敏史")), ("0", _("无过敏史"))],
        coerce=lambda v: v == "1",
        empty_value=None,
        required=False,
    )
    has_arrears = forms.TypedChoiceField(
        label=_("欠费"),
        choices=[("", _("不限")), ("1", _("有欠费")), ("0", _("无欠费"))],
        coerce=lambda v: v == "1",
        empty_value=None,
        required=False,
    )
    dates = forms.CharField(
        label=_("日期"),
        max_length=300,
        required=False,
        help_text=_(
            "节日/指定日期:每年的“月-日”如 03-08,或某年的“年-月-日”如 2027-02-06,用逗号分隔"
        ),
    )
    item_ids = forms.TypedMultipleChoiceField(label=_("项目"), coerce=int, required=False)
    department_ids = forms.TypedMultipleChoiceField(
        label=_("科室"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, stores=(), items=(), departments=(), chain_wide=True, **kwargs):
        super().__init__(*args, **kwargs)
        store_choices = [(s.pk, s.name) for s in stores]
        self.fields["store_id"].choices = (
            [("", _("全部门店"))] if chain_wide else []
        ) + store_choices
        self.fields["item_ids"].choices = [(i.pk, i.name) for i in items]
        self.fields["department_ids"].choices = [(d.pk, d.name) for d in departments]
        self.style()

    def date_list(self) -> list[str]:
        """The dates typed in, split on commas, 、 or spaces (the service checks them)."""
        text = self.cleaned_data.get("dates") or ""
        for separator in (",", "、", ";", ";", "\n"):
            text = text.replace(separator, ",")
        return [part.strip() for chunk in text.split(",") for part in chunk.split() if part]


def empty_node_row(n: int) -> dict:
    return {**dict.fromkeys(NODE_KEYS, ""), "n": n}


def node_rows(data, nodes=()) -> list[dict]:
    """The node rows of the rule form: posted values (as many rows as were posted), else the
    rule's nodes followed by spare empty rows. A row whose script and offset are both empty is
    not a node."""
    if data is not None:
        posted = {int(m.group(1)) for key in data if (m := _POSTED_ROW.match(key))}
        indexes = sorted(n for n in posted if n < MAX_NODE_ROWS)
        return [
            {**{key: (data.get(f"node-{n}-{key}") or "").strip() for key in NODE_KEYS}, "n": n}
            for n in indexes
        ]
    rows = [
        {
            "n": n,
            "label": node.label,
            "offset_value": str(node.offset_value),
            "offset_unit": node.offset_unit,
            "owner_role": node.owner_role,
            "channel": node.channel,
            "script": node.script,
        }
        for n, node in enumerate(nodes)
    ]
    count = min(len(rows) + SPARE_NODE_ROWS, MAX_NODE_ROWS)
    return rows + [empty_node_row(n) for n in range(len(rows), count)]


CHOICES = {
    "units": OffsetUnit.choices,
    "roles": OwnerRole.choices,
    "channels": Channel.choices,
}


class AdviceForm(Styled, forms.Form):
    item_id = forms.TypedChoiceField(label=_("项目"), coerce=int)
    text = forms.CharField(
        label=_("医嘱内容"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item_id"].choices = [(i.pk, i.name) for i in items]
        self.style()


class WindowsForm(Styled, forms.Form):
    windows = forms.CharField(
        label=_("回访时段"),
        help_text=_("每行一个时段,如 11:00-12:30"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()

    def pairs(self) -> list[tuple[str, str]]:
        rows = []
        for line in self.cleaned_data["windows"].splitlines():
            line = line.strip().replace("–", "-").replace("~", "-")
            if line:
                start, _sep, end = line.partition("-")
                rows.append((start.strip(), end.strip()))
        return rows


class StatsForm(Styled, forms.Form):
    start = forms.DateField(label=_("开始日期"), required=False)
    end = forms.DateField(label=_("结束日期"), required=False)
    store_id = forms.TypedChoiceField(label=_("门店"), coerce=int, empty_value=None, required=False)

    def __init__(self, *args, stores=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store_id"].choices = [("", _("全部门店"))] + [(s.pk, s.name) for s in stores]
        self.style()
