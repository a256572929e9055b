"""Pages: the appointment day and week views, booking, appointment detail, the roster grid,
shift types and rooms. Each view: scoped get → parse → one service call → render."""

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import store_datetime, store_today, to_store_time
from yanzhi.customers.queries import customers_for, get_customer
from yanzhi.org import policy
from yanzhi.org import queries as org_queries
from yanzhi.org.models import Staff
from yanzhi.scheduling import queries, services
from yanzhi.scheduling.forms import BookingForm, CancelForm, RoomForm, ShiftTypeForm, SlotForm
from yanzhi.scheduling.models import Appointment

# BusinessError fields named like the service arguments → the form's fields.
FORM_FIELDS = {"starts_at": "start", "ends_at": "end", "reason": "reason"}


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _store(request):
    """The store a page works on: ?store= (inside the scope) or the staff member's current store."""
    store_id = _int(request.GET.get("store") or request.POST.get("store"))
    store_id = store_id or request.scope.current_store_id
    return org_queries.page_store(request.scope, store_id, request.user)


def _day(request, store) -> date:
    try:
        return date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return store_today(store)


def _form_errors(form, error: BusinessError) -> None:
    """Put a refused action's message on the form (404/403 stay what they are)."""
    if error.status == 404:
        raise Http404
    if error.status == 403:
        raise PermissionDenied(str(error.message))
    placed = False
    for name, problems in error.fields.items():
        name = FORM_FIELDS.get(name, name)
        if name in form.fields:
            for problem in problems:
                form.add_error(name, problem)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def _common(request, store):
    return {
        "store": store,
        "stores": org_queries.scope_stores(request.scope, request.user),
        "departments": org_queries.departments_for(request.scope),
    }


# --- appointments ------------------------------------------------------------------------------
@login_required
def day_view(request):
    store = _store(request)
    day = _day(request, store)
    by = request.GET.get("by", "doctor")
    department_id = _int(request.GET.get("department"))
    view = queries.day_view(
        request.scope, store, day, by=by, department_id=department_id, page=True
    )
    return render(
        request,
        "scheduling/day.html",
        {
            **_common(request, store),
            "view": view,
            "rows": view.rows(),
            "day": day,
            "prev_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "today": store_today(store),
            "department_id": department_id,
            "can_book": policy.can(request.scope, "appointment.book"),
        },
    )


@login_required
def week_view(request):
    store = _store(request)
    monday = queries.monday_of(_day(request, store))
    by = request.GET.get("by", "doctor")
    department_id = _int(request.GET.get("department"))
    rows = queries.week_view(request.scope, store, monday, by=by, department_id=department_id)
    return render(
        request,
        "scheduling/week.html",
        {
            **_common(request, store),
            "rows": rows,
            "by": by if by in ("doctor", "consultant", "room") else "doctor",
            "days": [monday + timedelta(days=i) for i in range(7)],
            "monday": monday,
            "prev_week": monday - timedelta(days=7),
            "next_week": monday + timedelta(days=7),
            "department_id": department_id,
        },
    )


def _slot_form(store, *args, form_class=SlotForm, **kwargs):
    return form_class(
        *args,
        doctors=queries.bookable_staff(store, queries.DOCTOR_ROLES),
        consultants=queries.bookable_staff(store, queries.CONSULTANT_ROLES),
        rooms=store.rooms.filter(is_active=True).order_by("kind", "name"),
        **kwargs,
    )


def _slot(store, data) -> tuple[datetime, datetime]:
    return (
        store_datetime(store, data["day"], data["start"]),
        store_datetime(store, data["day"], data["end"]),
    )


