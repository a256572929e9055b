"""Business actions on shift types, the roster, rooms and appointments.

Every action checks the acting staff member's role and scope, locks what it changes, writes, and
records an audit row. Bad input raises BusinessError and changes nothing.
"""

import re
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yanzhi.core import audit, events, sms
from yanzhi.core.errors import BusinessError, NotFound
from yanzhi.core.models import SmsMessage
from yanzhi.core.scope import Scope
from yanzhi.core.timeutil import store_day_bounds, to_store_time
from yanzhi.customers.models import Customer
from yanzhi.customers.queries import customers_for
from yanzhi.customers.services import link_customer_to_store
from yanzhi.org import policy
from yanzhi.org.models import Department, Organization, Staff, Store
from yanzhi.scheduling import queries
from yanzhi.scheduling.models import Appointment, Room, RosterEntry, ShiftType

# A booking may start a little in the past: the front desk books a walk-in "now".
PAST_SLACK = timedelta(minutes=5)
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def _snapshot(obj, fields) -> dict:
    """audit.snapshot, with times of day as "HH:MM:SS" (the audit log stores JSON)."""
    return {
        k: v.isoformat() if isinstance(v, time) else v
        for k, v in audit.snapshot(obj, fields).items()
    }


def _scope(by: Staff, store: Store | None = None) -> Scope:
    return policy.scope_for(by, current_store_id=store.pk if store else None)


def _require_store(scope: Scope, store: Store) -> None:
    if store.org_id != scope.org_id or not scope.covers_store(store.pk):
        raise NotFound(_("门店不存在"))


def _error(code: str, message, field: str | None = None) -> BusinessError:
    return BusinessError(code, message, fields={field: [message]} if field else None)


def _works_in(staff: Staff, store: Store) -> bool:
    return (
        staff.org_id == store.org_id
        and staff.is_active
        and staff.stores.filter(pk=store.pk).exists()
    )


# --- shift types -------------------------------------------------------------------------------
SHIFT_TYPE_FIELDS = ["name", "starts_at", "ends_at", "is_rest", "color", "store_id"]


def _check_shift_type(shift_type: ShiftType) -> None:
    if not (shift_type.name or "").strip():
        raise _error("name_required", _("请填写班次名称"), "name")
    if shift_type.starts_at is None or shift_type.ends_at is None:
        raise _error("time_required", _("请填写开始和结束时间"), "starts_at")
    if shift_type.ends_at <= shift_type.starts_at:
        raise _error("invalid_time", _("结束时间必须晚于开始时间"), "ends_at")
    if not COLOR_RE.match(shift_type.color or ""):
        raise _error("invalid_color", _("颜色格式应为#RRGGBB"), "color")


@transaction.atomic
def create_shift_type(
    org: Organization,
    *,
    name: str,
    starts_at,
    ends_at,
    is_rest: bool = False,
    color: str = "#0d6efd",
    store: Store | None = None,
    by: Staff,
) -> ShiftType:
    """A shift (班次) or rest shift (休息班); chain-wide types (no store) are HQ's to define."""
    scope = _scope(by, store)
    policy.require(scope, "roster.manage")
    if org.pk != scope.org_id:
        raise NotFound()
    if store is None and not scope.chain_wide:
        raise _error("chain_wide_forbidden", _("只有总部可以设置全连锁通用的班次"), "store")
    if store is not None:
        _require_store(scope, store)
    shift_type = ShiftType(
        org=org,
        store=store,
        name=(name or "").strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        is_rest=bool(is_rest),
        color=color or "#0d6efd",
    )
    _check_shift_type(shift_type)
    shift_type.save()
    audit.record(
        by,
        "shift_type.created",
        shift_type,
        after=_snapshot(shift_type, SHIFT_TYPE_FIELDS),
        store_id=shift_type.store_id,
    )
    return shift_type


