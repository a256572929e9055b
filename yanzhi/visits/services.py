"""Business actions on visits: arrival, visit type, triage, stages, leaving, closing time.

The visit type is decided by `yanzhi.visits.rules.decide_visit_type` (see docs/visit-types.md);
this module gathers its facts and keeps every visit of one customer-day on the day's first type.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Count, IntegerField, Max, Min, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yanzhi.core import audit, events
from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import store_datetime, to_store_time
from yanzhi.customers import services as customer_services
from yanzhi.customers.models import Customer, CustomerSummary, VisitType
from yanzhi.org import policy
from yanzhi.org.models import Staff, Store
from yanzhi.scheduling import services as scheduling_services
from yanzhi.scheduling.models import Appointment
from yanzhi.visits.models import Visit
from yanzhi.visits.rules import VisitFacts, decide_visit_type

# A clock a little ahead of the server's is not "the future".
CLOCK_SKEW = timedelta(minutes=2)

STAGE_FIELDS = {
    "escorted": "escorted_at",
    "diagnosed": "diagnosed_at",
    "treated": "treated_at",
    "post_care": "post_care_at",
}
STAGE_LABELS = {
    "arrived_at": gettext_lazy("到店"),
    "escorted_at": gettext_lazy("接待"),
    "diagnosed_at": gettext_lazy("面诊"),
    "treated_at": gettext_lazy("治疗"),
    "post_care_at": gettext_lazy("术后护理"),
    "left_at": gettext_lazy("离店"),
}
VISIT_AUDIT_FIELDS = [
    "store_id",
    "customer_id",
    "appointment_id",
    "day",
    "visit_type",
    "proposed_visit_type",
    "type_confirmed_by_id",
    "status",
    "consultant_id",
    "doctor_id",
    "triaged_at",
    *Visit.STAGES,
    "left_automatically",
    "note",
]


def _snapshot(visit: Visit) -> dict:
    return audit.snapshot(visit, VISIT_AUDIT_FIELDS)


def _record_change(by, action: str, visit: Visit, before: dict, *, note: str = "") -> None:
    old, new = audit.changed(before, _snapshot(visit))
    audit.record(by, action, visit, before=old, after=new, note=note)


def _require(by: Staff | None, action: str) -> None:
    """The role check of the policy table; `by=None` is the system (e.g. closing time)."""
    if by is not None and by.role not in policy.ACTIONS[action]:
        raise BusinessError("forbidden", _("您的角色无权执行此操作"), status=403)


def _lock(visit: Visit) -> Visit:
    return Visit.objects.select_for_update().get(pk=visit.pk)


def _not_future(moment, field: str):
    if moment > timezone.now() + CLOCK_SKEW:
        message = _("时间不能晚于现在")
        raise BusinessError("time_in_future", message, fields={field: [message]})


def _valid_type(visit_type: str, field: str = "visit_type") -> str:
    if visit_type not in VisitType.values:
        message = _("请选择有效的到访类型")
        raise BusinessError("invalid_visit_type", message, fields={field: [message]})
    return visit_type


# --- the visit type --------------------------------------------------------------------------
# Two arrivals on the same store-local day are less than this apart, whatever the stores'
# timezones: the summary's latest visit time says when no query is needed.
SAME_DAY_REACH = timedelta(hours=48)


def _first_visit_of_day(customer_id: int, org_id: int, day, *, until=None, exclude_pk=None):
    qs = Visit.objects.filter(org_id=org_id, customer_id=customer_id, day=day)
    if until is not None:
        qs = qs.filter(arrived_at__lte=until)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("arrived_at", "id").only("visit_type").first()


def visit_facts(
    customer: Customer,
    store: Store,
    arrived_at,
    appointment: Appointment | None = None,
    summary: CustomerSummary | None = None,
) -> VisitFacts:
    """What the visit-type rule needs, read from the customer's summary (read here unless
    given) and visits."""
    day = to_store_time(store, arrived_at).date()
    if summary is None:
        summary = CustomerSummary.objects.filter(customer_id=customer.pk).first()
    if summary is not None and (
        summary.last_visit_at is None or summary.last_visit_at < arrived_at - SAME_DAY_REACH
    ):
        first_today = None  # the latest visit is too early to be on the arrival's day
    else:
        first_today = _first_visit_of_day(customer.pk, customer.org_id, day, until=arrived_at)
    first_visit_at = summary.first_visit_at if summary else None
    return VisitFacts(
        first_type_today=first_today.visit_type if first_today else None,
        has_earlier_visit=first_visit_at is not None and first_visit_at < arrived_at,
        deal_count=summary.deal_count if summary else 0,
        open_course_count=summary.open_course_count if summary else 0,
        checkup_appointment=bool(
            appointment and appointment.purpose == Appointment.Purpose.CHECKUP
        ),
    )


def propose_visit_type(
    customer: Customer, store: Store, arrived_at=None, appointment: Appointment | None = None
) -> VisitType:
    """The visit type the system proposes for this arrival (docs/visit-types.md)."""
    return decide_visit_type(
        visit_facts(customer, store, arrived_at or timezone.now(), appointment)
    )


def _sync_last_visit_type(customer_id: int) -> None:
    """The summary's last visit type follows the latest visit's (confirmed) type."""
    latest = (
        Visit.objects.filter(customer_id=customer_id)
        .order_by("-arrived_at", "-id")
        .values_list("visit_type", flat=True)
        .first()
    )
    if latest:
        customer_services.set_last_visit_type(customer_id, latest)


def _align_day(customer_id: int, org_id: int, day, *, by) -> int:
    """Every later visit of the customer's day takes the type of the day's first visit."""
    first = _first_visit_of_day(customer_id, org_id, day)
    if first is None:
        return 0
    followers = (
        Visit.objects.select_for_update()
        .filter(org_id=org_id, customer_id=customer_id, day=day)
        .exclude(pk=first.pk)
        .exclude(visit_type=first.visit_type)
    )
    changed = 0
    for visit in followers:
        before = visit.visit_type
        visit.visit_type = first.visit_type
        visit.save(update_fields=["visit_type", "updated_at"])
        audit.record(
            by,
            "visit.type_aligned",
            visit,
            before={"visit_type": before},
            after={"visit_type": visit.visit_type},
            note="同一天多次到访,到访类型以当天第一次到访为准",
        )
        changed += 1
    return changed


# --- arrival -------------------------------------------------------------------------------------
@transaction.atomic
def register_arrival(
    store: Store,
    *,
    customer: Customer,
    by: Staff,
    appointment: Appointment | None = None,
    arrived_at=None,
    visit_type: str | None = None,
    note: str = "",
) -> Visit:
    """Register a customer's arrival: a visit with the proposed (or confirmed) type; a later
    arrival on the same day always takes the type of the day's first arrival."""
    _require(by, "visit.register")
    if customer.org_id != store.org_id:
        raise BusinessError("not_found", _("记录不存在"), status=404)
    if by is not None and by.role != policy.HQ and not policy.scope_for(by).covers_store(store.pk):
        raise BusinessError("forbidden", _("您不在该门店工作,不能登记到店"), status=403)
    now = timezone.now()
    arrived_at = arrived_at or now
    _not_future(arrived_at, "arrived_at")
    if visit_type:
        _valid_type(visit_type)
    if appointment is not None and (
        appointment.customer_id != customer.pk or appointment.store_id != store.pk
    ):
        message = _("该预约不属于此客户或不在本门店")
        raise BusinessError("appointment_mismatch", message, fields={"appointment": [message]})
    note = (note or "").strip()
    if len(note) > 300:
        message = _("备注不能超过300字")
        raise BusinessError("note_too_long", message, fields={"note": [message]})

    # Lock the customer's summary first: two desks registering the same customer queue here.
    summary = customer_services.lock_summary(customer.pk)
    if summary is None:  # a customer imported without one
        customer_services.ensure_summary(customer)
        summary = customer_services.lock_summary(customer.pk)
    if Visit.objects.filter(
        customer_id=customer.pk, store_id=store.pk, left_at__isnull=True
    ).exists():
        raise BusinessError("already_in_store", _("该客户已在店内(本次到访尚未离店),不能重复登记"))
    if appointment is not None:
        scheduling_services.mark_arrived(appointment, arrived_at=arrived_at, by=by)

    facts = visit_facts(customer, store, arrived_at, appointment, summary)
    proposed = decide_visit_type(facts)
    coerced = bool(visit_type and facts.first_type_today and visit_type != proposed)
    final = proposed if coerced or not visit_type else VisitType(visit_type)
    confirmed = bool(visit_type) and not coerced
    visit = Visit.objects.create(
        org_id=store.org_id,
        store=store,
        customer=customer,
        appointment=appointment,
        day=to_store_time(store, arrived_at).date(),
        visit_type=final,
        proposed_visit_type=proposed,
        type_confirmed_by=by if confirmed else None,
        type_confirmed_at=now if confirmed else None,
        arrived_at=arrived_at,
        registered_by=by,
        note=note,
        customer_channel_id=customer.source_channel_id,
    )
    customer_services.link_customer_to_store(customer, store_id=store.pk)
    customer_services.note_visit(
        customer_id=customer.pk, arrived_at=arrived_at, visit_type=final.value, locked=summary
    )
    # A back-dated arrival may come before others of the same day: they follow it. (An arrival
    # now is the day's latest: nothing follows it.)
    back_dated = arrived_at < now
    if back_dated and _align_day(customer.pk, store.org_id, visit.day, by=by):
        _sync_last_visit_type(customer.pk)
    audit.record(
        by,
        "visit.registered",
        visit,
        after=_snapshot(visit),
        note=(
            f"staff chose {visit_type}, coerced to the day's first type {final}" if coerced else ""
        ),
    )
    visit.type_coerced = coerced
    return visit


