from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yanzhi.core.errors import BusinessError
from yanzhi.org import queries, services
from yanzhi.org.forms import LoginForm, PasswordChangeForm
from yanzhi.org.middleware import STORE_KEY


def login_view(request):
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    if request.method == "POST" and form.is_valid():
        try:
            staff = services.sign_in(form.cleaned_data["username"], form.cleaned_data["password"])
        except BusinessError as error:
            form.add_error(None, error.message)
        else:
            login(request, staff, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(next_url)
    status = 422 if form.errors else 200
    expired = request.GET.get("expired") == "1"
    return render(
        request,
        "org/login.html",
        {"form": form, "next": next_url, "expired": expired},
        status=status,
    )


@require_POST
def logout_view(request):
    logout(request)
    return redirect("org:login")


@login_required
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_password(
                request.user,
                form.cleaned_data["new_password"],
                by=request.user,
                current_password=form.cleaned_data["current_password"],
            )
        except BusinessError as error:
            for field, problems in error.fields.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            login(request, request.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("密码已修改"))
            return redirect("/")
    return render(
        request,
        "org/password_change.html",
        {"form": form, "expired": request.GET.get("expired") == "1"},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def switch_store(request):
    store = queries.get_store(request.scope, int(request.POST.get("store_id", 0) or 0))
    request.session[STORE_KEY] = store.pk
    return redirect(request.POST.get("next") or "/")
