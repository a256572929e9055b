"""/api/v1 endpoints of sales: orders (submit, pay, reverse, refund), stored-value cards,
e-coupons, deposits, the deal definition and the prepaid liability. Same services as the pages."""

from datetime import date

from django.utils.translation import gettext as _
from ninja import Header, Router, Status

from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import store_today
from yanzhi.customers import queries as customer_queries
from yanzhi.customers.models import Customer, SourceChannel
from yanzhi.org import policy
from yanzhi.org import queries as org_queries
from yanzhi.org.models import Organization
from yanzhi.sales import promotions, queries, services
from yanzhi.sales.models import DealDefinition
from yanzhi.sales.schemas import (
    ApprovalOut,
    ApprovalPage,
    CardOut,
    CardPage,
    CouponIn,
    CouponOut,
    CouponPage,
    CustomerOffersOut,
    DealDefinitionIn,
    DealDefinitionOut,
    DecisionIn,
    DepositIn,
    DepositOut,
    DepositPage,
    DiscountLimitIO,
    ExtendIn,
    FlowIO,
    LiabilityOut,
    OrderIn,
    OrderOut,
    OrderPage,
    OrderPatch,
    PayIn,
    RefundIn,
    SubmitIn,
)
from yanzhi.sales.services import PaymentLine

router = Router(tags=["sales"])
MAX_LIMIT = 100


def _page(qs, limit: int, offset: int) -> dict:
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
    return {"count": qs.count(), "items": list(qs[offset : offset + limit])}


def _store(request, store_id):
    store_id = store_id or request.scope.current_store_id
    if not store_id:
        message = _("请指定门店")
        raise BusinessError("store_required", message, fields={"store_id": [message]}, status=422)
    return org_queries.get_scope_store(request.scope, store_id, request.user)


def _org_record(request, model, pk: int | None, field: str, code: str, message):
    """The chain's record `pk` named by an input field (None when not given); a 422 on the
    field when there is none."""
    if not pk:
        return None
    record = model.objects.filter(org_id=request.scope.org_id, pk=pk).first()
    if record is None:
        raise BusinessError(code, message, fields={field: [message]}, status=422)
    return record


def _detail(request, pk):
    return queries.get_order_out(request.scope, pk)


def _lines(lines):
    return [(ln.item_id, ln.quantity, ln.discount_amount, ln.promotion_id) for ln in lines]


@router.get("/orders", response=OrderPage, summary="Orders in scope, newest first")
def list_orders(
    request,
    status: str = "",
    store_id: int | None = None,
    customer_id: int | None = None,
    q: str = "",
    limit: int = 50,
    offset: int = 0,
):
    policy.require(request.scope, "order.view")
    qs = queries.order_list(
        request.scope, status=status, store_id=store_id, customer_id=customer_id, q=q
    )
    return _page(qs, limit, offset)


@router.post("/orders", response={201: OrderOut})
def create_order(request, data: OrderIn):
    store = _store(request, data.store_id)
    customer = customer_queries.get_customer(request.scope, data.customer_id)
    from yanzhi.visits.models import Visit

    visit = _org_record(
        request, Visit, data.visit_id, "visit_id", "invalid_visit", _("到访记录不存在")
    )
    channel = _org_record(
        request,
        SourceChannel,
        data.sales_channel_id,
        "sales_channel_id",
        "invalid_channel",
        _("销售渠道不存在"),
    )
    order = services.open_order(
        customer,
        store=store,
        by=request.auth,
        lines=_lines(data.lines),
        order_type=data.order_type,
        visit=visit,
        sales_channel=channel,
        note=data.note,
        submit=data.submit,
    )
    return Status(201, order)  # as written (written_lines, written_payments)