@transaction.atomic
def confirm_visit_type(visit: Visit, *, visit_type: str, by: Staff) -> Visit:
    """Staff confirm or correct a visit's type; only the day's first visit may differ from the
    rule's proposal for the day, and the day's later visits follow it."""
    _require(by, "visit.register")
    _valid_type(visit_type)
    visit = _lock(visit)
    first = _first_visit_of_day(visit.customer_id, visit.org_id, visit.day)
    if first.pk != visit.pk and visit_type != first.visit_type:
        message = _(
            "同一天客户多次到访,到访类型以当天第一次到访为准(%(type)s),请修改第一次到访的类型"
        ) % {"type": first.get_visit_type_display()}
        raise BusinessError("same_day_rule", message, fields={"visit_type": [message]})
    before = _snapshot(visit)
    visit.visit_type = visit_type
    visit.type_confirmed_by = by
    visit.type_confirmed_at = timezone.now()
    visit.save(update_fields=["visit_type", "type_confirmed_by", "type_confirmed_at", "updated_at"])
    _record_change(by, "visit.type_confirmed", visit, before)
    if first.pk == visit.pk:
        _align_day(visit.customer_id, visit.org_id, visit.day, by=by)
    _sync_last_visit_type(visit.customer_id)
    return visit


# --- triage, stages, leaving ---------------------------------------------------------------------
def _check_assignee(person: Staff | None, *, store_id: int, org_id: int, role: str, field: str):
    if person is None:
        return
    if person.org_id != org_id or person.role != role:
        message = _("请选择咨询师") if role == policy.CONSULTANT else _("请选择医生")
        raise BusinessError("wrong_role", message, fields={field: [message]})
    if not person.is_active or not person.stores.filter(pk=store_id).exists():
        message = _("%(name)s不在本店在职,不能分诊给TA") % {"name": person.name}
        raise BusinessError("not_in_store", message, fields={field: [message]})


