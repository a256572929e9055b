"""Customer pages: list and search, create/edit, the 360° profile and its actions, and the
master data pages (tags, channels, consent documents). Every read goes through queries.py,
every write through services.py."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from yanzhi.core.errors import BusinessError
from yanzhi.customers import activity, display, membership, queries, services
from yanzhi.customers.forms import (
    ChannelForm,
    ConsentDocumentForm,
    ConsentForm,
    CustomerForm,
    TagForm,
)
from yanzhi.customers.models import (
    ConsentDocument,
    Customer,
    DealStatus,
    MemberActivity,
    SourceChannel,
    VisitType,
)
from yanzhi.customers.tags import tags_of
from yanzhi.org import policy, settings_cache
from yanzhi.org.models import Store
from yanzhi.org.queries import active_staff_in_store, scope_stores, stores_for

PAGE_SIZE = 20


def _current_store(request) -> Store | None:
    scope = request.scope
    store_id = scope.current_store_id
    if not store_id:
        return None
    # A store role's stores come loaded with the signed-in staff member
    # (org.backends.StaffBackend), the chain's are cached: no query (scope_stores).
    return next((s for s in scope_stores(scope, request.user) if s.pk == store_id), None)


def _add_errors(form, error: BusinessError) -> None:
    if not error.fields:
        form.add_error(None, error.message)
    for field, messages in error.fields.items():
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            form.add_error(field if field in form.fields else None, message)


def _require(request, action: str) -> None:
    """Pages answer a forbidden action with Django's 403 page."""
    if not policy.can(request.scope, action):
        raise PermissionDenied


def _bool_param(value: str) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


def _choices_param(values: list[str], allowed) -> tuple[str, ...]:
    return tuple(v for v in dict.fromkeys(values) if v in allowed)


def _int_param(value: str) -> int | None:
    return int(value) if (value or "").isdigit() else None


def _error_fragment(error: BusinessError, status: int | None = None) -> HttpResponse:
    from django.utils.html import format_html

    return HttpResponse(
        format_html('<div class="alert alert-danger py-1 px-2 small mb-0">{}</div>', error.message),
        status=status or (422 if error.status == 400 else error.status),
    )


# --- list and search --------------------------------------------------------------------------------
@login_required
@vary_on_headers("HX-Request")
def customer_list(request):
    scope = request.scope
    store = _current_store(request)
    filters = queries.ListFilters(
        q=request.GET.get("q", ""),
        consultant_id=_int_param(request.GET.get("consultant")),
        tag_id=_int_param(request.GET.get("tag")),
        source_channel_id=_int_param(request.GET.get("channel")),
        last_visit_type=request.GET.get("last_visit_type", "")
        if request.GET.get("last_visit_type") in VisitType.values
        else "",
        has_allergy=_bool_param(request.GET.get("allergy")),
        phone_verified=_bool_param(request.GET.get("verified")),
        member_level_id=_int_param(request.GET.get("level")),
        deal_statuses=_choices_param(request.GET.getlist("deal_status"), DealStatus.values),
        activities=_choices_param(request.GET.getlist("activity"), MemberActivity.values),
        has_arrears=_bool_param(request.GET.get("arrears")),
    )
    page = queries.customer_list_page(
        scope, filters, store, request.GET.get("page"), per_page=PAGE_SIZE
    )
    fields = [f for f in queries.result_fields(store) if f != "name"]
    context = {
        "page": page,
        "columns": display.columns(fields),
        "rows": page.object_list,
        "fields": fields,
        "filters": filters,
    }
    if request.htmx:
        return render(request, "customers/list.html#rows", context)
    context.update(
        _filter_choices(scope, store.pk if store else None),
        visit_types=VisitType.choices,
        deal_statuses=DealStatus.choices,
        activities=MemberActivity.choices,
    )
    return render(request, "customers/list.html", context)