@router.get(
    "/customers/{customer_id}/promotions",
    response=CustomerOffersOut,
    summary="The promotions a customer may buy under at a store on a day",
)
def customer_promotions(
    request, customer_id: int, store_id: int | None = None, day: date | None = None
):
    """Running promotions of the store whose target tags and member levels the customer
    matches now, item by item, with the units left under each limit per customer. `day`: the
    store's business date (default today there)."""
    policy.require(request.scope, "promotion.view")
    store = _store(request, store_id)
    customer = customer_queries.get_customer(request.scope, customer_id)
    customer = Customer.objects.select_related("summary", "member_level").get(pk=customer.pk)
    day = day or store_today(store)
    offers = promotions.offers_for(customer, store=store, day=day)
    return {
        "customer_id": customer.pk,
        "store_id": store.pk,
        "day": day,
        "offers": [
            {
                "promotion_id": o.promotion.pk,
                "promotion_name": o.promotion.name,
                "start_date": o.promotion.start_date,
                "end_date": o.promotion.end_date,
                "item_id": o.promotion_item.item_id,
                "item_name": o.promotion_item.item.name,
                "price_amount": o.promotion_item.price_amount,
                "limit_per_customer": o.promotion_item.limit_per_customer,
                "remaining": o.remaining,
            }
            for o in offers
        ],
    }


@router.get("/orders/{order_id}", response=OrderOut)
def get_order(request, order_id: int):
    policy.require(request.scope, "order.view")
    return _detail(request, order_id)


@router.patch("/orders/{order_id}", response=OrderOut)
def patch_order(request, order_id: int, data: OrderPatch):
    order = queries.get_order(request.scope, order_id)
    services.update_draft(
        order,
        by=request.auth,
        order_type=data.order_type,
        note=data.note,
        lines=_lines(data.lines) if data.lines is not None else None,
    )
    return _detail(request, order_id)


@router.post("/orders/{order_id}/submit", response=OrderOut)
def submit(request, order_id: int, data: SubmitIn | None = None):
    """Draft → pending. A discount above the store's limit starts an approval request
    (approval_status "pending"); payment is refused until it is approved."""
    services.submit_order(
        queries.get_order(request.scope, order_id),
        by=request.auth,
        approval_reason=data.approval_reason if data else "",
    )
    return _detail(request, order_id)


@router.post("/orders/{order_id}/reverse", response=OrderOut)
def reverse(request, order_id: int):
    services.reverse_order(queries.get_order(request.scope, order_id), by=request.auth)
    return _detail(request, order_id)