@login_required
def book(request):
    store = _store(request)
    if not policy.can(request.scope, "appointment.book"):
        raise PermissionDenied
    if request.method == "POST":
        form = _slot_form(store, request.POST, form_class=BookingForm)
        if form.is_valid():
            data = form.cleaned_data
            starts_at, ends_at = _slot(store, data)
            try:
                appointment = services.book_appointment(
                    store,
                    customer=get_customer(request.scope, data["customer"]),
                    starts_at=starts_at,
                    ends_at=ends_at,
                    purpose=data["purpose"],
                    doctor=data["doctor"],
                    consultant=data["consultant"],
                    room=data["room"],
                    items=data["items"],
                    note=data["note"],
                    by=request.user,
                )
            except BusinessError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("预约已登记"))
                url = reverse("scheduling:appointment-detail", args=[appointment.pk])
                return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    else:
        initial = {"day": _day(request, store), "purpose": Appointment.Purpose.CONSULTATION}
        start = request.GET.get("start", "")
        try:
            begins = time.fromisoformat(start)
            initial["start"] = begins
            initial["end"] = (datetime.combine(date.min, begins) + timedelta(minutes=60)).time()
        except ValueError:
            pass
        for name in ("doctor", "consultant", "room", "customer"):
            if _int(request.GET.get(name)):
                initial[name] = _int(request.GET.get(name))
        form = _slot_form(store, initial=initial, form_class=BookingForm)
    customer_id = _int(form["customer"].value())
    customer = customers_for(request.scope).filter(pk=customer_id).first() if customer_id else None
    template = "scheduling/book.html" + ("#form" if request.htmx else "")
    return render(
        request,
        template,
        {**_common(request, store), "form": form, "customer": customer},
        status=422 if form.errors else 200,
    )


@login_required
def customer_search(request):
    """Customers for the booking form: full phone, phone tail, name, pinyin or initials."""
    q = (request.GET.get("q") or "").strip()
    results = []
    if q:
        qs = customers_for(request.scope)
        if q.isdigit():
            qs = qs.filter(Q(phone=q) | Q(phone_tail=q) | Q(member_no=q))
        else:
            lowered = q.lower()
            qs = qs.filter(
                Q(name__icontains=q)
                | Q(name_pinyin__startswith=lowered)
                | Q(name_initials__startswith=lowered)
                | Q(member_no__iexact=q)
            )
        results = list(qs.select_related("consultant").order_by("name", "pk")[:10])
    return render(request, "scheduling/book.html#results", {"results": results, "q": q})


@login_required
def appointment_detail(request, pk):
    appointment = queries.get_appointment(request.scope, pk)
    store = appointment.store
    return render(
        request,
        "scheduling/detail.html",
        {
            "appointment": appointment,
            "store": store,
            "cancel_form": CancelForm(),
            "can_cancel": policy.can(request.scope, "appointment.cancel"),
            "can_book": policy.can(request.scope, "appointment.book"),
            "started": appointment.starts_at <= timezone.now(),
        },
    )


