"""Scoped reads of visits and what the front desk looks at: the queue, today's visits, today's
appointments, and the staff to triage to. Every view and endpoint reaches visits through
`visits_for(scope)`; a visit outside the scope is a 404."""

import re
from datetime import date

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from yanzhi.core.scope import Scope
from yanzhi.core.timeutil import store_day_bounds
from yanzhi.customers.models import Customer
from yanzhi.customers.queries import customers_for
from yanzhi.org import policy
from yanzhi.org.models import Staff, Store
from yanzhi.org.queries import active_staff_in_store
from yanzhi.scheduling.models import Appointment, RosterEntry
from yanzhi.visits.models import Visit

VISIT_RELATED = ("store", "customer", "appointment", "consultant", "doctor")

# The columns the today page shows (visits/today.html). On a busy day it lists ~200 visits and
# a long queue, and building whole rows of five tables took longer than the SQL; the API's
# schemas read whole rows and keep the full querysets. A column a row template reads must be
# listed here, or each row would load it with a query of its own.
TODAY_VISIT_COLUMNS = (
    "arrived_at",
    "visit_type",
    "status",
    "appointment_id",
    "escorted_at",
    "diagnosed_at",
    "treated_at",
    "post_care_at",
    "left_at",
    "left_automatically",
    "customer__name",
    "customer__allergies",
    "consultant__name",
    "doctor__name",
)
TODAY_APPOINTMENT_COLUMNS = (
    "starts_at",
    "purpose",
    "items",
    "status",
    "customer__name",
    "customer__phone",
    "customer__allergies",
    "doctor__name",
    "consultant__name",
    "visit__id",
)


def visits_for(scope: Scope) -> QuerySet[Visit]:
    """Visits this scope may see: the chain (HQ), the stores' visits (store roles), and for
    consultants only visits of their own customers or where they are the visit's consultant."""
    qs = Visit.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    if scope.owner_ids is not None:
        own_customer = customers_for(scope).filter(pk=OuterRef("customer_id"))
        qs = qs.filter(Q(consultant_id__in=scope.owner_ids) | Exists(own_customer))
    return qs


def get_visit(scope: Scope, pk: int) -> Visit:
    return get_object_or_404(visits_for(scope).select_related(*VISIT_RELATED), pk=pk)


# What the API answers with a visit (visits.schemas.VisitOut): the visit's own row and the
# names it shows of the store, the customer, the consultant and the doctor. Whole rows of five
# tables took a fifth of an arrival request.
VISIT_OUT_COLUMNS = (
    *(f.attname for f in Visit._meta.concrete_fields),
    "store__name",
    *(
        f"customer__{name}"
        for name in ("name", "member_no", "phone", "phone_verified_at", "allergies")
    ),
    "consultant__name",
    "doctor__name",
)


def get_visit_out(scope: Scope, pk: int) -> Visit:
    qs = visits_for(scope).select_related("store", "customer", "consultant", "doctor")
    return get_object_or_404(qs.only(*VISIT_OUT_COLUMNS), pk=pk)


def customer_match(q: str, prefix: str = "") -> Q:
    """Local search on a list: full phone, phone tail, name, pinyin or initials, member number."""
    q = (q or "").strip()
    if not q:
        return Q()
    if re.fullmatch(r"\d{11}", q):
        return Q(**{f"{prefix}phone": q})
    if re.fullmatch(r"\d{4}", q):
        return Q(**{f"{prefix}phone_tail": q}) | Q(**{f"{prefix}member_no__icontains": q})
    lowered = q.lower()
    return (
        Q(**{f"{prefix}name__icontains": q})
        | Q(**{f"{prefix}name_pinyin__startswith": lowered})
        | Q(**{f"{prefix}name_initials__startswith": lowered})
        | Q(**{f"{prefix}member_no__iexact": q})
    )


def visits_on(scope: Scope, day: date, *, store: Store | None = None, q: str = "", status=None):
    """The visits of one store-local day (of one store, or of every store in scope)."""
    qs = visits_for(scope).filter(day=day)
    if store is not None:
        qs = qs.filter(store_id=store.pk)
    if status:
        qs = qs.filter(status=status)
    return (
        qs.filter(customer_match(q, "customer__"))
        .select_related(*VISIT_RELATED)
        .order_by("arrived_at", "id")
    )


def visits_today(scope: Scope, store: Store, day: date, *, q: str = "") -> QuerySet[Visit]:
    return visits_on(scope, day, store=store, q=q)


