"""Scoped reads of rooms, shift types, the roster and appointments, and the working-time rule.

The working-time rule (领健 "休息班": 点击排休息班后,其余时间默认为工作时间):
- a day with work shifts: working time is the union of the work shifts minus any rest shifts;
- a day with rest shifts only: the store's opening hours minus the rest shifts;
- a day without roster entries: not working, so not bookable.
All intervals are half-open [start, end) in the store's local time.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext

from yanzhi.core.scope import Scope
from yanzhi.core.timeutil import store_datetime, store_day_bounds, to_store_time
from yanzhi.customers.queries import customers_for
from yanzhi.org.models import Staff, Store
from yanzhi.scheduling.models import Appointment, Room, RosterEntry, ShiftType

Interval = tuple[time, time]

# Appointments in these states hold their slot; cancelled and no-show ones free it.
ACTIVE_STATUSES = (Appointment.Status.BOOKED, Appointment.Status.ARRIVED)
DOCTOR_ROLES = (Staff.Role.DOCTOR,)
CONSULTANT_ROLES = (Staff.Role.CONSULTANT, Staff.Role.ONLINE_CONSULTANT)


# --- interval arithmetic -----------------------------------------------------------------------
def union(intervals) -> list[Interval]:
    """Merge overlapping or touching intervals into a sorted list."""
    merged: list[list[time]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def subtract(intervals, cuts) -> list[Interval]:
    """intervals minus cuts (both half-open)."""
    result = union(intervals)
    for cut_start, cut_end in cuts:
        pieces = []
        for start, end in result:
            if cut_end <= start or cut_start >= end:
                pieces.append((start, end))
                continue
            if start < cut_start:
                pieces.append((start, cut_start))
            if cut_end < end:
                pieces.append((cut_end, end))
        result = pieces
    return result


def working_time(entries, store: Store) -> list[Interval]:
    """The rule above, for one staff member's roster entries of one day."""
    entries = list(entries)
    if not entries:
        return []
    work = [(e.starts_at, e.ends_at) for e in entries if not e.is_rest]
    rest = [(e.starts_at, e.ends_at) for e in entries if e.is_rest]
    base = work if work else [(store.opens_at, store.closes_at)]
    return subtract(base, rest)


def covers(intervals, start: time, end: time) -> bool:
    """True if [start, end) lies inside one of the (merged) intervals."""
    return any(s <= start and end <= e for s, e in union(intervals))


def format_intervals(intervals) -> str:
    # The list separator is translated too ("、" reads as ", " in English).
    return gettext("、").join(f"{s:%H:%M}-{e:%H:%M}" for s, e in intervals)


# --- working time ------------------------------------------------------------------------------
def _entries_on(store: Store, day: date) -> QuerySet[RosterEntry]:
    return RosterEntry.objects.filter(org_id=store.org_id, store_id=store.pk, day=day)


def working_intervals(staff_id: int, store: Store, day: date) -> list[Interval]:
    """A staff member's working time in a store on a day (store-local times)."""
    return working_time(_entries_on(store, day).filter(staff_id=staff_id), store)


def working_intervals_for_day(store: Store, day: date, staff_ids) -> dict[int, list[Interval]]:
    """working_intervals for many staff members in one query (for a day's grid)."""
    by_staff = defaultdict(list)
    entries = _entries_on(store, day).filter(staff_id__in=list(staff_ids))
    for entry in entries.only("staff_id", "starts_at", "ends_at", "is_rest"):
        by_staff[entry.staff_id].append(entry)
    return {pk: working_time(by_staff.get(pk, []), store) for pk in staff_ids}


def local_span(store: Store, starts_at: datetime, ends_at: datetime) -> tuple[date, time, time]:
    """(day, start, end) of an appointment in store-local time; an end at midnight is 24:00."""
    start, end = to_store_time(store, starts_at), to_store_time(store, ends_at)
    if end.date() == start.date():
        end_time = end.time()
    elif end.date() == start.date() + timedelta(days=1) and end.time() == time.min:
        end_time = time.max
    else:
        end_time = None  # spans more than one day
    return start.date(), start.time(), end_time


