"""/api/v1: appointments, the day view, shift types, the roster, rooms and staff availability.
Each endpoint reaches rows through the scoped queries and acts through the same services as the
pages."""

from datetime import date, datetime, timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status

from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import store_today, store_zone
from yanzhi.customers.queries import get_customer
from yanzhi.org import queries as org_queries
from yanzhi.scheduling import queries, services
from yanzhi.scheduling.schemas import (
    AppointmentIn,
    AppointmentOut,
    AppointmentPage,
    AvailabilityOut,
    CancelIn,
    DayViewOut,
    RescheduleIn,
    RoomIn,
    RoomOut,
    RosterEntryOut,
    RosterIn,
    ShiftTypeIn,
    ShiftTypeOut,
    intervals_out,
)

router = Router(tags=["scheduling"])
MAX_LIMIT = 100


def _store(request, store_id: int | None):
    """The store named, or the caller's current store; HQ without one must name it."""
    store_id = store_id or request.scope.current_store_id
    if not store_id:
        message = _("请指定门店")
        raise BusinessError("store_required", message, fields={"store_id": [message]}, status=422)
    return org_queries.get_store(request.scope, store_id)


def _aware(store, moment: datetime) -> datetime:
    """A datetime without offset is the store's local time."""
    if timezone.is_naive(moment):
        return moment.replace(tzinfo=store_zone(store))
    return moment


def _staff(request, staff_id: int | None):
    return org_queries.get_staff(request.scope, staff_id) if staff_id else None


def _room(request, room_id: int | None):
    return queries.get_room(request.scope, room_id) if room_id else None


def _page(limit: int, offset: int) -> tuple[int, int]:
    return max(0, offset), min(max(1, limit), MAX_LIMIT)


# --- appointments ------------------------------------------------------------------------------
@router.get("/appointments", response=AppointmentPage)
def list_appointments(
    request,
    store_id: int | None = None,
    day: date | None = None,
    doctor_id: int | None = None,
    consultant_id: int | None = None,
    room_id: int | None = None,
    status: str | None = None,
    customer_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
):
    """Appointments in the caller's scope, by start time; `day` is the store's local day."""
    store = _store(request, store_id) if (store_id or day) else None
    qs = queries.filter_appointments(
        queries.appointments_for(request.scope),
        store_id=store.pk if store else None,
        day=day,
        store=store,
        doctor_id=doctor_id,
        consultant_id=consultant_id,
        room_id=room_id,
        status=status,
        customer_id=customer_id,
    ).order_by("starts_at", "pk")
    offset, limit = _page(limit, offset)
    return {
        "count": qs.count(),
        "items": [AppointmentOut.from_model(a) for a in qs[offset : offset + limit]],
    }


@router.post("/appointments", response={201: AppointmentOut})
def create_appointment(request, data: AppointmentIn):
    store = _store(request, data.store_id)
    appointment = services.book_appointment(
        store,
        customer=get_customer(request.scope, data.customer_id),
        starts_at=_aware(store, data.starts_at),
        ends_at=_aware(store, data.ends_at),
        purpose=data.purpose,
        doctor=_staff(request, data.doctor_id),
        consultant=_staff(request, data.consultant_id),
        room=_room(request, data.room_id),
        items=data.items,
        note=data.note,
        by=request.auth,
    )
    return Status(
        201, AppointmentOut.from_model(queries.get_appointment(request.scope, appointment.pk))
    )


@router.get("/appointments/day-view", response=DayViewOut)
def appointments_day_view(
    request,
    store_id: int | None = None,
    day: date | None = None,
    by: str = "doctor",
    department_id: int | None = None,
):
    """Columns (doctors, consultants or rooms) with working time and appointments of one day."""
    store = _store(request, store_id)
    view = queries.day_view(
        request.scope, store, day or store_today(store), by=by, department_id=department_id
    )
    everything = [a for c in view.columns for a in c.appointments] + view.unassigned
    return {
        "store_id": store.pk,
        "day": view.day,
        "by": view.by,
        "opens_at": f"{store.opens_at:%H:%M}",
        "closes_at": f"{store.closes_at:%H:%M}",
        "columns": [
            {
                "id": c.key,
                "name": c.label,
                "working": intervals_out(c.working),
                "appointment_ids": [a.pk for a in c.appointments if a.visible],
            }
            for c in view.columns
        ],
        "appointments": [AppointmentOut.from_model(a) for a in everything if a.visible],
        "busy": [
            {
                "column_id": queries.column_key(a, view.by),
                "starts_at": a.starts_at,
                "ends_at": a.ends_at,
            }
            for a in everything
            if not a.visible
        ],
    }


@router.get("/appointments/{appointment_id}", response=AppointmentOut)
def get_appointment(request, appointment_id: int):
    return AppointmentOut.from_model(queries.get_appointment(request.scope, appointment_id))


