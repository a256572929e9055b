"""API shapes of sales (In/Out pairs). Money is a decimal string "1280.00"."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema


class LineIn(Schema):
    item_id: int
    quantity: int = Field(..., description="> 0")
    discount_amount: Decimal = Decimal("0")
    promotion_id: int | None = Field(
        None,
        description="sell under this promotion (活动价): checked for the customer, store and "
        "business date; see GET /customers/{id}/promotions",
    )


class OrderIn(Schema):
    customer_id: int
    store_id: int | None = Field(None, description="default: the caller's current store")
    visit_id: int | None = None
    order_type: str = Field("", max_length=30)
    sales_channel_id: int | None = None
    note: str = Field("", max_length=200)
    lines: list[LineIn]
    submit: bool = Field(False, description="submit for payment at once (待支付)")


class OrderPatch(Schema):
    order_type: str | None = Field(None, max_length=30)
    note: str | None = Field(None, max_length=200)
    lines: list[LineIn] | None = None


class LineOut(Schema):
    id: int
    item_id: int
    item_name: str = Field(..., alias="item.name")
    kind: str
    quantity: int
    unit_price_amount: Decimal
    discount_amount: Decimal
    amount: Decimal
    refunded_quantity: int
    refunded_amount: Decimal
    promotion_id: int | None = Field(None, description="sold under this promotion")
    promotion_name: str | None = None
    list_price_amount: Decimal | None = Field(
        None, description="the store's price the promotional price replaced"
    )

    @staticmethod
    def resolve_promotion_name(obj):
        return obj.promotion.name if obj.promotion_id else None


class PaymentOut(Schema):
    id: int
    method: str
    amount: Decimal
    refund_of_id: int | None
    card_id: int | None
    coupon_id: int | None
    deposit_id: int | None
    business_date: date
    created_at: datetime


class OrderOut(Schema):
    id: int
    order_no: str
    store_id: int
    customer_id: int
    visit_id: int | None
    consultant_id: int
    order_type: str
    sales_channel_id: int | None
    status: str
    list_amount: Decimal
    discount_amount: Decimal
    payable_amount: Decimal
    paid_amount: Decimal
    refunded_amount: Decimal
    arrears_amount: Decimal
    is_deal: bool
    approval_status: str = Field(description="'' (none needed), pending, approved, rejected")
    deal_definition_id: int | None
    business_date: date
    submitted_at: datetime | None
    paid_at: datetime | None
    note: str
    lines: list[LineOut]
    payments: list[PaymentOut]
    warnings: list[str] = Field(
        [], description="negative stock let through by the store's warn policy (pay only)"
    )

    # An order a write has just made or paid carries its lines and payments (written_lines,
    # written_payments: sales.services); any other is read with them (queries.get_order_out).
    @staticmethod
    def resolve_lines(obj):
        written = getattr(obj, "written_lines", None)
        return list(obj.lines.all()) if written is None else written

    @staticmethod
    def resolve_warnings(obj):
        return list(getattr(obj, "stock_warnings", []))

    @staticmethod
    def resolve_payments(obj):
        written = getattr(obj, "written_payments", None)
        return list(obj.payments.all()) if written is None else written


class OrderRow(Schema):
    id: int
    order_no: str
    store_id: int
    customer_id: int
    customer_name: str = Field(..., alias="customer.name")
    status: str
    payable_amount: Decimal
    paid_amount: Decimal
    arrears_amount: Decimal
    is_deal: bool
    business_date: date


class OrderPage(Schema):
    count: int
    items: list[OrderRow]


class PaymentLineIn(Schema):
    method: str = Field(..., description="cash|bank_card|wechat|alipay|stored_value|coupon|deposit")
    amount: Decimal
    card_id: int | None = None
    coupon_id: int | None = None
    deposit_id: int | None = None


class PayIn(Schema):
    payments: list[PaymentLineIn]
    idempotency_key: str | None = Field(
        None, max_length=80, description="or the Idempotency-Key header"
    )
    business_date: date | None = None


class RefundLineIn(Schema):
    line_id: int
    quantity: int


class RefundSessionsIn(Schema):
    line_id: int
    sessions: int = Field(..., description="unused sessions of a partly used course to refund")


class RefundIn(Schema):
    full: bool = False
    lines: list[RefundLineIn] = []
    sessions: list[RefundSessionsIn] = []
    reason: str = Field(..., max_length=200)


class CardOut(Schema):
    id: int
    card_no: str
    customer_id: int
    store_id: int
    item_id: int
    original_amount: Decimal
    balance_amount: Decimal
    expires_on: date | None
    status: str


class CardPage(Schema):
    count: int
    items: list[CardOut]


class ExtendIn(Schema):
    new_expires_on: date
    reason: str = Field(..., max_length=200)


class CouponIn(Schema):
    customer_id: int
    value_amount: Decimal
    expires_on: date
    code: str | None = Field(None, max_length=30)


class CouponOut(Schema):
    id: int
    code: str
    customer_id: int
    value_amount: Decimal
    expires_on: date
    status: str


class CouponPage(Schema):
    count: int
    items: list[CouponOut]


class DepositIn(Schema):
    customer_id: int
    store_id: int | None = None
    appointment_id: int | None = None
    amount: Decimal
    method: str = Field(..., description="cash|bank_card|wechat|alipay")


class DepositOut(Schema):
    id: int
    store_id: int
    customer_id: int
    appointment_id: int | None
    amount: Decimal
    method: str
    status: str
    applied_order_id: int | None
    business_date: date


class DepositPage(Schema):
    count: int
    items: list[DepositOut]


class DealDefinitionIn(Schema):
    order_types: list[str] = Field([], description="empty: every order type")
    min_amount: Decimal = Decimal("0")
    kinds: list[str] = Field(["service", "product", "drug", "package", "card"])


class DealDefinitionOut(Schema):
    id: int | None
    order_types: list[str]
    min_amount: Decimal
    kinds: list[str]
    effective_from: datetime | None


class LiabilityRowOut(Schema):
    store_id: int | None = Field(..., description="null in the chain total")
    store_name: str
    stored_value_amount: Decimal = Field(..., description="active, unexpired cards")
    expired_stored_value_amount: Decimal = Field(..., description="expired cards: still owed")
    card_count: int
    sessions_value_amount: Decimal = Field(..., description="unused sessions × unit value")
    expired_sessions_value_amount: Decimal = Field(..., description="expired courses: still owed")
    session_count: int
    deposit_amount: Decimal = Field(..., description="held deposits (预约金)")
    deposit_count: int
    total_amount: Decimal


class LiabilityOut(Schema):
    stores: list[LiabilityRowOut]
    total: LiabilityRowOut


class SubmitIn(Schema):
    approval_reason: str = Field(
        "", description="why the discount is needed, when it needs approval"
    )


class ApprovalDecisionOut(Schema):
    step_position: int | None
    approver_kind: str
    outcome: str
    by_id: int
    by_name: str
    comment: str
    at: datetime

    @staticmethod
    def resolve_by_name(obj):
        return obj.by.name


class ApprovalOut(Schema):
    id: int
    order_id: int
    order_no: str
    store_id: int
    customer_id: int
    customer_name: str
    requested_by_id: int
    list_amount: Decimal
    discount_amount: Decimal
    discount_percent: Decimal
    limit_percent: Decimal
    reason: str
    status: str
    step_position: int | None
    approver_kind: str = Field(description="level it waits at: group_leader, store_manager, hq")
    approver_id: int | None
    requested_at: datetime
    decided_at: datetime | None
    decisions: list[ApprovalDecisionOut]

    @staticmethod
    def resolve_order_no(obj):
        return obj.order.order_no

    @staticmethod
    def resolve_customer_id(obj):
        return obj.order.customer_id

    @staticmethod
    def resolve_customer_name(obj):
        return obj.order.customer.name

    @staticmethod
    def resolve_decisions(obj):
        return list(obj.decisions.all())


class ApprovalPage(Schema):
    count: int
    items: list[ApprovalOut]


class DecisionIn(Schema):
    comment: str = ""


class FlowStepIO(Schema):
    approver: str = Field(description="group_leader, store_manager or hq")
    max_percent: Decimal | None = Field(None, description="largest discount % it grants; null: any")


class FlowIO(Schema):
    steps: list[FlowStepIO]


class DiscountLimitIO(Schema):
    store_id: int
    store_name: str = ""
    limit_percent: Decimal | None = Field(None, description="null: no limit")


class OfferOut(Schema):
    """A promotion item the customer may buy now (target tags and member level matched)."""

    promotion_id: int
    promotion_name: str
    start_date: date
    end_date: date
    item_id: int
    item_name: str
    price_amount: Decimal
    limit_per_customer: int | None
    remaining: int | None = Field(description="units left to this customer; null = no limit")


class CustomerOffersOut(Schema):
    customer_id: int
    store_id: int
    day: date
    offers: list[OfferOut]
