"""Pages of the visits app: today's work, the day's visits, arrival, the visit page."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import store_today
from yanzhi.customers.queries import get_customer
from yanzhi.org import policy
from yanzhi.org.queries import get_scope_store, get_staff, stores_for
from yanzhi.visits import queries, services
from yanzhi.visits.forms import ArrivalForm, StageForm, TriageForm, VisitTypeForm
from yanzhi.visits.models import Visit


def _store(request):
    """The store the page is about: ?store_id= or the staff member's current store."""
    raw = request.GET.get("store_id") or request.scope.current_store_id
    if not raw:
        return None
    try:
        return get_scope_store(request.scope, int(raw), request.user)
    except (TypeError, ValueError) as error:
        raise Http404 from error


def _day(request, store):
    try:
        return date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return store_today(store) if store else timezone.localdate()


@login_required
@vary_on_headers("HX-Request")
def today(request):
    store = _store(request)
    if store is None:
        return render(request, "visits/today.html", {"stores": stores_for(request.scope)})
    q, part = request.GET.get("q", ""), request.GET.get("part")
    day, now = store_today(store), timezone.now()
    if request.htmx and part == "queue":
        waiting = queries.waiting_queue(request.scope, store, day, now, q=q, page=True)
        return render(request, "visits/today.html#queue", {"store": store, "queue": waiting})
    if request.htmx and part == "left":
        left = queries.left_visits_today(request.scope, store, day, q=q)
        return render(request, "visits/today.html#left_rows", {"rows": left})
    context = queries.today_board(request.scope, store, day, now, q=q, page=True)
    context["q"] = q
    if request.htmx and part == "lists":
        return render(request, f"visits/today.html#{part}", context)
    return render(request, "visits/today.html", context)


@login_required
@vary_on_headers("HX-Request")
def visit_list(request):
    store = _store(request)
    day = _day(request, store)
    status = request.GET.get("status") if request.GET.get("status") in Visit.Status else None
    q = request.GET.get("q", "")
    visits = queries.visits_on(request.scope, day, store=store, q=q, status=status)[:300]
    context = {
        "store": store,
        "day": day,
        "visits": visits,
        "q": q,
        "status": status,
        "statuses": Visit.Status.choices,
    }
    name = "visits/visit_list.html" + ("#rows" if request.htmx else "")
    return render(request, name, context)


def _arrival_context(request, form=None):
    scope, store = request.scope, _store(request)
    data = request.POST if request.method == "POST" else request.GET
    appointment = customer = None
    if data.get("appointment_id"):
        appointment = queries.get_appointment(scope, int(data["appointment_id"]))
        customer = appointment.customer
        store = appointment.store
    elif data.get("phone"):
        customer = queries.arrival_customer(scope, phone=data["phone"])
    elif data.get("customer_id"):
        customer = queries.arrival_customer(scope, customer_id=int(data["customer_id"]))
    proposal = None
    if customer is not None and store is not None:
        proposal = services.propose_visit_type(customer, store, appointment=appointment)
    if form is None:
        form = ArrivalForm(
            initial={
                "customer_id": customer.pk if customer and not data.get("phone") else None,
                "phone": data.get("phone", "") if customer else "",
                "appointment_id": appointment.pk if appointment else None,
                "visit_type": proposal,
            }
        )
    q = request.GET.get("q", "")
    return {
        "store": store,
        "customer": customer,
        "appointment": appointment,
        "proposal": proposal,
        "form": form,
        "q": q,
        "results": queries.search_arrival_customers(scope, q) if q and not customer else [],
        "open_visit": (
            Visit.objects.filter(customer=customer, store=store, left_at__isnull=True).first()
            if customer and store
            else None
        ),
    }


@login_required
@vary_on_headers("HX-Request")
def visit_new(request):
    if request.method == "POST":
        form = ArrivalForm(request.POST)
        context = _arrival_context(request, form)
        if form.is_valid() and context["store"] is not None and context["customer"] is not None:
            try:
                policy.require(request.scope, "visit.register")
                visit = services.register_arrival(
                    context["store"],
                    customer=context["customer"],
                    appointment=context["appointment"],
                    visit_type=form.cleaned_data["visit_type"],
                    note=form.cleaned_data["note"],
                    by=request.user,
                )
            except BusinessError as error:
                form.add_error(None, error.message)
            else:
                if visit.type_coerced:
                    messages.warning(
                        request,
                        _("同一天客户多次到访,到访类型以当天第一次到访为准:%(type)s")
                        % {"type": visit.get_visit_type_display()},
                    )
                messages.success(request, _("已登记到店"))
                return redirect("visits:visit-detail", pk=visit.pk)
        return render(request, "visits/visit_new.html", context, status=422)
    context = _arrival_context(request)
    if request.htmx and request.GET.get("q") is not None and not context["customer"]:
        return render(request, "visits/visit_new.html#results", context)
    return render(request, "visits/visit_new.html", context)