@transaction.atomic
def triage(
    visit: Visit, *, consultant: Staff | None = None, doctor: Staff | None = None, by: Staff
) -> Visit:
    """Assign the visit's consultant and/or doctor (active, of that role, working in the store);
    a person not given stays as it was."""
    _require(by, "visit.triage")
    if consultant is None and doctor is None:
        message = _("请选择咨询师或医生")
        raise BusinessError("triage_empty", message, fields={"consultant": [message]})
    visit = _lock(visit)
    if visit.left_at is not None:
        raise BusinessError("visit_left", _("客户已离店,不能再分诊"))
    _check_assignee(
        consultant,
        store_id=visit.store_id,
        org_id=visit.org_id,
        role=policy.CONSULTANT,
        field="consultant",
    )
    _check_assignee(
        doctor, store_id=visit.store_id, org_id=visit.org_id, role=policy.DOCTOR, field="doctor"
    )
    before = _snapshot(visit)
    doctor_changed = doctor is not None and doctor.pk != visit.doctor_id
    if consultant is not None:
        visit.consultant = consultant
    if doctor is not None:
        visit.doctor = doctor
    visit.triaged_at = timezone.now()
    visit.save(update_fields=["consultant", "doctor", "triaged_at", "updated_at"])
    _record_change(by, "visit.triaged", visit, before)
    if doctor_changed:
        # Money already taken on the visit's orders counts for the visit's doctor (接诊实收).
        events.emit(
            "visit.doctor_changed", visit_id=visit.pk, org_id=visit.org_id, doctor_id=doctor.pk
        )
    _start_team(visit.customer, consultant=consultant, doctor=doctor, by=by)
    return visit


