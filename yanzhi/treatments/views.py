"""Pages and fragments of courses and executions. Plain HTML forms (422 with the errors on bad
input, a redirect on success); a role that may never do something gets 403, a record outside the
viewer's scope 404."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import store_today
from yanzhi.customers.queries import get_customer
from yanzhi.org import policy
from yanzhi.org.decorators import action_view
from yanzhi.org.models import Staff
from yanzhi.org.queries import page_store
from yanzhi.treatments import queries, services
from yanzhi.treatments.forms import ConfirmForm, ExecutionForm, ExtendForm
from yanzhi.visits.queries import get_visit, visits_for

treatment_view = action_view  # signed in, allowed the action; 403/404 as pages show them


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _add_errors(form, error: BusinessError) -> None:
    placed = False
    for field, problems in error.fields.items():
        name = field.removesuffix("_id")
        if name in form.fields:
            for problem in problems:
                form.add_error(name, problem)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def _current_store(request):
    return page_store(request.scope, request.scope.current_store_id, request.user)


# --- the 疗程 tab of the customer profile ---------------------------------------------------------
@require_GET
@treatment_view("treatment.view")
def customer_courses(request, customer_id: int):
    customer = get_customer(request.scope, customer_id)
    # The customer's visit in progress here: executing from the tab records the 治疗 stage on it.
    open_visit = (
        visits_for(request.scope)
        .filter(customer=customer, store_id=request.scope.current_store_id, left_at__isnull=True)
        .order_by("-arrived_at")
        .first()
    )
    context = {
        "customer": customer,
        "open_visit": open_visit,
        **queries.customer_courses(request.scope, customer),
        "can_execute": policy.can(request.scope, "treatment.execute"),
        "can_extend": policy.can(request.scope, "treatment.extend"),
    }
    return render(request, "treatments/courses_fragment.html", context)


# --- today's executions -------------------------------------------------------------------------
@require_GET
@treatment_view("treatment.view")
def today(request):
    store = _current_store(request)
    day = store_today(store)
    executions = queries.executions_of_day(request.scope, store_id=store.pk, day=day)
    mine = request.GET.get("mine") == "1"
    if mine:
        executions = executions.filter(performed_by_id=request.user.pk)
    context = {"store": store, "day": day, "executions": executions, "mine": mine}
    return render(request, "treatments/today.html", context)


# --- executing a session (执行划扣) ----------------------------------------------------------------
@treatment_view("treatment.execute")
def execute(request):
    scope = request.scope
    params = request.POST if request.method == "POST" else request.GET
    entitlement_id = _int(params.get("entitlement") or request.GET.get("entitlement"))
    if entitlement_id is None:
        raise Http404
    entitlement = queries.get_entitlement(scope, entitlement_id)
    visit_id = _int(params.get("visit") or request.GET.get("visit"))
    visit = get_visit(scope, visit_id) if visit_id else None
    if visit is not None and visit.customer_id != entitlement.customer_id:
        raise Http404
    store = visit.store if visit else _current_store(request)
    assistants = Staff.objects.filter(
        org_id=scope.org_id, is_active=True, stores=store, role__in=["doctor", "nurse"]
    ).exclude(pk=request.user.pk)
    form = ExecutionForm(request.POST or None, assistants=assistants)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                execution = services.execute_session(
                    entitlement,
                    by=request.user,
                    sessions=data["sessions"],
                    visit=visit,
                    store=store,
                    assistant=data["assistant"],
                    device=data["device"],
                    energy=data["energy"],
                    dose=data["dose"],
                    injection_sites=data["injection_sites"],
                    lot_no=data["lot_no"],
                    notes=data["notes"],
                )
            except BusinessError as error:
                if error.status in (403, 404):
                    raise
                _add_errors(form, error)
            else:
                messages.success(request, _("已执行划扣,请客户确认"))
                for move in execution.stock_warnings:
                    messages.warning(
                        request,
                        _("注意:%(item)s 库存已为负数(%(quantity)s)")
                        % {"item": move.item.name, "quantity": move.quantity_after},
                    )
                return redirect("treatments:execution-detail", pk=execution.pk)
        status = 422
    context = {
        "form": form,
        "entitlement": entitlement,
        "customer": entitlement.customer,
        "visit": visit,
        "store": store,
        "materials": queries.materials_preview(store, entitlement.item),
    }
    return render(request, "treatments/execute.html", context, status=status)


@require_GET
@treatment_view("treatment.view")
def execution_detail(request, pk: int):
    execution = queries.get_execution(request.scope, pk)
    context = {
        "execution": execution,
        "confirm_form": ConfirmForm(),
        "can_confirm": policy.can(request.scope, "treatment.execute"),
    }
    return render(request, "treatments/execution_detail.html", context)


@require_POST
@treatment_view("treatment.execute")
def execution_confirm(request, pk: int):
    execution = queries.get_execution(request.scope, pk)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        try:
            services.confirm_execution(
                execution, method=form.cleaned_data["method"], by=request.user
            )
        except BusinessError as error:
            if error.status in (403, 404):
                raise
            _add_errors(form, error)
        else:
            messages.success(request, _("客户已确认"))
            return redirect("treatments:execution-detail", pk=pk)
    context = {"execution": execution, "confirm_form": form, "can_confirm": True}
    return render(request, "treatments/execution_detail.html", context, status=422)


@treatment_view("treatment.extend")
def course_extend(request, pk: int):
    entitlement = queries.get_entitlement(request.scope, pk)
    form = ExtendForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.extend_entitlement(entitlement, by=request.user, **form.cleaned_data)
            except BusinessError as error:
                if error.status in (403, 404):
                    raise
                _add_errors(form, error)
            else:
                messages.success(request, _("疗程已延期"))
                return redirect("customers:detail", pk=entitlement.customer_id)
        status = 422
    context = {
        "form": form,
        "entitlement": entitlement,
        "history": queries.extension_history(entitlement),
    }
    return render(request, "treatments/extend.html", context, status=status)


# --- lot search (批号追溯) -------------------------------------------------------------------------
@require_GET
@treatment_view("treatment.view")
def lot_search(request):
    lot = request.GET.get("lot", "").strip()
    executions = list(queries.customers_treated_with_lot(request.scope, lot)[:500])
    context = {"lot": lot, "executions": executions}
    return render(request, "treatments/lots.html", context)