def _filter_choices(scope, store_id: int | None) -> dict:
    """The list's filter options: the store's consultants and the chain's tags, channels and
    levels, this process's copy while the chain's settings are unchanged (settings_cache
    watches each of them): four statements less on every list page."""

    def load():
        consultants = (
            active_staff_in_store(scope, store_id, roles=[policy.CONSULTANT])
            .select_related(None)
            .only("name")
            if store_id
            else []
        )
        return {
            "consultants": tuple(consultants),
            "tags": tuple(queries.tags_for(scope).only("name")),
            "channels": tuple(queries.channels_for(scope).only("name")),
            "levels": tuple(membership.levels_for(scope).only("name", "is_active")),
        }

    return settings_cache.cached(scope.org_id, ("customer_list_choices", store_id), load)


@login_required
def customer_search(request):
    store = _current_store(request)
    q = request.GET.get("q", "").strip()
    customers = queries.search_customers(request.scope, q, store)
    fields = [f for f in queries.result_fields(store) if f != "name"]
    rows = list(zip(customers, display.search_lines(customers, fields), strict=True))
    return render(request, "customers/search_results.html", {"q": q, "rows": rows})


@login_required
def phone_check(request):
    """The create form's chain-wide look-up as the full number is typed."""
    phone = request.GET.get("phone", "")
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 11:
        return render(request, "customers/form.html#phone-check", {"lookup": None})
    try:
        lookup = queries.lookup_phone(request.scope, phone)
    except BusinessError as error:
        return render(request, "customers/form.html#phone-check", {"error": error.message})
    return render(request, "customers/form.html#phone-check", {"lookup": lookup})


@login_required
def referrer_options(request):
    """Find a referrer by full phone (anywhere in the chain, shown masked) or by name."""
    q = request.GET.get("rq", "").strip()
    options = queries.referrer_candidates(request.scope, q, _current_store(request))
    return render(request, "customers/form.html#referrer-options", {"options": options, "rq": q})


# --- create and edit -------------------------------------------------------------------------------
def _form_context(request, form, store_id, customer=None):
    scope = request.scope
    staff = active_staff_in_store(scope, store_id, roles=list(services.TEAM_ROLES.values()))
    staff = list(staff) if store_id else []
    return {
        "form": form,
        "customer": customer,
        "stores": stores_for(scope) if scope.current_store_id is None else [],
        "store_id": store_id,
        "channels": queries.channels_for(scope, active_only=True),
        "consultants": [s for s in staff if s.role == policy.CONSULTANT],
        "online_consultants": [s for s in staff if s.role == policy.ONLINE],
        "doctors": [s for s in staff if s.role == policy.DOCTOR],
        "can_assign": policy.can(scope, "customer.assign"),
        "tag_list": queries.tags_for(scope),
    }


def _render_form(request, context, status=200):
    template = "customers/form.html" + ("#form" if request.htmx else "")
    return render(request, template, context, status=status)


def _done(request, customer):
    url = f"/customers/{customer.pk}/"
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
def customer_create(request):
    scope = request.scope
    _require(request, "customer.create")
    tag_choices = [(t.pk, t.name) for t in queries.tags_for(scope)]
    form = CustomerForm(request.POST or None, tag_choices=tag_choices)
    store_id = scope.current_store_id or _int_param(request.POST.get("store", ""))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        store = stores_for(scope).filter(pk=store_id).first() if store_id else None
        if store is None:
            form.add_error("store", _("请选择归属门店"))
        else:
            try:
                customer = services.create_customer(
                    store.org,
                    store=store,
                    by=request.user,
                    **{k: v for k, v in data.items() if k != "store"},
                )
            except BusinessError as error:
                _add_errors(form, error)
            else:
                return _done(request, customer)
    status = 422 if form.errors else 200
    return _render_form(request, _form_context(request, form, store_id), status)


