"""/api/v1 endpoints of courses (entitlements) and executions (执行划扣). Same services and
scoped queries as the pages."""

from datetime import date

from django.utils.translation import gettext as _
from ninja import Router, Status

from yanzhi.catalog.models import Item
from yanzhi.core.errors import BusinessError
from yanzhi.org import policy
from yanzhi.org import queries as org_queries
from yanzhi.org.models import Staff
from yanzhi.treatments import queries, services
from yanzhi.treatments.schemas import (
    ConfirmIn,
    EntitlementOut,
    EntitlementPage,
    ExecutionDetailOut,
    ExecutionIn,
    ExecutionPage,
    ExtendIn,
    LotCustomerPage,
)
from yanzhi.visits.queries import get_visit

router = Router(tags=["treatments"])
MAX_LIMIT = 100


def _page(qs, limit: int, offset: int) -> dict:
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
    return {"count": qs.count(), "items": list(qs[offset : offset + limit])}


# --- courses ------------------------------------------------------------------------------------
@router.get("/entitlements", response=EntitlementPage, summary="Courses (疗程) in scope")
def list_entitlements(
    request, customer_id: int | None = None, status: str = "", limit: int = 50, offset: int = 0
):
    policy.require(request.scope, "treatment.view")
    qs = queries.entitlements_for(request.scope).select_related("item").order_by("-id")
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if status:
        qs = qs.filter(status=status)
    return _page(qs, limit, offset)


@router.get("/entitlements/{entitlement_id}", response=EntitlementOut)
def get_entitlement(request, entitlement_id: int):
    policy.require(request.scope, "treatment.view")
    return queries.get_entitlement(request.scope, entitlement_id)


@router.post("/entitlements/{entitlement_id}/extend", response=EntitlementOut)
def extend_entitlement(request, entitlement_id: int, data: ExtendIn):
    entitlement = queries.get_entitlement(request.scope, entitlement_id)
    return services.extend_entitlement(
        entitlement, new_expires_on=data.new_expires_on, reason=data.reason, by=request.auth
    )


# --- executions ---------------------------------------------------------------------------------
def _materials(request, data: ExecutionIn):
    if data.materials is None:
        return None
    ids = [m.item_id for m in data.materials]
    found = {
        i.pk: i
        for i in Item.objects.filter(org_id=request.scope.org_id, pk__in=ids, track_stock=True)
    }
    lines = []
    for n, material in enumerate(data.materials):
        if material.item_id not in found:
            message = _("物品不存在或不做库存管理")
            raise BusinessError(
                "invalid_item", message, fields={f"materials.{n}.item_id": [message]}, status=422
            )
        lines.append((found[material.item_id], material.quantity, material.lot_no))
    return lines


@router.post("/executions", response={201: ExecutionDetailOut}, summary="Execute a session")
def create_execution(request, data: ExecutionIn):
    scope = request.scope
    entitlement = queries.get_entitlement_to_execute(scope, data.entitlement_id)
    visit = get_visit(scope, data.visit_id) if data.visit_id else None
    store_id = data.store_id or scope.current_store_id
    store = (
        org_queries.get_scope_store(scope, store_id, request.user)
        if store_id and not visit
        else None
    )
    assistant = None
    if data.assistant_id:
        assistant = Staff.objects.filter(org_id=scope.org_id, pk=data.assistant_id).first()
        if assistant is None:
            message = _("配台人员不存在")
            raise BusinessError(
                "invalid_assistant", message, fields={"assistant_id": [message]}, status=422
            )
    execution = services.execute_session(
        entitlement,
        by=request.auth,
        sessions=data.sessions,
        visit=visit,
        store=store,
        business_date=data.business_date,
        assistant=assistant,
        device=data.device,
        energy=data.energy,
        dose=data.dose,
        injection_sites=data.injection_sites,
        lot_no=data.lot_no,
        notes=data.notes,
        materials=_materials(request, data),
    )
    return Status(201, queries.new_execution_out(execution))


@router.get("/executions", response=ExecutionPage, summary="Executions (执行记录) in scope")
def list_executions(
    request,
    customer_id: int | None = None,
    lot_no: str = "",
    store_id: int | None = None,
    day: date | None = None,
    limit: int = 50,
    offset: int = 0,
):
    policy.require(request.scope, "treatment.view")
    qs = queries.execution_out_list(request.scope)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if lot_no:
        qs = qs.filter(lot_no__iexact=lot_no.strip())
    if store_id:
        qs = qs.filter(store_id=store_id)
    if day:
        qs = qs.filter(business_date=day)
    # newest first, day by day: the (org, business date) index gives the days in order and
    # only the last days' executions are sorted (4 s for HQ at 5 million executions)
    return _page(qs.order_by("-business_date", "-created_at", "-id"), limit, offset)


@router.get("/executions/{execution_id}", response=ExecutionDetailOut)
def get_execution(request, execution_id: int):
    policy.require(request.scope, "treatment.view")
    return queries.get_execution_out(request.scope, execution_id)


@router.post("/executions/{execution_id}/confirm", response=ExecutionDetailOut)
def confirm_execution(request, execution_id: int, data: ConfirmIn):
    execution = queries.get_execution(request.scope, execution_id)
    services.confirm_execution(execution, method=data.method, by=request.auth)
    return queries.get_execution_out(request.scope, execution_id)


@router.get(
    "/lots/{lot_no}/customers",
    response=LotCustomerPage,
    summary="Every customer treated with a product lot (批号追溯)",
)
def lot_customers(request, lot_no: str, limit: int = 100, offset: int = 0):
    policy.require(request.scope, "treatment.view")
    return _page(queries.customers_treated_with_lot(request.scope, lot_no), limit, offset)