def _detail_context(request, visit, **extra):
    scope = request.scope
    store = visit.store
    today = store_today(store)
    consultants = queries.triage_candidates(scope, store, roles=[policy.CONSULTANT], day=today)
    doctors = queries.triage_candidates(scope, store, roles=[policy.DOCTOR], day=today)
    stamps = [
        (field, services.STAGE_LABELS[field], getattr(visit, field)) for field in Visit.STAGES
    ]
    timeline, previous = [], None
    for field, label, moment in stamps:
        minutes = None
        if moment and previous:
            minutes = int((moment - previous).total_seconds() // 60)
        timeline.append({"field": field, "label": label, "at": moment, "minutes": minutes})
        previous = moment or previous
    return {
        "visit": visit,
        "customer": visit.customer,
        "timeline": timeline,
        "stage_buttons": [
            (stage, services.STAGE_LABELS[field])
            for stage, field in services.STAGE_FIELDS.items()
            if getattr(visit, field) is None
        ],
        "consultants": consultants,
        "doctors": doctors,
        "type_form": VisitTypeForm(initial={"visit_type": visit.visit_type}),
        **extra,
    }


@login_required
def visit_detail(request, pk):
    visit = queries.get_visit(request.scope, pk)
    return render(request, "visits/visit_detail.html", _detail_context(request, visit))


def _panel(request, pk, action):
    """Run one action on a visit and answer with the refreshed panel (422 with the message)."""
    visit = queries.get_visit(request.scope, pk)
    try:
        action(visit)
    except BusinessError as error:
        fresh = queries.get_visit(request.scope, pk)
        context = _detail_context(request, fresh, error=error.message)
        if not request.htmx:
            messages.error(request, error.message)
            return redirect("visits:visit-detail", pk=pk)
        return render(request, "visits/visit_detail.html#panel", context, status=422)
    if not request.htmx:
        return redirect("visits:visit-detail", pk=pk)
    fresh = queries.get_visit(request.scope, pk)
    return render(request, "visits/visit_detail.html#panel", _detail_context(request, fresh))


@login_required
@require_POST
def visit_confirm_type(request, pk):
    form = VisitTypeForm(request.POST)
    visit_type = form.data.get("visit_type", "")
    return _panel(
        request,
        pk,
        lambda visit: services.confirm_visit_type(visit, visit_type=visit_type, by=request.user),
    )


@login_required
@require_POST
def visit_triage(request, pk):
    form = TriageForm(request.POST)
    form.is_valid()
    data = form.cleaned_data

    def act(visit):
        consultant = (
            get_staff(request.scope, data["consultant_id"]) if data.get("consultant_id") else None
        )
        doctor = get_staff(request.scope, data["doctor_id"]) if data.get("doctor_id") else None
        services.triage(visit, consultant=consultant, doctor=doctor, by=request.user)

    return _panel(request, pk, act)


@login_required
def visit_staff_picker(request, pk):
    """The consultant or doctor options of the triage form, filtered by keyword."""
    visit = queries.get_visit(request.scope, pk)
    role = request.GET.get("role")
    if role not in (policy.CONSULTANT, policy.DOCTOR):
        raise Http404
    people = queries.triage_candidates(
        request.scope,
        visit.store,
        roles=[role],
        day=store_today(visit.store),
        q=request.GET.get("q", "").strip(),
        include_off_shift=request.GET.get("all") == "1",
    )
    people = list(people)
    # A keyword narrows the list and picks its first match, so typing "赵" is enough.
    picked = people[0].pk if request.GET.get("q", "").strip() and people else None
    context = {"people": people, "role": role, "visit": visit, "picked": picked}
    return render(request, "visits/visit_detail.html#picker", context)


@login_required
@require_POST
def visit_stage(request, pk):
    form = StageForm(request.POST)
    stage = form.data.get("stage", "")
    return _panel(
        request, pk, lambda visit: services.record_stage(visit, stage=stage, by=request.user)
    )


@login_required
@require_POST
def visit_leave(request, pk):
    return _panel(request, pk, lambda visit: services.leave(visit, by=request.user))


@login_required
def customer_visits(request, pk):
    """The customer's visits for the 360° profile (an htmx fragment)."""
    customer = get_customer(request.scope, pk)
    visits = (
        queries.visits_for(request.scope)
        .filter(customer_id=customer.pk)
        .select_related(*queries.VISIT_RELATED)
        .order_by("-arrived_at", "-id")[:100]
    )
    return render(request, "visits/customer_visits.html", {"customer": customer, "visits": visits})