@transaction.atomic
def update_shift_type(shift_type: ShiftType, *, by: Staff, **changes) -> ShiftType:
    """Change a shift type; rostered days keep the times they were given (copied at roster time)."""
    scope = _scope(by, shift_type.store)
    policy.require(scope, "roster.manage")
    shift_type = ShiftType.objects.select_for_update().get(pk=shift_type.pk)
    if shift_type.org_id != scope.org_id or (shift_type.store_id is None and not scope.chain_wide):
        raise _error("chain_wide_forbidden", _("只有总部可以修改全连锁通用的班次"))
    if shift_type.store_id is not None and not scope.covers_store(shift_type.store_id):
        raise NotFound()
    before = _snapshot(shift_type, SHIFT_TYPE_FIELDS)
    for name, value in changes.items():
        if name not in ("name", "starts_at", "ends_at", "is_rest", "color"):
            raise BusinessError("invalid_field", f"unknown field {name}")
        setattr(shift_type, name, value.strip() if isinstance(value, str) else value)
    _check_shift_type(shift_type)
    shift_type.save()
    old, new = audit.changed(before, _snapshot(shift_type, SHIFT_TYPE_FIELDS))
    if new:
        audit.record(by, "shift_type.updated", shift_type, before=old, after=new)
    return shift_type


# --- the roster --------------------------------------------------------------------------------
ROSTER_FIELDS = ["store_id", "staff_id", "day", "shift_type_id", "starts_at", "ends_at", "is_rest"]


def _check_shift_type_for_store(shift_type: ShiftType, store: Store) -> None:
    if shift_type.org_id != store.org_id or shift_type.store_id not in (None, store.pk):
        raise _error("invalid_shift_type", _("该班次不属于本门店"), "shift_type")


def _assign(store: Store, staff: Staff, day: date, shift_type: ShiftType, by, *, skip_same: bool):
    """One roster entry, after the overlap check; the staff row is already locked."""
    same_day = list(RosterEntry.objects.filter(org_id=store.org_id, staff_id=staff.pk, day=day))
    if any(e.shift_type_id == shift_type.pk and e.store_id == store.pk for e in same_day):
        if skip_same:
            return None
        raise _error(
            "duplicate_shift",
            _("%(name)s在%(day)s已排%(shift)s")
            % {"name": staff.name, "day": day.isoformat(), "shift": shift_type.name},
            "shift_type",
        )
    if not shift_type.is_rest:
        for other in same_day:
            if (
                not other.is_rest
                and other.starts_at < shift_type.ends_at
                and shift_type.starts_at < other.ends_at
            ):
                raise _error(
                    "shift_overlap",
                    _("%(name)s在%(day)s已有%(start)s-%(end)s的班次,与所排班次时间重叠")
                    % {
                        "name": staff.name,
                        "day": day.isoformat(),
                        "start": f"{other.starts_at:%H:%M}",
                        "end": f"{other.ends_at:%H:%M}",
                    },
                    "shift_type",
                )
    entry = RosterEntry.objects.create(
        org_id=store.org_id,
        store=store,
        staff=staff,
        day=day,
        shift_type=shift_type,
        starts_at=shift_type.starts_at,
        ends_at=shift_type.ends_at,
        is_rest=shift_type.is_rest,
    )
    audit.record(by, "roster.assigned", entry, after=_snapshot(entry, ROSTER_FIELDS))
    return entry


@transaction.atomic
def assign_shift(
    store: Store, *, staff: Staff, day: date, shift_type: ShiftType, by: Staff
) -> RosterEntry:
    """Put one staff member on a shift on one day; work shifts of one person may not overlap."""
    scope = _scope(by, store)
    policy.require(scope, "roster.manage")
    _require_store(scope, store)
    _check_shift_type_for_store(shift_type, store)
    if not _works_in(staff, store):
        raise _error(
            "staff_not_in_store", _("%(name)s不在本门店工作") % {"name": staff.name}, "staff"
        )
    staff = Staff.objects.select_for_update().get(pk=staff.pk)
    return _assign(store, staff, day, shift_type, by, skip_same=False)


@transaction.atomic
def assign_shifts(
    store: Store, *, staff_ids: list[int], days: list[date], shift_type: ShiftType, by: Staff
) -> list[RosterEntry]:
    """Roster several staff over several days at once (e.g. a week); days already carrying the
    same shift are left as they are; any overlap refuses the whole batch."""
    scope = _scope(by, store)
    policy.require(scope, "roster.manage")
    _require_store(scope, store)
    _check_shift_type_for_store(shift_type, store)
    if not staff_ids or not days:
        raise _error("nothing_to_assign", _("请选择员工和日期"), "staff_ids")
    staff = list(
        Staff.objects.select_for_update()
        .filter(org_id=store.org_id, is_active=True, stores=store, pk__in=set(staff_ids))
        .order_by("pk")
    )
    if len(staff) != len(set(staff_ids)):
        raise _error("staff_not_in_store", _("所选员工中有人不在本门店工作"), "staff_ids")
    created = []
    for member in staff:
        for day in sorted(set(days)):
            entry = _assign(store, member, day, shift_type, by, skip_same=True)
            if entry is not None:
                created.append(entry)
    return created


