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
