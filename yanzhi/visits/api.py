"""/api/v1 endpoints for visits; the same services as the pages."""

from datetime import date

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import store_today
from yanzhi.org import policy
from yanzhi.org.queries import get_scope_store, get_staff
from yanzhi.visits import queries, services
from yanzhi.visits.models import Visit
from yanzhi.visits.schemas import (
    LeaveIn,
    ProposalOut,
    QueueEntryOut,
    StageIn,
    TodayOut,
    TriageIn,
    VisitIn,
    VisitOut,
    VisitPage,
    VisitTypeIn,
)

router = Router(tags=["visits"])


def _store(request, store_id: int | None):
    """The store asked for, or the caller's current store (HQ must name one)."""
    store_id = store_id or request.scope.current_store_id
    if not store_id:
        message = _("请指定门店")
        raise BusinessError("store_required", message, fields={"store_id": [message]}, status=422)
    return get_scope_store(request.scope, store_id, request.user)


@router.get("/visits", response=VisitPage)
def list_visits(
    request,
    store_id: int | None = None,
    day: date | None = None,
    status: Visit.Status | None = None,
    customer_id: int | None = None,
    limit: int = Query(50, ge=1, le=100),
    offset: int = Query(0, ge=0),
):
    qs = queries.visits_for(request.scope)
    if store_id is not None:
        qs = qs.filter(store_id=store_id)
    if day is not None:
        qs = qs.filter(day=day)
    if status is not None:
        qs = qs.filter(status=status)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    qs = qs.select_related("store", "customer", "consultant", "doctor").only(
        *queries.VISIT_OUT_COLUMNS
    )
    # newest first, day by day: the (org, day) index gives the days in order and only the
    # last days' visits are sorted (by arrival time: 4 s for HQ at 5 million visits)
    qs = qs.order_by("-day", "-arrived_at", "-id")
    return {"count": qs.count(), "items": list(qs[offset : offset + limit])}


@router.post("/visits", response={201: VisitOut})
def register_arrival(request, data: VisitIn):
    policy.require(request.scope, "visit.register")
    appointment = None
    if data.appointment_id:
        appointment = queries.get_appointment(request.scope, data.appointment_id)
    store = _store(request, data.store_id or (appointment.store_id if appointment else None))
    if data.phone:
        customer = queries.arrival_customer(request.scope, phone=data.phone)
    elif data.customer_id:
        customer = queries.arrival_customer(request.scope, customer_id=data.customer_id)
    elif appointment is not None:
        customer = appointment.customer
    else:
        message = _("请选择客户")
        raise BusinessError(
            "customer_required", message, fields={"customer_id": [message]}, status=422
        )
    visit = services.register_arrival(
        store,
        customer=customer,
        appointment=appointment,
        arrived_at=data.arrived_at,
        visit_type=data.visit_type,
        note=data.note,
        by=request.auth,
    )
    # The new visit as written, with the store and customer it was given: reading it back
    # would cost a fifth of the request.
    return Status(201, visit)


@router.get("/visits/queue", response=list[QueueEntryOut])
def visit_queue(request, store_id: int | None = None):
    store = _store(request, store_id)
    return queries.waiting_queue(request.scope, store, store_today(store), timezone.now())


@router.get("/visits/{visit_id}", response=VisitOut)
def get_visit(request, visit_id: int):
    return queries.get_visit_out(request.scope, visit_id)


@router.post("/visits/{visit_id}/confirm-type", response=VisitOut)
def confirm_type(request, visit_id: int, data: VisitTypeIn):
    visit = queries.get_visit(request.scope, visit_id)
    services.confirm_visit_type(visit, visit_type=data.visit_type, by=request.auth)
    return queries.get_visit_out(request.scope, visit_id)


@router.post("/visits/{visit_id}/triage", response=VisitOut)
def triage(request, visit_id: int, data: TriageIn):
    visit = queries.get_visit(request.scope, visit_id)
    consultant = get_staff(request.scope, data.consultant_id) if data.consultant_id else None
    doctor = get_staff(request.scope, data.doctor_id) if data.doctor_id else None
    services.triage(visit, consultant=consultant, doctor=doctor, by=request.auth)
    return queries.get_visit_out(request.scope, visit_id)


@router.post("/visits/{visit_id}/stages", response=VisitOut)
def record_stage(request, visit_id: int, data: StageIn):
    visit = queries.get_visit(request.scope, visit_id)
    services.record_stage(visit, stage=data.stage, at=data.at, by=request.auth)
    return queries.get_visit_out(request.scope, visit_id)


@router.post("/visits/{visit_id}/leave", response=VisitOut)
def leave(request, visit_id: int, data: LeaveIn | None = None):
    visit = queries.get_visit(request.scope, visit_id)
    services.leave(visit, at=data.at if data else None, by=request.auth)
    return queries.get_visit_out(request.scope, visit_id)


@router.get("/visit-type-proposal", response=ProposalOut)
def visit_type_proposal(
    request,
    customer_id: int | None = None,
    appointment_id: int | None = None,
    store_id: int | None = None,
    phone: str | None = None,
):
    """What the system would propose if the customer arrived now."""
    appointment = None
    if appointment_id:
        appointment = queries.get_appointment(request.scope, appointment_id)
    store = _store(request, store_id or (appointment.store_id if appointment else None))
    if phone:
        customer = queries.arrival_customer(request.scope, phone=phone)
    elif customer_id:
        customer = queries.arrival_customer(request.scope, customer_id=customer_id)
    elif appointment is not None:
        customer = appointment.customer
    else:
        raise Http404
    proposal = services.propose_visit_type(customer, store, appointment=appointment)
    return {
        "customer_id": customer.pk,
        "store_id": store.pk,
        "appointment_id": appointment.pk if appointment else None,
        "visit_type": proposal.value,
        "visit_type_label": str(proposal.label),
    }


@router.get("/today", response=TodayOut)
def today(request, store_id: int | None = None, q: str = ""):
    store = _store(request, store_id)
    board = queries.today_board(request.scope, store, store_today(store), timezone.now(), q=q)
    return {**board, "store_id": store.pk, "sections": list(board["sections"])}