@login_required
def customer_edit(request, pk: int):
    scope = request.scope
    _require(request, "customer.edit")
    customer = queries.get_customer_detail(scope, pk)
    tag_choices = [(t.pk, t.name) for t in queries.tags_for(scope)]
    initial = {
        **{f: getattr(customer, f) for f in ("name", "id_card", "gender", "birth_date")},
        **{f: getattr(customer, f) for f in ("salutation", "allergies", "notes")},
        "phone": customer.phone,
        "marketing_consent": customer.marketing_consent,
        "source_channel": customer.source_channel_id,
        "referrer": customer.referrer_id,
        "consultant": customer.consultant_id,
        "online_consultant": customer.online_consultant_id,
        "doctor": customer.doctor_id,
    }
    form = CustomerForm(request.POST or None, initial=initial, tag_choices=tag_choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {f: data[f] for f in services.PROFILE_FIELDS}
        if policy.can(scope, "customer.assign"):
            changes.update({f: data[f] for f in services.TEAM_FIELDS})
        if not data["phone"]:
            changes.pop("phone")
        try:
            services.update_customer(customer, by=request.user, **changes)
        except BusinessError as error:
            _add_errors(form, error)
        else:
            return _done(request, customer)
    context = _form_context(request, form, customer.store_id, customer)
    return _render_form(request, context, 422 if form.errors else 200)


# --- the 360° profile ------------------------------------------------------------------------------
def _profile_context(request, customer):
    """What the 360° page and its partials show; `customer` from queries.customer_profile."""
    scope = request.scope
    consents = list(queries.consents_of(customer, page=True))
    configured = queries.current_consent_kinds(customer.org_id)
    status = {}
    for kind, label in ConsentDocument.Kind.choices:
        current = next(
            (
                c
                for c in consents
                if c.kind == kind and c.withdrawn_at is None and c.document.is_current
            ),
            None,
        )
        status[kind] = {
            "label": label,
            "current": current,
            "configured": kind in configured,
            "outdated": current is None
            and any(c.kind == kind and c.withdrawn_at is None for c in consents),
        }
    try:
        summary = customer.summary
    except Customer.summary.RelatedObjectDoesNotExist:
        summary = None
    tags = queries.tags_marked_for(scope, customer)
    return {
        "customer": customer,
        "summary": summary,
        "dynamic_tags": tags_of(customer),
        "age": display.customer_age(customer),
        "consents": consents,
        "consent_status": status,
        "consent_form": ConsentForm(),
        "can_unmask": scope.can_unmask,
        "all_tags": tags,
        "customer_tags": [t for t in tags if t.applied],
        "sections": _sections(scope, customer),
        "level_changes": list(membership.level_history(customer, page=True)),
        "window_months": membership.window_months(customer.org_id),
    }


def _sections(scope, customer) -> list[tuple[str, str]]:
    """The profile's lazily loaded tabs; other apps serve these fragments (404 shows 暂无)."""
    sections = [
        (name, f"/customers/{customer.pk}/{name}/")
        for name in ("appointments", "visits", "clinical", "courses", "orders")
    ]
    if policy.can(scope, "audit.view"):
        sections.append(("audit", f"/customers/{customer.pk}/audit/"))
    return sections


@login_required
def customer_detail(request, pk: int):
    customer = queries.customer_profile(request.scope, pk)
    return render(request, "customers/detail.html", _profile_context(request, customer))


@login_required
@require_POST
def customer_unmask(request, pk: int):
    customer = queries.get_customer(request.scope, pk)
    field = request.GET.get("field") or request.POST.get("field") or "phone"
    try:
        value = services.unmask_customer(customer, by=request.user, field=field)
    except BusinessError as error:
        return _error_fragment(error)
    return render(request, "customers/detail.html#unmasked", {"value": value, "field": field})


@login_required
@require_POST
def verification_send(request, pk: int):
    customer = queries.get_customer(request.scope, pk)
    context = {"customer": customer, "code_sent": True}
    try:
        services.send_phone_verification(customer, by=request.user)
    except BusinessError as error:
        context["error"] = error.message
        context["code_sent"] = error.code == "resend_too_soon"
    response = render(request, "customers/detail.html#verify-body", context)
    if "error" not in context:
        trigger_client_event(response, "toast", {"value": _("验证码已发送")})
    return response


@login_required
@require_POST
def verification_confirm(request, pk: int):
    customer = queries.get_customer(request.scope, pk)
    try:
        customer = services.confirm_phone_verification(
            customer, request.POST.get("code", ""), by=request.user
        )
    except BusinessError as error:
        context = {"customer": customer, "code_sent": True, "error": error.message}
        return render(request, "customers/detail.html#verify-body", context, status=422)
    return render(request, "customers/detail.html#verify-body", {"customer": customer})


@login_required
@require_POST
def consent_record(request, pk: int):
    customer = queries.get_customer_detail(request.scope, pk)
    form = ConsentForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.record_consent(customer, by=request.user, **form.cleaned_data)
        except BusinessError as exc:
            error = exc.message
    else:
        error = _("请选择同意书类型和签署方式")
    customer = queries.customer_profile(request.scope, pk)
    context = {**_profile_context(request, customer), "consent_error": error}
    return render(request, "customers/detail.html#consents", context, status=422 if error else 200)


@login_required
@require_POST
def consent_withdraw(request, pk: int):
    consent = queries.get_consent(request.scope, pk)
    error = None
    try:
        services.withdraw_consent(consent, by=request.user)
    except BusinessError as exc:
        error = exc.message
    customer = queries.customer_profile(request.scope, consent.customer_id)
    context = {**_profile_context(request, customer), "consent_error": error}
    return render(request, "customers/detail.html#consents", context, status=422 if error else 200)


@login_required
@require_POST
def customer_tags(request, pk: int):
    customer = queries.get_customer(request.scope, pk)
    ids = [int(t) for t in request.POST.getlist("tags") if t.isdigit()]
    error = None
    try:
        services.set_customer_tags(customer, ids, by=request.user)
    except BusinessError as exc:
        error = exc.message
    customer = queries.customer_profile(request.scope, pk)
    context = {**_profile_context(request, customer), "tag_error": error}
    return render(request, "customers/detail.html#tags", context, status=422 if error else 200)


@login_required
def customer_audit(request, pk: int):
    if not policy.can(request.scope, "audit.view"):
        raise Http404
    customer = queries.get_customer(request.scope, pk)
    entries = queries.customer_audit(request.scope, customer)
    return render(request, "customers/audit.html", {"customer": customer, "entries": entries})


# --- master data -----------------------------------------------------------------------------------
@login_required
def tag_list(request):
    _require(request, "tag.manage")
    form = TagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_tag(request.user.org, by=request.user, **form.cleaned_data)
        except BusinessError as error:
            _add_errors(form, error)
        else:
            return redirect("customers:tags")
    context = {"form": form, "tags": queries.tags_for(request.scope)}
    return render(request, "customers/tags.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def tag_edit(request, pk: int):
    _require(request, "tag.manage")
    tag = queries.get_tag(request.scope, pk)
    try:
        if request.POST.get("delete"):
            services.delete_tag(tag, by=request.user)
        else:
            services.update_tag(
                tag, by=request.user, name=request.POST.get("name"), color=request.POST.get("color")
            )
    except BusinessError as error:
        form = TagForm()
        _add_errors(form, error)
        context = {"form": form, "tags": queries.tags_for(request.scope)}
        return render(request, "customers/tags.html", context, status=422)
    return redirect("customers:tags")


@login_required
def channel_list(request):
    _require(request, "channel.manage")
    form = ChannelForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.create_channel(
                request.user.org, name=data["name"], kind=data["kind"], by=request.user
            )
        except BusinessError as error:
            _add_errors(form, error)
        else:
            return redirect("customers:channels")
    context = {
        "form": form,
        "channels": queries.channels_for(request.scope),
        "kinds": SourceChannel.Kind.choices,
    }
    return render(request, "customers/channels.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def channel_edit(request, pk: int):
    _require(request, "channel.manage")
    channel = queries.get_channel(request.scope, pk)
    form = ChannelForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.update_channel(channel, by=request.user, **data)
        except BusinessError as error:
            _add_errors(form, error)
    if form.errors:
        context = {
            "form": form,
            "channels": queries.channels_for(request.scope),
            "kinds": SourceChannel.Kind.choices,
        }
        return render(request, "customers/channels.html", context, status=422)
    return redirect("customers:channels")


@login_required
def consent_documents(request):
    _require(request, "consent_document.manage")
    form = ConsentDocumentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_consent_document(request.user.org, by=request.user, **form.cleaned_data)
        except BusinessError as error:
            _add_errors(form, error)
        else:
            return redirect("customers:consent-documents")
    context = {"form": form, "documents": queries.consent_documents_for(request.scope)}
    return render(
        request, "customers/consent_documents.html", context, status=422 if form.errors else 200
    )


# --- membership levels (会员等级) --------------------------------------------------------------------
def _membership_context(request, *, error=None, level_error=None, posted=None):
    scope = request.scope
    return {
        "levels": membership.levels_for(scope),
        "program": membership.program_of(scope.org_id),
        "can_configure": policy.can(scope, "membership.configure"),
        "error": error,
        "level_error": level_error,
        "posted": posted or {},
    }


def _membership_page(request, status=200, **context):
    name = "customers/membership.html"
    return render(request, name, _membership_context(request, **context), status=status)


@login_required
def membership_levels(request):
    """The chain's levels and rolling window: HQ edits, a store manager reads."""
    _require(request, "membership.view")
    if request.method == "POST":
        _require(request, "membership.configure")
        try:
            membership.create_level(
                request.user.org,
                name=request.POST.get("name", ""),
                min_spend_amount=request.POST.get("min_spend_amount", ""),
                rank=request.POST.get("rank", ""),
                by=request.user,
            )
        except BusinessError as error:
            return _membership_page(request, 422, error=error, posted=request.POST)
        return redirect("customers:membership")
    return _membership_page(request)


@login_required
@require_POST
def membership_level_edit(request, pk: int):
    _require(request, "membership.configure")
    level = membership.get_level(request.scope, pk)
    try:
        membership.update_level(
            level,
            by=request.user,
            name=request.POST.get("name"),
            min_spend_amount=request.POST.get("min_spend_amount"),
            rank=request.POST.get("rank"),
            is_active=request.POST.get("is_active") == "on",
        )
    except BusinessError as error:
        return _membership_page(request, 422, level_error=(level.pk, error))
    return redirect("customers:membership")


@login_required
@require_POST
def membership_program(request):
    _require(request, "membership.configure")
    try:
        membership.set_program(
            request.user.org, window_months=request.POST.get("window_months"), by=request.user
        )
    except BusinessError as error:
        return _membership_page(request, 422, error=error, posted=request.POST)
    return redirect("customers:membership")


# --- member activity thresholds (会员活跃度) -----------------------------------------------------------
@login_required
def member_activity(request):
    """The chain's activity thresholds and how many customers are in each class: HQ edits,
    a store manager reads (their stores' counts)."""
    _require(request, "membership.view")
    scope = request.scope
    error, posted, status = None, {}, 200
    if request.method == "POST":
        _require(request, "membership.configure")
        try:
            activity.set_settings(
                request.user.org,
                new_member_days=request.POST.get("new_member_days"),
                sleeping_days=request.POST.get("sleeping_days"),
                deep_sleep_days=request.POST.get("deep_sleep_days"),
                by=request.user,
            )
        except BusinessError as caught:
            error, posted, status = caught, request.POST, 422
        else:
            return redirect("customers:member-activity")
    context = {
        "settings": activity.settings_of(scope.org_id),
        "counts": activity.counts_for(scope),
        "can_configure": policy.can(scope, "membership.configure"),
        "error": error,
        "posted": posted,
    }
    return render(request, "customers/member_activity.html", context, status=status)
