"""Input shape of the customer pages; the rules live in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yanzhi.customers.models import Consent, ConsentDocument, Customer, SourceChannel


class CustomerForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=20)
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_card = forms.CharField(label=_("身份证号"), max_length=20, required=False)
    gender = forms.ChoiceField(
        label=_("性别"), choices=Customer.Gender.choices, initial=Customer.Gender.UNKNOWN
    )
    birth_date = forms.DateField(
        label=_("出生日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    salutation = forms.CharField(label=_("称呼"), max_length=30, required=False)
    store = forms.IntegerField(label=_("归属门店"), required=False)
    source_channel = forms.IntegerField(label=_("来源渠道"), required=False)
    referrer = forms.IntegerField(label=_("推荐人"), required=False)
    consultant = forms.IntegerField(label=_("责任咨询师"), required=False)
    online_consultant = forms.IntegerField(label=_("网电咨询师"), required=False)
    doctor = forms.IntegerField(label=_("责任医生"), required=False)
    allergies = forms.CharField(label=_("过敏史"), max_length=300, required=False)
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea)
    tags = forms.TypedMultipleChoiceField(label=_("标签"), coerce=int, required=False, choices=())
    marketing_consent = forms.BooleanField(label=_("同意接收营销信息"), required=False)

    def __init__(self, *args, tag_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].choices = list(tag_choices)


class TagForm(forms.Form):
    name = forms.CharField(label=_("标签名称"), max_length=30)
    color = forms.CharField(label=_("颜色"), max_length=7, initial="#d63384")


class ChannelForm(forms.Form):
    name = forms.CharField(label=_("渠道名称"), max_length=50)
    kind = forms.ChoiceField(label=_("渠道类型"), choices=SourceChannel.Kind.choices)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)


class ConsentDocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=ConsentDocument.Kind.choices)
    title = forms.CharField(label=_("标题"), max_length=100)
    body = forms.CharField(label=_("正文"), widget=forms.Textarea)


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=ConsentDocument.Kind.choices)
    method = forms.ChoiceField(label=_("方式"), choices=Consent.Method.choices)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)