def queue(scope: Scope, store: Store, day: date, *, q: str = "") -> QuerySet[Visit]:
    """Waiting customers: booked ones first, then walk-ins, each by arrival time."""
    return (
        visits_for(scope)
        .filter(store_id=store.pk, day=day, status=Visit.Status.WAITING)
        .filter(customer_match(q, "customer__"))
        .annotate(
            walk_in=Case(
                When(appointment__isnull=True, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .select_related(*VISIT_RELATED)
        .order_by("walk_in", "arrived_at", "id")
    )


def my_visits_today(scope: Scope, store: Store, day: date, *, q: str = "") -> QuerySet[Visit]:
    """Visits where I am the consultant or doctor, or whose customer I am responsible for."""
    me = scope.staff_id
    return visits_today(scope, store, day, q=q).filter(
        Q(consultant_id=me)
        | Q(doctor_id=me)
        | Q(customer__consultant_id=me)
        | Q(customer__doctor_id=me)
    )


def appointments_today(scope: Scope, store: Store, day: date, *, q: str = ""):
    """The store's appointments of the day (read-only here), with their visit if arrived.
    Consultants see only their own customers' appointments."""
    start, end = store_day_bounds(store, day)
    qs = Appointment.objects.filter(
        org_id=scope.org_id, store_id=store.pk, starts_at__gte=start, starts_at__lt=end
    )
    if scope.store_ids is not None and store.pk not in scope.store_ids:
        return qs.none()
    if scope.owner_ids is not None:
        qs = qs.filter(
            Q(consultant_id__in=scope.owner_ids)
            | Exists(customers_for(scope).filter(pk=OuterRef("customer_id")))
        )
    return (
        qs.filter(customer_match(q, "customer__"))
        .select_related("customer", "doctor", "consultant", "room", "visit")
        .order_by("starts_at", "id")
    )


def get_appointment(scope: Scope, pk: int) -> Appointment:
    """An appointment in scope (for registering its arrival)."""
    qs = Appointment.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    if scope.owner_ids is not None:
        qs = qs.filter(
            Q(consultant_id__in=scope.owner_ids)
            | Exists(customers_for(scope).filter(pk=OuterRef("customer_id")))
        )
    return get_object_or_404(qs.select_related("customer", "store"), pk=pk)


def _walk_in_candidates(scope: Scope) -> QuerySet[Customer]:
    """Whom a FULL phone number finds on the arrival page: any customer of the chain for a role
    that registers arrivals (a customer of another store may walk in; the arrival then links
    them to this store); for every other role only the customers in its scope."""
    if policy.can(scope, "visit.register"):
        return Customer.objects.filter(org_id=scope.org_id)
    return customers_for(scope)


def arrival_customer(scope: Scope, *, customer_id: int | None = None, phone: str = "") -> Customer:
    """The customer to register: one in scope by id, or by their FULL phone number a walk-in
    customer of another store of the chain (`_walk_in_candidates`)."""
    if phone:
        return get_object_or_404(_walk_in_candidates(scope), phone=phone)
    return get_object_or_404(customers_for(scope), pk=customer_id or 0)


def search_arrival_customers(scope: Scope, q: str, *, limit: int = 20) -> list[Customer]:
    """Walk-in search on the arrival page: customers in scope, plus the chain's customer whose
    full phone number was typed."""
    q = (q or "").strip()
    if not q:
        return []
    found = list(
        customers_for(scope).filter(customer_match(q)).select_related("store", "consultant")[:limit]
    )
    if re.fullmatch(r"\d{11}", q) and not found:
        found = list(
            _walk_in_candidates(scope).filter(phone=q).select_related("store", "consultant")
        )
        for customer in found:
            customer.found_by_phone = True
    return found


def triage_candidates(
    scope: Scope, store: Store, *, roles, day: date, q: str = "", include_off_shift: bool = False
) -> QuerySet[Staff]:
    """Consultants or doctors to triage to: active, working in the store, matching the keyword,
    and on shift that day when the store has a roster for that day."""
    qs = active_staff_in_store(scope, store.pk, roles=roles, q=q)
    rostered = RosterEntry.objects.filter(org_id=scope.org_id, store_id=store.pk, day=day)
    qs = qs.annotate(
        on_shift=Exists(rostered.filter(staff_id=OuterRef("pk"), is_rest=False)),
    )
    if not include_off_shift and rostered.filter(is_rest=False).exists():
        qs = qs.filter(on_shift=True)
    return qs


def day_counts(visits: list[Visit], appointments: list[Appointment], *, left: int = 0) -> dict:
    """Counts for the store manager's header, from rows already loaded; `left`: visits that
    ended and were counted, not loaded."""
    left += sum(1 for v in visits if v.status == Visit.Status.LEFT)
    return {
        "appointments": len(appointments),
        "booked_waiting": sum(1 for a in appointments if a.status == Appointment.Status.BOOKED),
        "visits": sum(1 for v in visits if v.status != Visit.Status.LEFT) + left,
        "waiting": sum(1 for v in visits if v.status == Visit.Status.WAITING),
        "in_service": sum(1 for v in visits if v.status == Visit.Status.IN_SERVICE),
        "left": left,
    }


FIRST_SECTIONS = {
    "front_desk": ("appointments", "queue", "visits"),
    "consultant": ("mine", "queue", "appointments", "visits"),
    "doctor": ("mine", "queue", "appointments", "visits"),
    "store_manager": ("counts", "queue", "appointments", "visits"),
    "hq": ("counts", "queue", "appointments", "visits"),
}
LONG_WAIT_MINUTES = 5  # guides check waiting customers every 5 minutes


def _shown_visits(visits: QuerySet[Visit]) -> QuerySet[Visit]:
    return (
        visits.select_related(None)
        .select_related("customer", "consultant", "doctor")
        .only(*TODAY_VISIT_COLUMNS)
    )


def _with_waiting_times(waiting: list[Visit], now) -> list[Visit]:
    for visit in waiting:
        visit.waiting_minutes = max(0, int((now - visit.arrived_at).total_seconds() // 60))
        visit.waits_long = visit.waiting_minutes > LONG_WAIT_MINUTES
    return waiting


def waiting_queue(
    scope: Scope, store: Store, day: date, now, *, q: str = "", page: bool = False
) -> list[Visit]:
    """The queue with each customer's waiting time; long waits (> 5 minutes) flagged.
    page=True: only the columns the today page shows."""
    waiting = queue(scope, store, day, q=q)
    return _with_waiting_times(list(_shown_visits(waiting) if page else waiting), now)


def _queue_of(in_store: list[Visit], now) -> list[Visit]:
    """The queue from the day's visits already loaded, in `queue`'s order."""
    waiting = [v for v in in_store if v.status == Visit.Status.WAITING]
    waiting.sort(key=lambda v: (v.appointment_id is None, v.arrived_at, v.pk))
    return _with_waiting_times(waiting, now)


def left_visits_today(scope: Scope, store: Store, day: date, *, q: str = "") -> list[Visit]:
    """The visits of the day that have ended (folded on the today page until asked for)."""
    return list(
        _shown_visits(visits_today(scope, store, day, q=q).filter(status=Visit.Status.LEFT))
    )


def today_board(
    scope: Scope, store: Store, day: date, now, *, q: str = "", page: bool = False
) -> dict:
    """Everything on the today page (今日工作) for one store: a fixed number of queries.
    page=True: only the columns the page shows (TODAY_*_COLUMNS), and of the day's visits only
    those still in the store — the ones that left are counted, and listed when asked for
    (`left_visits_today`): at the end of a busy day they are most of the rows, and the front
    desk works with who is here. The API reads whole rows, every visit."""
    appointments = appointments_today(scope, store, day, q=q)
    visits = visits_today(scope, store, day, q=q)
    sections = FIRST_SECTIONS.get(scope.role, ("queue", "appointments", "visits"))
    mine = my_visits_today(scope, store, day, q=q) if "mine" in sections else None
    if not page:
        appointments, visits = list(appointments), list(visits)
        return {
            "store": store,
            "day": day,
            "sections": sections,
            "appointments": appointments,
            "queue": waiting_queue(scope, store, day, now, q=q),
            "visits": visits,
            "mine": list(mine) if mine is not None else None,
            "counts": day_counts(visits, appointments) if "counts" in sections else None,
        }
    appointments = list(
        appointments.select_related(None)
        .select_related("customer", "doctor", "consultant", "visit")
        .only(*TODAY_APPOINTMENT_COLUMNS)
    )
    left_count = visits.filter(status=Visit.Status.LEFT).count()
    in_store = list(_shown_visits(visits.exclude(status=Visit.Status.LEFT)))
    if mine is not None:
        mine = list(_shown_visits(mine.exclude(status=Visit.Status.LEFT)))
    return {
        "store": store,
        "day": day,
        "sections": sections,
        "appointments": appointments,
        "queue": _queue_of(in_store, now),
        "visits": in_store,
        "left_count": left_count,
        "visit_count": len(in_store) + left_count,
        "mine": mine,
        "counts": (
            day_counts(in_store, appointments, left=left_count) if "counts" in sections else None
        ),
    }