@transaction.atomic
def remove_roster_entry(entry: RosterEntry, *, by: Staff) -> None:
    """Take a shift off the roster."""
    scope = _scope(by, entry.store)
    policy.require(scope, "roster.manage")
    _require_store(scope, entry.store)
    entry = RosterEntry.objects.select_for_update().get(pk=entry.pk)
    audit.record(by, "roster.removed", entry, before=_snapshot(entry, ROSTER_FIELDS))
    entry.delete()


# --- rooms and devices -------------------------------------------------------------------------
ROOM_FIELDS = ["store_id", "name", "kind", "department_id", "is_active"]


def _check_room(room: Room) -> None:
    room.name = (room.name or "").strip()
    if not room.name:
        raise _error("name_required", _("请填写名称"), "name")
    if room.kind not in Room.Kind.values:
        raise _error("invalid_kind", _("类型不正确"), "kind")
    if (
        room.department_id
        and not Department.objects.filter(pk=room.department_id, org_id=room.org_id).exists()
    ):
        raise _error("invalid_department", _("科室不存在"), "department")
    clash = Room.objects.filter(store_id=room.store_id, name=room.name).exclude(pk=room.pk)
    if clash.exists():
        raise _error("duplicate_room", _("本门店已有同名的诊室或仪器"), "name")


@transaction.atomic
def create_room(
    store: Store,
    *,
    name: str,
    kind: str = Room.Kind.ROOM,
    department: Department | None = None,
    by: Staff,
) -> Room:
    """A bookable room or device of a store."""
    scope = _scope(by, store)
    policy.require(scope, "store.settings")
    _require_store(scope, store)
    room = Room(org_id=store.org_id, store=store, name=name, kind=kind, department=department)
    _check_room(room)
    room.save()
    audit.record(by, "room.created", room, after=_snapshot(room, ROOM_FIELDS))
    return room


@transaction.atomic
def update_room(room: Room, *, by: Staff, **changes) -> Room:
    """Rename, re-file or switch a room/device on or off."""
    scope = _scope(by, room.store)
    policy.require(scope, "store.settings")
    _require_store(scope, room.store)
    room = Room.objects.select_for_update().get(pk=room.pk)
    before = _snapshot(room, ROOM_FIELDS)
    for name, value in changes.items():
        if name not in ("name", "kind", "department", "is_active"):
            raise BusinessError("invalid_field", f"unknown field {name}")
        setattr(room, name, value)
    _check_room(room)
    room.save()
    old, new = audit.changed(before, _snapshot(room, ROOM_FIELDS))
    if new:
        audit.record(by, "room.updated", room, before=old, after=new)
    return room


# --- appointments ------------------------------------------------------------------------------
APPOINTMENT_FIELDS = [
    "store_id",
    "customer_id",
    "purpose",
    "starts_at",
    "ends_at",
    "doctor_id",
    "consultant_id",
    "room_id",
    "items",
    "note",
    "status",
    "arrived_at",
    "cancelled_at",
    "cancel_reason",
]


def _hm(moment: datetime, store: Store) -> str:
    return f"{to_store_time(store, moment):%H:%M}"


def _check_staff_role(person: Staff | None, store: Store, roles, field: str, label) -> None:
    if person is None:
        return
    if person.role not in roles or not _works_in(person, store):
        raise _error(
            f"invalid_{field}",
            _("%(name)s不是本门店的%(label)s") % {"name": person.name, "label": label},
            field,
        )