@router.post("/appointments/{appointment_id}/reschedule", response=AppointmentOut)
def reschedule_appointment(request, appointment_id: int, data: RescheduleIn):
    appointment = queries.get_appointment(request.scope, appointment_id)
    store = appointment.store
    services.reschedule_appointment(
        appointment,
        starts_at=_aware(store, data.starts_at),
        ends_at=_aware(store, data.ends_at),
        doctor=_staff(request, data.doctor_id),
        consultant=_staff(request, data.consultant_id),
        room=_room(request, data.room_id),
        by=request.auth,
    )
    return AppointmentOut.from_model(queries.get_appointment(request.scope, appointment_id))


@router.post("/appointments/{appointment_id}/cancel", response=AppointmentOut)
def cancel_appointment(request, appointment_id: int, data: CancelIn):
    appointment = queries.get_appointment(request.scope, appointment_id)
    services.cancel_appointment(appointment, reason=data.reason, by=request.auth)
    return AppointmentOut.from_model(queries.get_appointment(request.scope, appointment_id))


@router.post("/appointments/{appointment_id}/no-show", response=AppointmentOut)
def no_show(request, appointment_id: int):
    appointment = queries.get_appointment(request.scope, appointment_id)
    services.mark_no_show(appointment, by=request.auth)
    return AppointmentOut.from_model(queries.get_appointment(request.scope, appointment_id))


# --- shift types and the roster ----------------------------------------------------------------
@router.get("/shift-types", response=list[ShiftTypeOut])
def list_shift_types(request, store_id: int | None = None):
    if store_id:
        org_queries.get_store(request.scope, store_id)
    return [ShiftTypeOut.from_model(t) for t in queries.shift_types_for(request.scope, store_id)]


@router.post("/shift-types", response={201: ShiftTypeOut})
def create_shift_type(request, data: ShiftTypeIn):
    store = org_queries.get_store(request.scope, data.store_id) if data.store_id else None
    shift_type = services.create_shift_type(
        request.auth.org,
        store=store,
        name=data.name,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        is_rest=data.is_rest,
        color=data.color,
        by=request.auth,
    )
    return Status(201, ShiftTypeOut.from_model(shift_type))


@router.get("/roster", response=list[RosterEntryOut])
def list_roster(
    request,
    store_id: int | None = None,
    week: date | None = None,
    day: date | None = None,
    department_id: int | None = None,
    staff_id: int | None = None,
):
    """Roster entries of one store for a day, or for the Monday–Sunday week containing `week`
    (default: this week)."""
    store = _store(request, store_id)
    if day is not None:
        days = [day]
    else:
        monday = queries.monday_of(week or store_today(store))
        days = [monday + timedelta(days=i) for i in range(7)]
    qs = queries.roster_entries_for(request.scope).filter(store_id=store.pk, day__in=days)
    if department_id:
        qs = qs.filter(staff__department_id=department_id)
    if staff_id:
        qs = qs.filter(staff_id=staff_id)
    return [RosterEntryOut.from_model(e) for e in qs.order_by("day", "staff_id", "starts_at")]


@router.post("/roster", response={201: list[RosterEntryOut]})
def create_roster_entries(request, data: RosterIn):
    """Put staff on a shift for the given days; days already carrying that shift are skipped."""
    store = _store(request, data.store_id)
    shift_type = queries.get_shift_type(request.scope, data.shift_type_id)
    entries = services.assign_shifts(
        store, staff_ids=data.staff_ids, days=data.days, shift_type=shift_type, by=request.auth
    )
    created = queries.roster_entries_for(request.scope).filter(pk__in=[e.pk for e in entries])
    return Status(201, [RosterEntryOut.from_model(e) for e in created])


@router.delete("/roster/{entry_id}", response={204: None})
def delete_roster_entry(request, entry_id: int):
    services.remove_roster_entry(queries.get_roster_entry(request.scope, entry_id), by=request.auth)
    return Status(204, None)


# --- rooms -------------------------------------------------------------------------------------
@router.get("/rooms", response=list[RoomOut])
def list_rooms(request, store_id: int | None = None):
    qs = queries.rooms_for(request.scope)
    if store_id:
        qs = qs.filter(store_id=store_id)
    return list(qs)


@router.post("/rooms", response={201: RoomOut})
def create_room(request, data: RoomIn):
    store = _store(request, data.store_id)
    department = None
    if data.department_id:
        department = get_object_or_404(
            org_queries.departments_for(request.scope), pk=data.department_id
        )
    room = services.create_room(
        store, name=data.name, kind=data.kind, department=department, by=request.auth
    )
    return Status(201, room)


# --- availability ------------------------------------------------------------------------------
@router.get("/staff/{staff_id}/availability", response=AvailabilityOut)
def staff_availability(
    request, staff_id: int, day: date | None = None, store_id: int | None = None
):
    """A staff member's working time in a store on a day (shifts minus rest shifts)."""
    store = _store(request, store_id)
    staff = org_queries.get_staff(request.scope, staff_id)
    day = day or store_today(store)
    return {
        "staff_id": staff.pk,
        "store_id": store.pk,
        "day": day,
        "working": intervals_out(queries.working_intervals(staff.pk, store, day)),
    }
