"""Input shapes of the marketing pages (rules live in services.py)."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from yanzhi.marketing.queries import WINDOWS


class Styled:
    def style(self):
        for f in self.fields.values():
            if isinstance(f.widget, forms.Select):
                f.widget.attrs.setdefault("class", "form-select")
            elif not isinstance(f.widget, forms.HiddenInput | forms.CheckboxInput):
                f.widget.attrs.setdefault("class", "form-control")


class MonthField(forms.CharField):
    """An <input type="month"> value ("2026-03") as the first day of that month."""

    widget = forms.TextInput(attrs={"type": "month"})

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        try:
            year, month = value[:7].split("-")
            return date(int(year), int(month), 1)
        except ValueError:
            raise forms.ValidationError(_("请选择月份")) from None


class PeriodForm(Styled, forms.Form):
    start = forms.DateField(label=_("开始日期"), required=False)
    end = forms.DateField(label=_("结束日期"), required=False)
    store_id = forms.TypedChoiceField(label=_("门店"), coerce=int, empty_value=None, required=False)

    def __init__(self, *args, stores=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store_id"].choices = [("", _("全部门店"))] + [(s.pk, s.name) for s in stores]
        self.style()


class RepurchaseForm(PeriodForm):
    window = forms.TypedChoiceField(
        label=_("所处窗口"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", _("全部"))] + [(n, _("%(n)s个月内") % {"n": n}) for n in WINDOWS],
    )


class FollowupForm(forms.Form):
    customer_ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    all = forms.BooleanField(required=False)
    title = forms.CharField(max_length=100, required=False)
    due_on = forms.DateField(required=False)
    store_id = forms.IntegerField(required=False)
    window = forms.IntegerField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ids = self.data.getlist("customer_ids") if hasattr(self.data, "getlist") else []
        self.fields["customer_ids"].choices = [(v, v) for v in ids if str(v).isdigit()]


class CostForm(Styled, forms.Form):
    month = MonthField(label=_("月份"))
    store_id = forms.TypedChoiceField(label=_("门店"), coerce=int, empty_value=None, required=False)
    channel_id = forms.TypedChoiceField(label=_("渠道"), coerce=int)
    amount = forms.DecimalField(label=_("费用(元)"), max_digits=12, decimal_places=2)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, stores=(), channels=(), chain_wide=False, **kwargs):
        super().__init__(*args, **kwargs)
        first = [("", _("全连锁(不分门店)"))] if chain_wide else []
        self.fields["store_id"].choices = first + [(s.pk, s.name) for s in stores]
        self.fields["channel_id"].choices = [(c.pk, c.name) for c in channels]
        self.style()


class VoucherForm(Styled, forms.Form):
    phone = forms.CharField(label=_("客户手机号"), max_length=20, required=False)
    customer_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    channel_id = forms.TypedChoiceField(label=_("平台"), coerce=int)
    code = forms.CharField(label=_("券码"), max_length=64)
    item_id = forms.TypedChoiceField(label=_("核销项目"), coerce=int)
    settlement_amount = forms.DecimalField(
        label=_("结算金额(元)"), max_digits=12, decimal_places=2, min_value=0
    )

    def __init__(self, *args, channels=(), items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel_id"].choices = [(c.pk, c.name) for c in channels]
        self.fields["item_id"].choices = [(i.pk, i.name) for i in items]
        self.style()


class ReverseForm(forms.Form):
    reason = forms.CharField(max_length=200, required=False)