def _check_slot(
    store: Store,
    *,
    customer: Customer,
    starts_at: datetime,
    ends_at: datetime,
    doctor: Staff | None,
    consultant: Staff | None,
    room: Room | None,
    exclude_pk: int | None = None,
) -> None:
    """All rules of a slot: time, opening hours, roles, roster, overlaps. Locks the staff rows
    (in pk order) and the room before reading the overlaps, so concurrent bookings of the same
    person or room run one after the other."""
    if starts_at is None or ends_at is None:
        raise _error("time_required", _("请填写预约开始和结束时间"), "starts_at")
    if ends_at <= starts_at:
        raise _error("invalid_time", _("结束时间必须晚于开始时间"), "ends_at")
    if starts_at < timezone.now() - PAST_SLACK:
        raise _error("past_time", _("预约时间已过,请选择将来的时间"), "starts_at")
    day, start, end = queries.local_span(store, starts_at, ends_at)
    if end is None or start < store.opens_at or end > store.closes_at:
        hours = f"{store.opens_at:%H:%M}-{store.closes_at:%H:%M}"
        raise _error(
            "outside_hours",
            _("预约时间须在门店营业时间(%(hours)s)之内") % {"hours": hours},
            "starts_at",
        )
    _check_staff_role(doctor, store, queries.DOCTOR_ROLES, "doctor", _("医生"))
    _check_staff_role(consultant, store, queries.CONSULTANT_ROLES, "consultant", _("咨询师"))
    if room is not None and (room.store_id != store.pk or not room.is_active):
        raise _error("invalid_room", _("该诊室/仪器不属于本门店或已停用"), "room")

    people = sorted(
        {p.pk: p for p in (doctor, consultant) if p is not None}.values(), key=lambda p: p.pk
    )
    list(Staff.objects.select_for_update().filter(pk__in=[p.pk for p in people]).order_by("pk"))
    if room is not None:
        list(Room.objects.select_for_update().filter(pk=room.pk))

    for person, field in ((doctor, "doctor"), (consultant, "consultant")):
        if person is None:
            continue
        working = queries.working_intervals(person.pk, store, day)
        if not queries.covers(working, start, end):
            if working:
                message = _("%(name)s该时段不在班(%(day)s工作时间:%(hours)s)") % {
                    "name": person.name,
                    "day": day.isoformat(),
                    "hours": queries.format_intervals(working),
                }
            else:
                message = _("%(name)s在%(day)s没有排班") % {
                    "name": person.name,
                    "day": day.isoformat(),
                }
            raise _error("outside_shift", message, field)

    staff_ids = [p.pk for p in people]
    clash = Q(customer_id=customer.pk)
    if staff_ids:
        clash |= Q(doctor_id__in=staff_ids) | Q(consultant_id__in=staff_ids)
    if room is not None:
        clash |= Q(room_id=room.pk)
    conflicts = (
        Appointment.objects.filter(
            org_id=store.org_id,
            status__in=queries.ACTIVE_STATUSES,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .filter(clash)
        .exclude(pk=exclude_pk)
        .select_related("room")
        .order_by("starts_at", "pk")
    )
    for other in conflicts[:1]:
        when = f"{_hm(other.starts_at, store)}-{_hm(other.ends_at, store)}"
        for person, field in ((doctor, "doctor"), (consultant, "consultant")):
            if person is not None and person.pk in (other.doctor_id, other.consultant_id):
                raise _error(
                    "overlap",
                    _("%(name)s在%(when)s已有预约,时间冲突") % {"name": person.name, "when": when},
                    field,
                )
        if room is not None and other.room_id == room.pk:
            raise _error(
                "overlap",
                _("%(room)s在%(when)s已被预约,时间冲突") % {"room": room.name, "when": when},
                "room",
            )
        raise _error(
            "overlap",
            _("该客户在%(when)s已有预约,时间冲突") % {"when": when},
            "starts_at",
        )


def _require_appointment(scope: Scope, appointment: Appointment) -> None:
    if not queries.appointments_for(scope).filter(pk=appointment.pk).exists():
        raise NotFound(_("预约不存在"))


@transaction.atomic
def book_appointment(
    store: Store,
    *,
    customer: Customer,
    starts_at: datetime,
    ends_at: datetime,
    purpose: str,
    doctor: Staff | None = None,
    consultant: Staff | None = None,
    room: Room | None = None,
    items: str = "",
    note: str = "",
    by: Staff,
) -> Appointment:
    """Book a customer into a future slot inside opening hours, with staff who are on shift and
    free, and a free room."""
    scope = _scope(by, store)
    policy.require(scope, "appointment.book")
    _require_store(scope, store)
    if not customers_for(scope).filter(pk=customer.pk).exists():
        raise NotFound(_("客户不存在"))
    if purpose not in Appointment.Purpose.values:
        raise _error("invalid_purpose", _("请选择预约类型"), "purpose")
    if len(items or "") > 200 or len(note or "") > 300:
        raise _error("too_long", _("意向项目或备注过长"), "note")
    _check_slot(
        store,
        customer=customer,
        starts_at=starts_at,
        ends_at=ends_at,
        doctor=doctor,
        consultant=consultant,
        room=room,
    )
    if customer.store_id != store.pk:
        link_customer_to_store(customer, store_id=store.pk)
    appointment = Appointment.objects.create(
        org_id=store.org_id,
        store=store,
        customer=customer,
        purpose=purpose,
        starts_at=starts_at,
        ends_at=ends_at,
        doctor=doctor,
        consultant=consultant,
        room=room,
        items=(items or "").strip(),
        note=(note or "").strip(),
        booked_by=by,
    )
    audit.record(
        by, "appointment.booked", appointment, after=_snapshot(appointment, APPOINTMENT_FIELDS)
    )
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    # of=("self",): lock the appointment row only, not the joined store and customer rows.
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("store", "customer")
        .get(pk=appointment.pk)
    )


