from datetime import date
from functools import wraps

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from yanzhi.core import queries as core_queries
from yanzhi.core.errors import BusinessError
from yanzhi.org import policy, queries, services
from yanzhi.org.forms import (
    ApiTokenForm,
    AuditFilterForm,
    DepartmentForm,
    LoginForm,
    OrgSettingsForm,
    PasswordChangeForm,
    ResetPasswordForm,
    StaffCreateForm,
    StaffForm,
    StaffGroupForm,
    StoreSettingsForm,
    role_choices,
)
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
            login(request, staff, backend="yanzhi.org.backends.StaffBackend")
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
            login(request, request.user, backend="yanzhi.org.backends.StaffBackend")
            messages.success(request, _("密码已修改"))
            return redirect("/")
    return render(
        request,
        "org/password_change.html",
        {
            "form": form,
            "expired": request.GET.get("expired") == "1",
            "reset": request.user.must_change_password,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def switch_store(request):
    store_id = request.POST.get("store_id", "")
    store = queries.get_store(request.scope, int(store_id) if store_id.isdigit() else 0)
    request.session[STORE_KEY] = store.pk
    next_url = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(next_url if safe else "/")


# --- helpers ------------------------------------------------------------------------------------
def requires(action: str):
    """Signed in, and the role may perform `action` (org.policy); otherwise 403."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not policy.can(request.scope, action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _add_errors(form, error: BusinessError) -> None:
    """A refused business action becomes form errors (field errors where the field exists)."""
    if error.code == "not_found":
        raise Http404
    placed = False
    for field, problems in error.fields.items():
        for problem in problems if isinstance(problems, list | tuple) else [problems]:
            form.add_error(field if field in form.fields else None, problem)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def _int(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


# --- staff --------------------------------------------------------------------------------------
@vary_on_headers("HX-Request")
@requires("staff.view")
def staff_list(request):
    active = {"1": True, "0": False}.get(request.GET.get("active", "1"))
    filters = {
        "store_id": _int(request.GET.get("store")),
        "role": request.GET.get("role", ""),
        "group_id": _int(request.GET.get("group")),
        "active": active,
        "q": request.GET.get("q", ""),
    }
    page = Paginator(queries.staff_list(request.scope, **filters), 50).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "query": query.urlencode(),
        "filters": filters,
        "active": request.GET.get("active", "1"),
        "stores": queries.stores_for(request.scope),
        "groups": queries.groups_for(request.scope),
        "roles": role_choices(request.scope),
        "now": _now(),
    }
    name = "org/staff_list.html" + ("#rows" if request.htmx else "")
    return render(request, name, context)


def _now():
    return timezone.now()


@requires("staff.manage")
def staff_create(request):
    form = StaffCreateForm(request.POST or None, scope=request.scope)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff = services.create_staff(
                request.user.org,
                username=data["username"],
                name=data["name"],
                role=data["role"],
                stores=list(data["stores"]),
                password=data["password"],
                mobile=data["mobile"],
                title=data["title"],
                department=data["department"],
                group=data["group"],
                can_unmask=data["can_unmask"],
                by=request.user,
            )
        except BusinessError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("已创建员工账号 %(name)s") % {"name": staff.name})
            return redirect("org:staff-detail", pk=staff.pk)
    return render(
        request, "org/staff_form.html", {"form": form}, status=422 if form.errors else 200
    )


@requires("staff.view")
def staff_detail(request, pk: int):
    staff = queries.get_staff(request.scope, pk)
    initial = {
        "username": staff.username,
        "name": staff.name,
        "role": staff.role,
        "stores": list(staff.stores.all()),
        "department": staff.department_id,
        "group": staff.group_id,
        "title": staff.title,
        "mobile": staff.mobile,
        "can_unmask": staff.can_unmask,
        "is_active": staff.is_active,
    }
    form = StaffForm(request.POST or None, initial=initial, scope=request.scope)
    if request.method == "POST":
        if not policy.can(request.scope, "staff.manage"):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_staff(
                    staff,
                    by=request.user,
                    stores=list(data["stores"]),
                    username=data["username"],
                    name=data["name"],
                    role=data["role"],
                    department=data["department"],
                    group=data["group"],
                    title=data["title"],
                    mobile=data["mobile"],
                    can_unmask=data["can_unmask"],
                    is_active=data["is_active"],
                )
            except BusinessError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("已保存"))
                return redirect("org:staff-detail", pk=staff.pk)
    context = {
        "staff": staff,
        "form": form,
        "reset_form": ResetPasswordForm(),
        "log": queries.staff_change_log(staff),
        "locked": staff.locked_until is not None and staff.locked_until > _now(),
    }
    return render(request, "org/staff_detail.html", context, status=422 if form.errors else 200)


@requires("staff.manage")
@require_POST
def staff_unlock(request, pk: int):
    staff = queries.get_staff(request.scope, pk)
    try:
        services.unlock_staff(staff, by=request.user)
    except BusinessError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已解除锁定"))
    return redirect("org:staff-detail", pk=staff.pk)


@requires("staff.manage")
@require_POST
def staff_reset_password(request, pk: int):
    staff = queries.get_staff(request.scope, pk)
    form = ResetPasswordForm(request.POST)
    if form.is_valid():
        try:
            services.reset_password(staff, form.cleaned_data["new_password"], by=request.user)
        except BusinessError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("密码已重置,员工下次登录时须修改密码"))
            return redirect("org:staff-detail", pk=staff.pk)
    for problem in [*form.non_field_errors(), *form.errors.get("new_password", [])]:
        messages.error(request, problem)
    return redirect("org:staff-detail", pk=staff.pk)


# --- groups -------------------------------------------------------------------------------------
@requires("staff.view")
def group_list(request):
    form = StaffGroupForm(request.POST or None, scope=request.scope)
    if request.method == "POST":
        if not policy.can(request.scope, "staff.manage"):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.create_staff_group(
                    request.user.org,
                    name=data["name"],
                    store=data["store"],
                    leader=data["leader"],
                    members=data["members"],
                    by=request.user,
                )
            except BusinessError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("已创建小组"))
                return redirect("org:group-list")
    context = {"groups": queries.groups_for(request.scope), "form": form}
    return render(request, "org/group_list.html", context, status=422 if form.errors else 200)


@requires("staff.view")
def group_detail(request, pk: int):
    group = queries.get_group(request.scope, pk)
    initial = {
        "name": group.name,
        "store": group.store_id,
        "leader": group.leader_id,
        "members": list(group.members.all()),
    }
    form = StaffGroupForm(request.POST or None, initial=initial, scope=request.scope)
    if request.method == "POST":
        if not policy.can(request.scope, "staff.manage"):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_staff_group(
                    group,
                    name=data["name"],
                    store=data["store"],
                    leader=data["leader"],
                    members=data["members"],
                    by=request.user,
                )
            except BusinessError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("已保存"))
                return redirect("org:group-list")
    context = {"group": group, "form": form}
    return render(request, "org/group_detail.html", context, status=422 if form.errors else 200)


# --- departments --------------------------------------------------------------------------------
@requires("staff.view")
def department_list(request):
    form = DepartmentForm(request.POST or None)
    if request.method == "POST":
        if not policy.can(request.scope, "org.settings"):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.create_department(
                    request.user.org, name=form.cleaned_data["name"], by=request.user
                )
            except BusinessError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("已添加科室"))
                return redirect("org:department-list")
    context = {"departments": queries.departments_for(request.scope), "form": form}
    return render(request, "org/department_list.html", context, status=422 if form.errors else 200)


@requires("org.settings")
@require_POST
def department_rename(request, pk: int):
    department = queries.get_department(request.scope, pk)
    form = DepartmentForm(request.POST)
    if form.is_valid():
        try:
            services.rename_department(department, name=form.cleaned_data["name"], by=request.user)
        except BusinessError as error:
            _add_errors(form, error)
    if form.errors:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, problem)
    else:
        messages.success(request, _("已保存"))
    return redirect("org:department-list")


# --- settings -----------------------------------------------------------------------------------
def _store_initial(store) -> dict:
    return {
        "opens_at": store.opens_at,
        "closes_at": store.closes_at,
        "address": store.address,
        "phone": store.phone,
        "search_order": store.search_order,
        "search_fields": store.search_fields,
        "negative_stock": store.negative_stock,
    }


@requires("store.settings")
def settings_page(request):
    scope = request.scope
    stores = list(queries.stores_for(scope))
    store_id = _int(request.GET.get("store")) or scope.current_store_id
    store = next((s for s in stores if s.pk == store_id), stores[0] if stores else None)
    org = request.user.org
    org_form = store_form = None
    status = 200
    if policy.can(scope, "org.settings"):
        org_form = OrgSettingsForm(
            request.POST if request.POST.get("form") == "org" else None,
            initial={name: getattr(org, name) for name in services.ORG_SETTING_FIELDS},
        )
    if store is not None:
        store_form = StoreSettingsForm(
            request.POST if request.POST.get("form") == "store" else None,
            initial=_store_initial(store),
        )
    if request.method == "POST":
        form = org_form if request.POST.get("form") == "org" else store_form
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                if form is org_form:
                    services.update_org_settings(org, by=request.user, **form.cleaned_data)
                else:
                    services.update_store_settings(store, by=request.user, **form.cleaned_data)
            except BusinessError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("设置已保存"))
                return redirect(f"{request.path}?store={store.pk if store else ''}")
        status = 422
    context = {"org_form": org_form, "store_form": store_form, "store": store, "stores": stores}
    return render(request, "org/settings.html", context, status=status)


# --- period closing (关账) ------------------------------------------------------------------------
@requires("period.close")
def period_closing(request):
    """A store's last twelve months with their closing state; POST closes one month."""
    scope = request.scope
    stores = list(queries.stores_for(scope))
    store_id = _int(request.POST.get("store") or request.GET.get("store")) or scope.current_store_id
    store = next((s for s in stores if s.pk == store_id), stores[0] if stores else None)
    if request.method == "POST":
        if store is None or store.pk != _int(request.POST.get("store")):
            raise Http404
        try:
            month = date.fromisoformat(request.POST.get("month", ""))
        except ValueError as error:
            raise Http404 from error
        try:
            services.close_period(store, month=month, by=request.user)
        except BusinessError as error:
            if error.status == 404:
                raise Http404 from error
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(month)s 已关账") % {"month": f"{month:%Y-%m}"})
        return redirect(f"{request.path}?store={store.pk}")
    months = queries.period_months(scope, store) if store else []
    return render(
        request,
        "org/period_closing.html",
        {"store": store, "stores": stores, "months": months},
    )


# --- API tokens ---------------------------------------------------------------------------------
@login_required
def api_token_list(request):
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_key = services.create_api_token(
                request.user, name=form.cleaned_data["name"], by=request.user
            )
        except BusinessError as error:
            _add_errors(form, error)
        else:
            form = ApiTokenForm()
    context = {
        "tokens": queries.api_tokens_for(request.scope),
        "form": form,
        "new_key": new_key,
    }
    return render(request, "org/api_tokens.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    token = queries.get_api_token(request.scope, pk)
    try:
        services.revoke_api_token(token, by=request.user)
    except BusinessError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("令牌已撤销"))
    return redirect("org:api-token-list")


# --- audit log (read-only) ----------------------------------------------------------------------
@vary_on_headers("HX-Request")
@require_safe
@requires("audit.view")
def audit_log(request):
    form = AuditFilterForm(request.GET or None, scope=request.scope)
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "actor_id": data["actor"].pk if data["actor"] else None,
            "action": data["action"],
            "object_type": data["object_type"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
    rows = core_queries.search_audit_log(request.scope, **filters)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    name = "org/audit_log.html" + ("#rows" if request.htmx else "")
    return render(request, name, context)
