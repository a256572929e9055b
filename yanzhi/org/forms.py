from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    username = forms.CharField(label=_("登录名"), max_length=50)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, max_length=200)


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label=_("当前密码"), widget=forms.PasswordInput, max_length=200
    )
    new_password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput, max_length=200)
    confirm_password = forms.CharField(
        label=_("确认新密码"), widget=forms.PasswordInput, max_length=200
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") != data.get("confirm_password"):
            self.add_error("confirm_password", _("两次输入的新密码不一致"))
        return data


# --- staff administration (shape only; the rules are in org.services) -------------------------
SEARCH_FIELD_LABELS = {
    "name": _("姓名"),
    "phone": _("手机号"),
    "member_no": _("会员号"),
    "gender": _("性别"),
    "age": _("年龄"),
    "consultant": _("责任咨询师"),
    "doctor": _("责任医生"),
    "source_channel": _("来源渠道"),
    "last_visit_at": _("最近到访"),
    "tags": _("标签"),
    "store": _("所属门店"),
}


def role_choices(scope):
    from yanzhi.org.models import Staff

    roles = Staff.Role.choices
    if scope.store_ids is not None:
        roles = [(value, label) for value, label in roles if value != Staff.Role.HQ]
    return roles


class StaffForm(forms.Form):
    username = forms.CharField(label=_("登录名"), max_length=50)
    name = forms.CharField(label=_("姓名"), max_length=50)
    role = forms.ChoiceField(label=_("角色"))
    stores = forms.ModelMultipleChoiceField(
        label=_("所属门店"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    department = forms.ModelChoiceField(label=_("科室"), queryset=None, required=False)
    group = forms.ModelChoiceField(label=_("小组"), queryset=None, required=False)
    title = forms.CharField(label=_("职称"), max_length=50, required=False)
    mobile = forms.CharField(label=_("手机号"), max_length=20, required=False)
    can_unmask = forms.BooleanField(label=_("可查看完整手机号/身份证号"), required=False)
    is_active = forms.BooleanField(label=_("在职"), required=False, initial=True)

    def __init__(self, *args, scope, **kwargs):
        from yanzhi.org import queries

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(scope)
        self.fields["stores"].queryset = queries.stores_for(scope)
        self.fields["department"].queryset = queries.departments_for(scope)
        self.fields["group"].queryset = queries.groups_for(scope)


class StaffCreateForm(StaffForm):
    password = forms.CharField(
        label=_("初始密码"),
        widget=forms.PasswordInput,
        max_length=200,
        help_text=_("员工首次登录时须修改密码"),
    )
    can_unmask = forms.TypedChoiceField(
        label=_("可查看完整手机号/身份证号"),
        choices=[("", _("按角色默认")), ("1", _("是")), ("0", _("否"))],
        coerce=lambda v: v == "1",
        empty_value=None,
        required=False,
    )

    field_order = ["username", "name", "password", "role", "stores"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["is_active"]


class ResetPasswordForm(forms.Form):
    new_password = forms.CharField(label=_("临时密码"), widget=forms.PasswordInput, max_length=200)


class StaffGroupForm(forms.Form):
    name = forms.CharField(label=_("小组名称"), max_length=50)
    store = forms.ModelChoiceField(label=_("门店"), queryset=None, required=False)
    leader = forms.ModelChoiceField(label=_("组长"), queryset=None, required=False)
    members = forms.ModelMultipleChoiceField(
        label=_("组员"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, scope, **kwargs):
        from yanzhi.org import queries

        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = queries.stores_for(scope)
        people = queries.staff_for(scope).filter(is_active=True).order_by("name", "pk")
        self.fields["leader"].queryset = people
        self.fields["members"].queryset = people


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("科室名称"), max_length=50)


class OrgSettingsForm(forms.Form):
    login_failure_limit = forms.IntegerField(label=_("登录失败锁定次数"))
    login_lock_minutes = forms.IntegerField(label=_("锁定时长(分钟)"))
    password_policy = forms.ChoiceField(label=_("密码策略"))
    session_idle_minutes = forms.IntegerField(label=_("空闲自动退出(分钟)"))

    def __init__(self, *args, **kwargs):
        from yanzhi.org.models import Organization

        super().__init__(*args, **kwargs)
        self.fields["password_policy"].choices = Organization.PasswordPolicy.choices


class StoreSettingsForm(forms.Form):
    opens_at = forms.TimeField(label=_("营业开始"), widget=forms.TimeInput(attrs={"type": "time"}))
    closes_at = forms.TimeField(label=_("营业结束"), widget=forms.TimeInput(attrs={"type": "time"}))
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    phone = forms.CharField(label=_("门店电话"), max_length=30, required=False)
    search_order = forms.ChoiceField(label=_("搜索结果排序"))
    search_fields = forms.MultipleChoiceField(
        label=_("搜索结果显示字段"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("留空时显示默认字段"),
    )
    negative_stock = forms.ChoiceField(
        label=_("负库存"), help_text=_("消耗或调出超过现有库存时的处理方式"), required=False
    )

    def __init__(self, *args, **kwargs):
        from yanzhi.org.models import Store
        from yanzhi.org.services import SEARCH_RESULT_FIELDS

        super().__init__(*args, **kwargs)
        self.fields["search_order"].choices = Store.SearchOrder.choices
        self.fields["negative_stock"].choices = Store.NegativeStock.choices
        self.fields["search_fields"].choices = [
            (name, SEARCH_FIELD_LABELS.get(name, name)) for name in SEARCH_RESULT_FIELDS
        ]

    def clean(self):
        data = super().clean()
        if not data.get("negative_stock"):
            data.pop("negative_stock", None)  # not sent: keep the store's policy
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=50)


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(label=_("操作人"), queryset=None, required=False)
    action = forms.CharField(label=_("操作"), max_length=60, required=False)
    object_type = forms.CharField(label=_("对象类型"), max_length=60, required=False)
    date_from = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, scope, **kwargs):
        from yanzhi.org import queries

        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = queries.staff_for(scope).order_by("name", "pk")