@transaction.atomic
def reschedule_appointment(
    appointment: Appointment,
    *,
    starts_at: datetime,
    ends_at: datetime,
    doctor: Staff | None,
    consultant: Staff | None,
    room: Room | None,
    by: Staff,
) -> Appointment:
    """Move a booked appointment to another slot, staff or room, under the booking rules."""
    scope = _scope(by, appointment.store)
    policy.require(scope, "appointment.book")
    _require_appointment(scope, appointment)
    appointment = _locked(appointment)
    if appointment.status != Appointment.Status.BOOKED:
        raise _error("not_booked", _("只有“已预约”状态的预约可以改期"))
    before = _snapshot(appointment, APPOINTMENT_FIELDS)
    _check_slot(
        appointment.store,
        customer=appointment.customer,
        starts_at=starts_at,
        ends_at=ends_at,
        doctor=doctor,
        consultant=consultant,
        room=room,
        exclude_pk=appointment.pk,
    )
    appointment.starts_at, appointment.ends_at = starts_at, ends_at
    appointment.doctor, appointment.consultant, appointment.room = doctor, consultant, room
    appointment.save()
    old, new = audit.changed(before, _snapshot(appointment, APPOINTMENT_FIELDS))
    audit.record(by, "appointment.rescheduled", appointment, before=old, after=new)
    return appointment


@transaction.atomic
def cancel_appointment(appointment: Appointment, *, reason: str, by: Staff) -> Appointment:
    """Cancel a booked appointment, with a reason."""
    scope = _scope(by, appointment.store)
    policy.require(scope, "appointment.cancel")
    _require_appointment(scope, appointment)
    reason = (reason or "").strip()
    if not reason:
        raise _error("reason_required", _("请填写取消原因"), "reason")
    if len(reason) > 200:
        raise _error("too_long", _("取消原因过长"), "reason")
    appointment = _locked(appointment)
    if appointment.status != Appointment.Status.BOOKED:
        raise _error("not_booked", _("只有“已预约”状态的预约可以取消"))
    before = _snapshot(appointment, APPOINTMENT_FIELDS)
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.cancel_reason = reason
    appointment.save()
    old, new = audit.changed(before, _snapshot(appointment, APPOINTMENT_FIELDS))
    audit.record(by, "appointment.cancelled", appointment, before=old, after=new, note=reason)
    return appointment


def _set_no_show(appointment: Appointment, by) -> None:
    before = _snapshot(appointment, APPOINTMENT_FIELDS)
    appointment.status = Appointment.Status.NO_SHOW
    appointment.save(update_fields=["status", "updated_at"])
    old, new = audit.changed(before, _snapshot(appointment, APPOINTMENT_FIELDS))
    audit.record(by, "appointment.no_show", appointment, before=old, after=new)
    events.emit(
        "appointment.missed",
        appointment_id=appointment.pk,
        org_id=appointment.org_id,
        store_id=appointment.store_id,
        customer_id=appointment.customer_id,
    )