def _start_team(customer: Customer, *, consultant, doctor, by: Staff) -> None:
    """The "1+1" team starts at the first triage: a customer without a responsible consultant
    (or doctor), typically a first visit, gets the one triaged, so that the consultant may open
    the customer and write the consultation. An existing team is never changed here."""
    home_store_id = customer.store_id
    team = {"consultant": customer.consultant, "doctor": customer.doctor}
    changed = False
    for field, person in (("consultant", consultant), ("doctor", doctor)):
        if (
            person is not None
            and team[field] is None
            and person.stores.filter(pk=home_store_id).exists()
        ):
            team[field], changed = person, True
    if changed:
        customer_services.assign_team(customer, by=by, **team)


def _check_stage_order(visit: Visit, field: str, at) -> None:
    """Stages may be skipped or recorded late, but their times never run backwards."""
    order = list(Visit.STAGES)
    position = order.index(field)
    for other in order[:position]:
        value = getattr(visit, other)
        if value and at < value:
            message = _("%(stage)s时间不能早于%(other)s时间") % {
                "stage": STAGE_LABELS[field],
                "other": STAGE_LABELS[other],
            }
            raise BusinessError("stage_out_of_order", message, fields={"at": [message]})
    for other in order[position + 1 :]:
        value = getattr(visit, other)
        if value and at > value:
            message = _("%(stage)s时间不能晚于%(other)s时间") % {
                "stage": STAGE_LABELS[field],
                "other": STAGE_LABELS[other],
            }
            raise BusinessError("stage_out_of_order", message, fields={"at": [message]})


@transaction.atomic
def record_stage(visit: Visit, *, stage: str, by: Staff, at=None) -> Visit:
    """Record one stage time (接待/面诊/治疗/术后护理) once; the customer then leaves the queue."""
    _require(by, "visit.stage")
    field = STAGE_FIELDS.get(stage)
    if field is None:
        message = _("无效的环节")
        raise BusinessError("invalid_stage", message, fields={"stage": [message]})
    visit = _lock(visit)
    if visit.left_at is not None:
        raise BusinessError("visit_left", _("客户已离店,不能再记录环节"))
    if getattr(visit, field) is not None:
        message = _("%(stage)s已记录") % {"stage": STAGE_LABELS[field]}
        raise BusinessError("stage_already_recorded", message, fields={"stage": [message]})
    at = at or timezone.now()
    _not_future(at, "at")
    _check_stage_order(visit, field, at)
    before = _snapshot(visit)
    setattr(visit, field, at)
    if visit.status == Visit.Status.WAITING:
        visit.status = Visit.Status.IN_SERVICE
    visit.save(update_fields=[field, "status", "updated_at"])
    _record_change(by, f"visit.{stage}", visit, before)
    return visit