def is_available(staff: Staff, store: Store, starts_at: datetime, ends_at: datetime) -> bool:
    """True if the staff member works in the store for the whole of [starts_at, ends_at)."""
    day, start, end = local_span(store, starts_at, ends_at)
    if end is None:
        return False
    return covers(working_intervals(staff.pk, store, day), start, end)


# --- scoped entry points -----------------------------------------------------------------------
def rooms_for(scope: Scope) -> QuerySet[Room]:
    qs = Room.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    return qs.select_related("store", "department")


def get_room(scope: Scope, pk: int) -> Room:
    return get_object_or_404(rooms_for(scope), pk=pk)


def shift_types_for(scope: Scope, store_id: int | None = None) -> QuerySet[ShiftType]:
    """Chain-wide shift types and those of the scope's stores (or of one store)."""
    qs = ShiftType.objects.filter(org_id=scope.org_id).select_related("store")
    if store_id is not None:
        return qs.filter(Q(store__isnull=True) | Q(store_id=store_id))
    if scope.store_ids is not None:
        qs = qs.filter(Q(store__isnull=True) | Q(store_id__in=scope.store_ids))
    return qs


def get_shift_type(scope: Scope, pk: int) -> ShiftType:
    return get_object_or_404(shift_types_for(scope), pk=pk)


def roster_entries_for(scope: Scope) -> QuerySet[RosterEntry]:
    qs = RosterEntry.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    return qs.select_related("staff", "shift_type")


def get_roster_entry(scope: Scope, pk: int) -> RosterEntry:
    return get_object_or_404(roster_entries_for(scope), pk=pk)


def appointments_for(scope: Scope) -> QuerySet[Appointment]:
    """Appointments in the scope's stores; consultants see those of their own customers and
    those where they are the consultant."""
    qs = Appointment.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    if scope.owner_ids is not None:
        own_customers = customers_for(scope).filter(pk=OuterRef("customer_id"))
        qs = qs.filter(Q(Exists(own_customers)) | Q(consultant_id__in=scope.owner_ids))
    return qs.select_related("store", "customer", "doctor", "consultant", "room")


def get_appointment(scope: Scope, pk: int) -> Appointment:
    return get_object_or_404(appointments_for(scope), pk=pk)


def on_day(qs: QuerySet[Appointment], store: Store, day: date) -> QuerySet[Appointment]:
    start, end = store_day_bounds(store, day)
    return qs.filter(store_id=store.pk, starts_at__gte=start, starts_at__lt=end)


def appointments_on(store: Store, day: date, *, scope: Scope | None = None):
    """A store's appointments on its local day, every status, by start time (one query). With a
    scope, only those the scope may see. Used by the visits app's today page and arrival."""
    qs = (
        appointments_for(scope)
        if scope is not None
        else Appointment.objects.filter(org_id=store.org_id).select_related(
            "store", "customer", "doctor", "consultant", "room"
        )
    )
    return on_day(qs, store, day).order_by("starts_at", "pk")


def customer_appointments(scope: Scope, customer_id: int) -> QuerySet[Appointment]:
    """One customer's appointments visible to the scope, newest first."""
    return appointments_for(scope).filter(customer_id=customer_id).order_by("-starts_at", "-pk")


def bookable_staff(store: Store, roles) -> QuerySet[Staff]:
    return (
        Staff.objects.filter(org_id=store.org_id, is_active=True, stores=store, role__in=roles)
        .select_related("department")
        .order_by("name", "pk")
    )


def filter_appointments(
    qs: QuerySet[Appointment],
    *,
    store_id=None,
    day: date | None = None,
    store: Store | None = None,
    doctor_id=None,
    consultant_id=None,
    room_id=None,
    status=None,
    customer_id=None,
) -> QuerySet[Appointment]:
    if store_id:
        qs = qs.filter(store_id=store_id)
    if day and store is not None:
        qs = on_day(qs, store, day)
    for name, value in (
        ("doctor_id", doctor_id),
        ("consultant_id", consultant_id),
        ("room_id", room_id),
        ("status", status),
        ("customer_id", customer_id),
    ):
        if value:
            qs = qs.filter(**{name: value})
    return qs