@router.post("/orders/{order_id}/pay", response=OrderOut)
def pay(
    request,
    order_id: int,
    data: PayIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    paid = services.pay_order(
        order_id,  # read in the caller's scope under its lock (a 404 if not seen)
        payments=[
            PaymentLine(p.method, p.amount, p.card_id, p.coupon_id, p.deposit_id)
            for p in data.payments
        ],
        idempotency_key=data.idempotency_key or idempotency_key,
        business_date=data.business_date,
        by=request.auth,
    )
    if getattr(paid, "written_payments", None) is not None:
        return paid  # the first payment: the order as written
    detail = _detail(request, order_id)
    detail.stock_warnings = getattr(paid, "stock_warnings", [])
    return detail


@router.post("/orders/{order_id}/refund", response=OrderOut)
def refund(request, order_id: int, data: RefundIn):
    order = queries.get_order(request.scope, order_id)
    services.refund_order(
        order,
        lines=[(ln.line_id, ln.quantity) for ln in data.lines],
        sessions=[(s.line_id, s.sessions) for s in data.sessions],
        full=data.full,
        reason=data.reason,
        by=request.auth,
    )
    return _detail(request, order_id)


@router.get("/cards", response=CardPage, summary="Stored-value cards (储值卡)")
def list_cards(request, customer_id: int | None = None, limit: int = 50, offset: int = 0):
    policy.require(request.scope, "order.view")
    qs = queries.cards_for(request.scope).order_by("-id")
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    return _page(qs, limit, offset)


@router.post("/cards/{card_id}/extend", response=CardOut)
def extend_card(request, card_id: int, data: ExtendIn):
    card = queries.get_card(request.scope, card_id)
    return services.extend_card(
        card, new_expires_on=data.new_expires_on, reason=data.reason, by=request.auth
    )


@router.get("/coupons", response=CouponPage, summary="E-coupons (电子券)")
def list_coupons(request, customer_id: int | None = None, limit: int = 50, offset: int = 0):
    policy.require(request.scope, "order.view")
    qs = queries.coupons_for(request.scope).order_by("-id")
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    return _page(qs, limit, offset)


@router.post("/coupons", response={201: CouponOut})
def create_coupon(request, data: CouponIn):
    customer = customer_queries.get_customer(request.scope, data.customer_id)
    coupon = services.issue_coupon(
        customer,
        value_amount=data.value_amount,
        expires_on=data.expires_on,
        code=data.code,
        by=request.auth,
    )
    return Status(201, coupon)


@router.post("/coupons/{coupon_id}/extend", response=CouponOut)
def extend_coupon(request, coupon_id: int, data: ExtendIn):
    coupon = queries.get_coupon(request.scope, coupon_id)
    return services.extend_coupon(
        coupon, new_expires_on=data.new_expires_on, reason=data.reason, by=request.auth
    )


@router.get("/deposits", response=DepositPage, summary="Deposits (预约金)")
def list_deposits(
    request, customer_id: int | None = None, status: str = "", limit: int = 50, offset: int = 0
):
    policy.require(request.scope, "order.view")
    qs = queries.deposits_for(request.scope).order_by("-id")
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if status:
        qs = qs.filter(status=status)
    return _page(qs, limit, offset)


@router.post("/deposits", response={201: DepositOut})
def create_deposit(request, data: DepositIn):
    store = _store(request, data.store_id)
    customer = customer_queries.get_customer(request.scope, data.customer_id)
    appointment = None
    if data.appointment_id:
        from yanzhi.scheduling.models import Appointment

        appointment = Appointment.objects.filter(
            org_id=request.scope.org_id, pk=data.appointment_id
        ).first()
        if appointment is None:
            raise BusinessError(
                "invalid_appointment",
                _("预约不存在"),
                fields={"appointment_id": [_("预约不存在")]},
                status=422,
            )
    deposit = services.take_deposit(
        customer,
        store=store,
        amount=data.amount,
        method=data.method,
        appointment=appointment,
        by=request.auth,
    )
    return Status(201, deposit)


def _definition_out(d: DealDefinition | None) -> dict:
    if d is None:
        return {
            "id": None,
            "order_types": [],
            "min_amount": "0.00",
            "kinds": list(DealDefinition.KINDS),
            "effective_from": None,
        }
    return {
        "id": d.pk,
        "order_types": d.order_types,
        "min_amount": d.min_amount,
        "kinds": [k for k in DealDefinition.KINDS if k in d.enabled_kinds],
        "effective_from": d.effective_from,
    }


@router.get(
    "/deal-definition",
    response=DealDefinitionOut,
    summary="The deal definition in force (成交配置)",
)
def get_deal_definition(request):
    return _definition_out(queries.current_definition(request.scope))


@router.put("/deal-definition", response=DealDefinitionOut)
def put_deal_definition(request, data: DealDefinitionIn):
    org = Organization.objects.get(pk=request.scope.org_id)
    d = services.set_deal_definition(
        org,
        order_types=data.order_types,
        min_amount=data.min_amount,
        kinds=data.kinds,
        by=request.auth,
    )
    return _definition_out(d)


def _liability_row(r) -> dict:
    return {
        "store_id": r.store.pk if r.store else None,
        "store_name": r.store.name if r.store else "",
        "stored_value_amount": r.stored_value_amount,
        "expired_stored_value_amount": r.expired_stored_value_amount,
        "card_count": r.card_count,
        "sessions_value_amount": r.sessions_value_amount,
        "expired_sessions_value_amount": r.expired_sessions_value_amount,
        "session_count": r.session_count,
        "deposit_amount": r.deposit_amount,
        "deposit_count": r.deposit_count,
        "total_amount": r.total_amount,
    }


@router.get(
    "/prepaid-liability",
    response=LiabilityOut,
    summary="What the chain owes its customers, by store and in total",
)
def prepaid_liability(request):
    """Unused stored value, unused sessions (at their unit value) and held deposits by the
    store that took the money; expired balances apart (still owed)."""
    policy.require(request.scope, "prepaid.view")
    liability = queries.prepaid_liability(request.scope)
    return {
        "stores": [_liability_row(r) for r in liability.rows],
        "total": _liability_row(liability.total),
    }


# --- discount approval (层级审批) --------------------------------------------------------------------
def _approval(request, approval_id):
    return queries.get_approval(request.scope, approval_id)


@router.get(
    "/discount-approvals",
    response=ApprovalPage,
    summary="Discount approval requests: box=waiting (for me), requested, decided or all",
)
def list_approvals(request, box: str = "waiting", limit: int = 50, offset: int = 0):
    if box not in queries.APPROVAL_BOXES:
        message = _("请选择正确的审批列表")
        raise BusinessError("invalid_box", message, fields={"box": [message]}, status=422)
    qs = queries.approval_list(request.scope, box).prefetch_related("decisions__by")
    return _page(qs, limit, offset)


@router.get("/discount-approvals/{approval_id}", response=ApprovalOut)
def get_approval(request, approval_id: int):
    return _approval(request, approval_id)


@router.post("/discount-approvals/{approval_id}/approve", response=ApprovalOut)
def approve(request, approval_id: int, data: DecisionIn):
    """Agree at the current level: approved if the level covers the discount, else passed up."""
    services.approve_discount(
        _approval(request, approval_id), by=request.auth, comment=data.comment
    )
    return _approval(request, approval_id)


@router.post("/discount-approvals/{approval_id}/reject", response=ApprovalOut)
def reject(request, approval_id: int, data: DecisionIn):
    """Refuse (a comment is required): the order goes back to draft."""
    services.reject_discount(_approval(request, approval_id), by=request.auth, comment=data.comment)
    return _approval(request, approval_id)


def _flow_out(org_id: int) -> dict:
    return {
        "steps": [
            {"approver": s.approver, "max_percent": s.max_percent}
            for s in services.discount_flow(org_id)
        ]
    }


@router.get("/discount-approval-flow", response=FlowIO, summary="The discount approval levels")
def get_flow(request):
    policy.require(request.scope, "approval.configure")
    return _flow_out(request.scope.org_id)


@router.put("/discount-approval-flow", response=FlowIO)
def put_flow(request, data: FlowIO):
    org = Organization.objects.get(pk=request.scope.org_id)
    steps = [(s.approver, s.max_percent) for s in data.steps]
    services.set_discount_flow(org, steps=steps, by=request.auth)
    return _flow_out(org.pk)


def _limit_out(store) -> dict:
    return {
        "store_id": store.pk,
        "store_name": store.name,
        "limit_percent": store.discount_limit_percent,
    }


@router.get(
    "/discount-limits",
    response=list[DiscountLimitIO],
    summary="Each store's discount limit without approval",
)
def list_discount_limits(request):
    policy.require(request.scope, "approval.configure")
    return [_limit_out(s) for s in org_queries.stores_for(request.scope)]


@router.put("/discount-limits/{store_id}", response=DiscountLimitIO)
def put_discount_limit(request, store_id: int, data: DiscountLimitIO):
    store = org_queries.get_store(request.scope, store_id)
    store = services.set_discount_limit(store, limit_percent=data.limit_percent, by=request.auth)
    return _limit_out(store)