@login_required
def reschedule(request, pk):
    appointment = queries.get_appointment(request.scope, pk)
    store = appointment.store
    if request.method == "POST":
        form = _slot_form(store, request.POST)
        if form.is_valid():
            starts_at, ends_at = _slot(store, form.cleaned_data)
            try:
                services.reschedule_appointment(
                    appointment,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    doctor=form.cleaned_data["doctor"],
                    consultant=form.cleaned_data["consultant"],
                    room=form.cleaned_data["room"],
                    by=request.user,
                )
            except BusinessError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("预约已改期"))
                url = reverse("scheduling:appointment-detail", args=[appointment.pk])
                return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    else:
        local_start = to_store_time(store, appointment.starts_at)
        form = _slot_form(
            store,
            initial={
                "day": local_start.date(),
                "start": local_start.time(),
                "end": to_store_time(store, appointment.ends_at).time(),
                "doctor": appointment.doctor_id,
                "consultant": appointment.consultant_id,
                "room": appointment.room_id,
            },
        )
    template = "scheduling/reschedule.html" + ("#form" if request.htmx else "")
    return render(
        request,
        template,
        {"appointment": appointment, "store": store, "form": form},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def cancel(request, pk):
    appointment = queries.get_appointment(request.scope, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_appointment(
                appointment, reason=form.cleaned_data["reason"], by=request.user
            )
        except BusinessError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("预约已取消"))
            url = reverse("scheduling:appointment-detail", args=[appointment.pk])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return render(
        request,
        "scheduling/detail.html#cancel",
        {"appointment": appointment, "cancel_form": form},
        status=422,
    )


@login_required
@require_POST
def no_show(request, pk):
    appointment = queries.get_appointment(request.scope, pk)
    try:
        services.mark_no_show(appointment, by=request.user)
    except BusinessError as error:
        if error.status == 403:
            raise PermissionDenied(str(error.message)) from error
        messages.error(request, error.message)
    else:
        messages.success(request, _("已登记爽约"))
    url = reverse("scheduling:appointment-detail", args=[appointment.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
def customer_appointments(request, customer_id):
    """The customer's appointments for the 360° page (a fragment; 404 outside the scope)."""
    customer = get_customer(request.scope, customer_id)
    appointments = queries.customer_appointments(request.scope, customer.pk)[:50]
    return render(
        request,
        "scheduling/customer_appointments.html",
        {"customer": customer, "appointments": appointments},
    )


# --- roster ------------------------------------------------------------------------------------
def _cell_context(request, store, staff, day, error=None):
    entries = list(
        queries.roster_entries_for(request.scope)
        .filter(store_id=store.pk, staff_id=staff.pk, day=day)
        .order_by("starts_at")
    )
    return {
        "store": store,
        "member": staff,
        "cell_day": day,
        "entries": entries,
        "working": queries.working_time(entries, store),
        "shift_types": queries.shift_types_for(request.scope, store_id=store.pk),
        "can_manage": policy.can(request.scope, "roster.manage"),
        "error": error,
    }


@login_required
def roster(request):
    store = _store(request)
    monday = queries.monday_of(_day(request, store))
    department_id = _int(request.GET.get("department"))
    role = request.GET.get("role") or None
    days, rows = queries.roster_week(
        request.scope, store, monday, department_id=department_id, role=role
    )
    can_manage = policy.can(request.scope, "roster.manage")
    shift_types = list(queries.shift_types_for(request.scope, store_id=store.pk))
    return render(
        request,
        "scheduling/roster.html",
        {
            **_common(request, store),
            "days": days,
            "rows": rows,
            "monday": monday,
            "prev_week": monday - timedelta(days=7),
            "next_week": monday + timedelta(days=7),
            "department_id": department_id,
            "role": role,
            "roles": Staff.Role.choices,
            "shift_types": shift_types,
            "can_manage": can_manage,
        },
    )


@login_required
@require_POST
def roster_assign(request):
    store = _store(request)
    staff = org_queries.get_staff(request.scope, _int(request.POST.get("staff")) or 0)
    try:
        day = date.fromisoformat(request.POST.get("day", ""))
    except ValueError as error:
        raise Http404 from error
    shift_type = queries.get_shift_type(request.scope, _int(request.POST.get("shift_type")) or 0)
    try:
        services.assign_shift(store, staff=staff, day=day, shift_type=shift_type, by=request.user)
    except BusinessError as error:
        if error.status == 403:
            raise PermissionDenied(str(error.message)) from error
        if error.status == 404:
            raise Http404 from error
        context = _cell_context(request, store, staff, day, error=error.message)
        return render(request, "scheduling/roster.html#cell", context, status=422)
    return render(request, "scheduling/roster.html#cell", _cell_context(request, store, staff, day))


@login_required
@require_POST
def roster_assign_week(request):
    """One shift type for several staff over the chosen days of a week."""
    store = _store(request)
    shift_type = queries.get_shift_type(request.scope, _int(request.POST.get("shift_type")) or 0)
    staff_ids = [i for i in map(_int, request.POST.getlist("staff")) if i]
    days = []
    for value in request.POST.getlist("days"):
        try:
            days.append(date.fromisoformat(value))
        except ValueError:
            continue
    try:
        created = services.assign_shifts(
            store, staff_ids=staff_ids, days=days, shift_type=shift_type, by=request.user
        )
    except BusinessError as error:
        if error.status == 403:
            raise PermissionDenied(str(error.message)) from error
        messages.error(request, error.message)
    else:
        messages.success(request, _("已排班%(n)d条") % {"n": len(created)})
    week = days[0].isoformat() if days else ""
    return redirect(f"{reverse('scheduling:roster')}?store={store.pk}&day={week}")


@login_required
@require_POST
def roster_remove(request, pk):
    entry = queries.get_roster_entry(request.scope, pk)
    store, staff, day = entry.store, entry.staff, entry.day
    try:
        services.remove_roster_entry(entry, by=request.user)
    except BusinessError as error:
        if error.status == 403:
            raise PermissionDenied(str(error.message)) from error
        raise Http404 from error
    return render(request, "scheduling/roster.html#cell", _cell_context(request, store, staff, day))


@login_required
def shift_types(request):
    store = _store(request)
    can_manage = policy.can(request.scope, "roster.manage")
    form = ShiftTypeForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.create_shift_type(
                    store.org,
                    store=None if data["chain_wide"] else store,
                    name=data["name"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    is_rest=data["is_rest"],
                    color=data["color"],
                    by=request.user,
                )
            except BusinessError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("班次已添加"))
                return redirect(f"{reverse('scheduling:shift-types')}?store={store.pk}")
    return render(
        request,
        "scheduling/shift_types.html",
        {
            **_common(request, store),
            "form": form,
            "shift_types": queries.shift_types_for(request.scope, store_id=store.pk),
            "can_manage": can_manage,
            "chain_wide": request.scope.chain_wide,
        },
        status=422 if form.errors else 200,
    )


@login_required
def shift_type_edit(request, pk):
    shift_type = queries.get_shift_type(request.scope, pk)
    if not policy.can(request.scope, "roster.manage"):
        raise PermissionDenied
    initial = {
        "name": shift_type.name,
        "starts_at": shift_type.starts_at,
        "ends_at": shift_type.ends_at,
        "is_rest": shift_type.is_rest,
        "color": shift_type.color,
        "chain_wide": shift_type.store_id is None,
    }
    form = ShiftTypeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_shift_type(
                shift_type,
                name=data["name"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                is_rest=data["is_rest"],
                color=data["color"],
                by=request.user,
            )
        except BusinessError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("班次已保存"))
            return redirect("scheduling:shift-types")
    return render(
        request,
        "scheduling/shift_type_edit.html",
        {"form": form, "shift_type": shift_type},
        status=422 if form.errors else 200,
    )


@login_required
def rooms(request):
    store = _store(request)
    can_manage = policy.can(request.scope, "store.settings")
    departments = org_queries.departments_for(request.scope)
    form = RoomForm(request.POST or None, departments=departments)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.create_room(
                    store,
                    name=form.cleaned_data["name"],
                    kind=form.cleaned_data["kind"],
                    department=form.cleaned_data["department"],
                    by=request.user,
                )
            except BusinessError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("已添加"))
                return redirect(f"{reverse('scheduling:rooms')}?store={store.pk}")
    return render(
        request,
        "scheduling/rooms.html",
        {
            **_common(request, store),
            "form": form,
            "rooms": queries.rooms_for(request.scope).filter(store_id=store.pk),
            "can_manage": can_manage,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def room_toggle(request, pk):
    room = queries.get_room(request.scope, pk)
    try:
        services.update_room(room, is_active=not room.is_active, by=request.user)
    except BusinessError as error:
        if error.status == 403:
            raise PermissionDenied(str(error.message)) from error
        messages.error(request, error.message)
    return redirect(f"{reverse('scheduling:rooms')}?store={room.store_id}")