# --- day and week views -----------------------------------------------------------------------
@dataclass
class Column:
    """One column of the day view: a doctor, consultant or room, with its working time and the
    appointments in it. `visible` is False on blocks the viewer may not open (shown as busy)."""

    key: int
    label: str
    subtitle: str
    obj: object
    working: list[Interval]
    appointments: list = field(default_factory=list)


@dataclass
class DayView:
    store: Store
    day: date
    by: str
    columns: list[Column]
    slots: list[time]
    unassigned: list

    def rows(self) -> list[tuple[time, list[tuple[Column, bool, list]]]]:
        """The grid: per slot, per column, (column, working?, appointments starting in it)."""
        starts = {}
        for column in self.columns:
            for appointment in column.appointments:
                local = to_store_time(self.store, appointment.starts_at).time()
                starts.setdefault((column.key, _slot_of(local, self.slots)), []).append(appointment)
        grid = []
        for i, slot in enumerate(self.slots):
            slot_end = self.slots[i + 1] if i + 1 < len(self.slots) else self.store.closes_at
            cells = [
                (column, covers(column.working, slot, slot_end), starts.get((column.key, slot), []))
                for column in self.columns
            ]
            grid.append((slot, cells))
        return grid


def _slot_of(moment: time, slots: list[time]) -> time | None:
    """The last slot starting at or before `moment` (None before opening)."""
    found = None
    for slot in slots:
        if slot <= moment:
            found = slot
    return found


SLOT_MINUTES = 30


def time_slots(store: Store, minutes: int = SLOT_MINUTES) -> list[time]:
    slots, moment = [], datetime.combine(date(2000, 1, 1), store.opens_at)
    end = datetime.combine(date(2000, 1, 1), store.closes_at)
    while moment < end:
        slots.append(moment.time())
        moment += timedelta(minutes=minutes)
    return slots


# The columns the day grid shows (scheduling/day.html); the API reads whole rows. A column the
# grid reads must be listed here, or each appointment would load it with a query of its own.
DAY_GRID_COLUMNS = (
    "starts_at",
    "ends_at",
    "status",
    "purpose",
    "items",
    "doctor_id",
    "consultant_id",
    "room_id",
    "customer__name",
    "customer__phone",
)


def _view_appointments(
    scope: Scope, store: Store, start: datetime, end: datetime, *, page: bool = False
):
    """Active appointments of the store in [start, end); each with .visible for the scope.
    page=True: only the columns the day grid shows."""
    appointments = Appointment.objects.filter(
        org_id=store.org_id,
        store_id=store.pk,
        starts_at__gte=start,
        starts_at__lt=end,
        status__in=[*ACTIVE_STATUSES, Appointment.Status.NO_SHOW],
    )
    if page:
        appointments = appointments.select_related("customer").only(*DAY_GRID_COLUMNS)
    else:
        appointments = appointments.select_related("customer", "doctor", "consultant", "room")
    appointments = appointments.order_by("starts_at", "pk")
    if scope.owner_ids is None and scope.org_id == store.org_id and scope.covers_store(store.pk):
        appointments = list(appointments)  # the scope sees every appointment of the store
        for appointment in appointments:
            appointment.visible = True
        return appointments
    visible = appointments_for(scope).filter(pk=OuterRef("pk"))
    return list(appointments.annotate(visible=Exists(visible)))


def _columns(store: Store, by: str, department_id: int | None, *, page: bool = False):
    """The column objects: staff of the role or the store's active rooms (one query).
    page=True: the columns' name, title or kind and department only (what the grid shows)."""
    if by == "room":
        rooms = Room.objects.filter(org_id=store.org_id, store_id=store.pk, is_active=True)
        if department_id:
            rooms = rooms.filter(department_id=department_id)
        return list(rooms.select_related("department").order_by("kind", "name"))
    roles = DOCTOR_ROLES if by == "doctor" else CONSULTANT_ROLES
    staff = bookable_staff(store, roles)
    if department_id:
        staff = staff.filter(department_id=department_id)
    if page:
        staff = staff.only("name", "title", "department__name")
    return list(staff)


def column_key(appointment: Appointment, by: str):
    return {"doctor": appointment.doctor_id, "consultant": appointment.consultant_id}.get(
        by, appointment.room_id
    )