@transaction.atomic
def leave(visit: Visit, *, by: Staff, at=None) -> Visit:
    """The customer leaves (离店): once, and not before any recorded stage."""
    _require(by, "visit.stage")
    visit = _lock(visit)
    if visit.left_at is not None:
        raise BusinessError("already_left", _("该客户已离店"))
    at = at or timezone.now()
    _not_future(at, "at")
    _check_stage_order(visit, "left_at", at)
    before = _snapshot(visit)
    visit.left_at, visit.status = at, Visit.Status.LEFT
    visit.save(update_fields=["left_at", "status", "updated_at"])
    _record_change(by, "visit.left", visit, before)
    events.emit(
        "visit.closed",
        visit_id=visit.pk,
        org_id=visit.org_id,
        store_id=visit.store_id,
        customer_id=visit.customer_id,
        day=visit.day,
        left_at=visit.left_at,
    )
    return visit


@transaction.atomic
def close_open_visits(store: Store, *, day) -> int:
    """At closing time, every visit of that day still open leaves automatically: at the store's
    closing time, or at its last recorded stage if that was later. Running it again changes
    nothing."""
    closing = store_datetime(store, day, store.closes_at)
    if timezone.now() < closing:
        raise BusinessError("store_still_open", _("门店尚未到营业结束时间"))
    open_visits = Visit.objects.select_for_update().filter(
        store_id=store.pk, day=day, left_at__isnull=True
    )
    closed = 0
    for visit in open_visits.order_by("pk"):
        before = _snapshot(visit)
        visit.left_at = max(closing, visit.last_stage_at)
        visit.status = Visit.Status.LEFT
        visit.left_automatically = True
        visit.save(update_fields=["left_at", "status", "left_automatically", "updated_at"])
        _record_change(None, "visit.left_automatically", visit, before, note="营业结束自动离店")
        events.emit(
            "visit.closed",
            visit_id=visit.pk,
            org_id=visit.org_id,
            store_id=visit.store_id,
            customer_id=visit.customer_id,
            day=visit.day,
            left_at=visit.left_at,
        )
        closed += 1
    return closed


# --- rebuilding the summary ------------------------------------------------------------------
@transaction.atomic
def rebuild_visit_facts(org_id: int | None = None) -> int:
    """Rebuild visit_count, first/last visit and the last visit type; returns rows updated."""
    customers = Customer.objects.filter(summary__isnull=True)
    summaries = CustomerSummary.objects.all()
    if org_id is not None:
        customers, summaries = customers.filter(org_id=org_id), summaries.filter(org_id=org_id)
    CustomerSummary.objects.bulk_create(
        [
            CustomerSummary(customer_id=pk, org_id=org, store_id=store)
            for pk, org, store in customers.values_list("pk", "org_id", "store_id")
        ],
        batch_size=1000,
    )
    visits = Visit.objects.filter(customer_id=OuterRef("customer_id"))
    per_customer = visits.order_by().values("customer_id")
    updated = summaries.update(
        visit_count=Coalesce(
            Subquery(per_customer.annotate(n=Count("pk")).values("n")[:1]),
            Value(0),
            output_field=IntegerField(),
        ),
        first_visit_at=Subquery(per_customer.annotate(t=Min("arrived_at")).values("t")[:1]),
        last_visit_at=Subquery(per_customer.annotate(t=Max("arrived_at")).values("t")[:1]),
        last_visit_type=Coalesce(
            Subquery(visits.order_by("-arrived_at", "-id").values("visit_type")[:1]), Value("")
        ),
    )
    customer_services.mirror_all_tag_facts(org_id)
    return updated


def follow_customer_channel(*, customer_id: int, org_id: int, channel_id: int | None) -> None:
    """The customer's source channel was corrected: their visits count for the new channel
    (handler of "customer.channel_changed")."""
    Visit.objects.filter(org_id=org_id, customer_id=customer_id).update(
        customer_channel_id=channel_id
    )