@transaction.atomic
def mark_no_show(appointment: Appointment, *, by: Staff) -> Appointment:
    """Record that a booked customer did not come; only once the appointment has begun."""
    scope = _scope(by, appointment.store)
    policy.require(scope, "appointment.cancel")
    _require_appointment(scope, appointment)
    appointment = _locked(appointment)
    if appointment.status != Appointment.Status.BOOKED:
        raise _error("not_booked", _("只有“已预约”状态的预约可以登记爽约"))
    if timezone.now() < appointment.starts_at:
        raise _error("not_started", _("预约时间未到,不能登记爽约"))
    _set_no_show(appointment, by)
    return appointment


@transaction.atomic
def mark_no_shows(store: Store, *, day: date, by: Staff | None = None) -> int:
    """At the end of a store's day: every appointment of that day still booked becomes a no-show
    (idempotent; appointments that have not begun yet are left alone)."""
    start, end = store_day_bounds(store, day)
    due = (
        Appointment.objects.select_for_update()
        .filter(
            org_id=store.org_id,
            store_id=store.pk,
            status=Appointment.Status.BOOKED,
            starts_at__gte=start,
            starts_at__lt=min(end, timezone.now()),
        )
        .order_by("pk")
    )
    count = 0
    for appointment in due:
        _set_no_show(appointment, by)
        count += 1
    return count


@transaction.atomic
def mark_arrived(appointment: Appointment, *, arrived_at: datetime, by: Staff) -> Appointment:
    """The booked customer has arrived (called by the visits app's arrival service inside its
    transaction; that service checks the caller's role and scope)."""
    appointment = _locked(appointment)
    if appointment.status == Appointment.Status.CANCELLED:
        raise _error("appointment_cancelled", _("该预约已取消,不能登记到店"), "appointment")
    if appointment.status == Appointment.Status.NO_SHOW:
        raise _error("appointment_no_show", _("该预约已登记爽约,不能登记到店"), "appointment")
    if appointment.status == Appointment.Status.ARRIVED:
        raise _error("appointment_arrived", _("该预约已登记到店,不能重复登记"), "appointment")
    before = _snapshot(appointment, APPOINTMENT_FIELDS)
    appointment.status = Appointment.Status.ARRIVED
    appointment.arrived_at = arrived_at
    appointment.save(update_fields=["status", "arrived_at", "updated_at"])
    old, new = audit.changed(before, _snapshot(appointment, APPOINTMENT_FIELDS))
    audit.record(by, "appointment.arrived", appointment, before=old, after=new)
    events.emit(
        "appointment.arrived",
        appointment_id=appointment.pk,
        org_id=appointment.org_id,
        store_id=appointment.store_id,
        customer_id=appointment.customer_id,
    )
    return appointment


@transaction.atomic
def queue_appointment_reminders(store: Store, *, day: date) -> int:
    """The day before: one reminder SMS per appointment of `day` still booked (an appointment
    is never reminded twice: the message's dedupe key is the appointment). Reminders are service
    notices about the customer's own booking, so they do not need marketing consent."""
    start, end = store_day_bounds(store, day)
    appointments = (
        Appointment.objects.filter(
            org_id=store.org_id,
            store_id=store.pk,
            status=Appointment.Status.BOOKED,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .select_related("customer")
        .order_by("starts_at", "pk")
    )
    keys = {f"appointment_reminder:{appointment.pk}": appointment for appointment in appointments}
    already = set(
        SmsMessage.objects.filter(org_id=store.org_id, dedupe_key__in=list(keys)).values_list(
            "dedupe_key", flat=True
        )
    )
    queued = 0
    for key, appointment in keys.items():
        if key in already:
            continue
        customer = appointment.customer
        local = to_store_time(store, appointment.starts_at)
        sms.queue_sms(
            org_id=store.org_id,
            customer_id=customer.pk,
            phone=customer.phone,
            purpose="appointment_reminder",
            template="appointment_reminder",
            values={
                "称呼": sms.salutation(customer.name, customer.gender, customer.salutation),
                "日期": f"{local.month}月{local.day}日",
                "时间": f"{local:%H:%M}",
                "门店": store.name,
                "电话": store.phone or "本店",
            },
            dedupe_key=key,
        )
        queued += 1
    return queued