def day_view(
    scope: Scope,
    store: Store,
    day: date,
    by: str = "doctor",
    department_id: int | None = None,
    *,
    page: bool = False,
) -> DayView:
    """The day grid of a store by doctor, consultant or room, in four queries. page=True: the
    appointments with the columns the page shows only (DAY_GRID_COLUMNS)."""
    if by not in ("doctor", "consultant", "room"):
        by = "doctor"
    objs = _columns(store, by, department_id, page=page)
    if by == "room":
        working = {o.pk: [(store.opens_at, store.closes_at)] for o in objs}
    else:
        working = working_intervals_for_day(store, day, [o.pk for o in objs])
    columns = {
        o.pk: Column(
            key=o.pk,
            label=o.name,
            subtitle=(o.department.name if o.department else "")
            or (o.get_kind_display() if by == "room" else (o.title or "")),
            obj=o,
            working=working[o.pk],
        )
        for o in objs
    }
    start, end = store_day_bounds(store, day)
    unassigned = []
    for appointment in _view_appointments(scope, store, start, end, page=page):
        column = columns.get(column_key(appointment, by))
        (column.appointments if column else unassigned).append(appointment)
    return DayView(
        store=store,
        day=day,
        by=by,
        columns=list(columns.values()),
        slots=time_slots(store),
        unassigned=unassigned,
    )


@dataclass
class WeekRow:
    key: int
    label: str
    obj: object
    days: list  # [(day, working intervals, appointments)]


def week_view(
    scope: Scope, store: Store, monday: date, by: str = "doctor", department_id: int | None = None
) -> list[WeekRow]:
    """Seven days × doctors (or consultants or rooms): working time and appointments, in four
    queries."""
    if by not in ("doctor", "consultant", "room"):
        by = "doctor"
    days = [monday + timedelta(days=i) for i in range(7)]
    objs = _columns(store, by, department_id)
    entries = defaultdict(list)
    if by != "room":
        for entry in RosterEntry.objects.filter(
            org_id=store.org_id,
            store_id=store.pk,
            day__in=days,
            staff_id__in=[o.pk for o in objs],
        ):
            entries[(entry.staff_id, entry.day)].append(entry)
    start, _ = store_day_bounds(store, days[0])
    _, end = store_day_bounds(store, days[-1])
    booked = defaultdict(list)
    for appointment in _view_appointments(scope, store, start, end):
        local_day = to_store_time(store, appointment.starts_at).date()
        booked[(column_key(appointment, by), local_day)].append(appointment)
    rows = []
    for o in objs:
        cells = []
        for d in days:
            if by == "room":
                working = [(store.opens_at, store.closes_at)]
            else:
                working = working_time(entries[(o.pk, d)], store)
            cells.append((d, working, booked[(o.pk, d)]))
        rows.append(WeekRow(key=o.pk, label=o.name, obj=o, days=cells))
    return rows


# --- the roster grid ---------------------------------------------------------------------------
def roster_week(
    scope: Scope,
    store: Store,
    monday: date,
    *,
    department_id: int | None = None,
    role: str | None = None,
) -> tuple[list[date], list[tuple[Staff, list[tuple[date, list, list[Interval]]]]]]:
    """Staff of a store × 7 days with their roster entries and working time (two queries)."""
    days = [monday + timedelta(days=i) for i in range(7)]
    staff = Staff.objects.filter(org_id=scope.org_id, is_active=True, stores=store)
    if department_id:
        staff = staff.filter(department_id=department_id)
    if role:
        staff = staff.filter(role=role)
    staff = list(staff.select_related("department").order_by("role", "name", "pk"))
    entries = defaultdict(list)
    for entry in (
        roster_entries_for(scope)
        .filter(store_id=store.pk, day__in=days, staff_id__in=[s.pk for s in staff])
        .order_by("starts_at")
    ):
        entries[(entry.staff_id, entry.day)].append(entry)
    rows = [
        (s, [(d, entries[(s.pk, d)], working_time(entries[(s.pk, d)], store)) for d in days])
        for s in staff
    ]
    return days, rows


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def slot_datetime(store: Store, day: date, at: time) -> datetime:
    return store_datetime(store, day, at)
