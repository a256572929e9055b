"""Sales business actions: open / edit / submit / reverse an order, take payment (several
methods, idempotent, partial payment leaves arrears), refund, stored-value cards, e-coupons,
deposits and the deal definition. One transaction each; every balance (card balance, coupon,
deposit, order money, customer arrears) moves through a guarded update and a ledger row.

Order states: 草稿 draft → (submit) 待支付 pending → (first payment) 已支付 paid; a pending order
goes back to draft with reverse (反结) — it has no payment then, the first payment makes it paid.
A paid order with arrears (欠费) takes further payments (`pay_order` again, or `pay_arrears`).
A refund keeps the order paid (refunded_amount > 0) unless every line is refunded: 已退款.
"""

import secrets
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, QuerySet, prefetch_related_objects
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext as _

from yanzhi.catalog.models import Item
from yanzhi.catalog.queries import get_sellable_item
from yanzhi.core import audit, events
from yanzhi.core.errors import BusinessError, NotFound
from yanzhi.core.money import to_money
from yanzhi.core.scope import Scope
from yanzhi.core.timeutil import store_today
from yanzhi.customers import services as customer_services
from yanzhi.customers.models import Customer, SourceChannel
from yanzhi.org import policy, settings_cache
from yanzhi.org.models import Organization, Staff, Store
from yanzhi.org.services import ensure_period_open
from yanzhi.sales import attribution, courses, membership, promotions
from yanzhi.sales import stock as sale_stock
from yanzhi.sales.deals import is_deal
from yanzhi.sales.models import (
    ApprovalStatus,
    Coupon,
    DealDefinition,
    Deposit,
    DiscountApproval,
    DiscountApprovalDecision,
    DiscountApprovalStep,
    Order,
    OrderLine,
    Payment,
    PaymentRequest,
    StoredValueCard,
    StoredValueLedger,
)
from yanzhi.sales.queries import orders_for

ZERO = Decimal("0.00")
ORDER_FIELDS = [
    "status",
    "order_type",
    "sales_channel_id",
    "visit_id",
    "list_amount",
    "discount_amount",
    "payable_amount",
    "paid_amount",
    "refunded_amount",
    "arrears_amount",
    "is_deal",
    "approval_status",
    "deal_definition_id",
    "note",
]


class PaymentLine(NamedTuple):
    method: str
    amount: Decimal
    card_id: int | None = None
    coupon_id: int | None = None
    deposit_id: int | None = None


# --- helpers --------------------------------------------------------------------------------------
def _error(code: str, message, field: str = "_", status: int = 400) -> BusinessError:
    return BusinessError(code, message, fields={field: [message]}, status=status)


def _scope(by: Staff, action: str) -> Scope:
    scope = policy.scope_for(by)
    policy.require(scope, action)
    return scope


def _require_store(scope: Scope, store_id: int, org_id: int) -> None:
    if org_id != scope.org_id or not scope.covers_store(store_id):
        raise NotFound()


def _money(value, field: str, *, positive: bool = True) -> Decimal:
    try:
        amount = to_money(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        amount = None
    if amount is None or not amount.is_finite() or abs(amount) >= Decimal("1e10"):
        raise _error("invalid_amount", _("请输入正确的金额"), field, 422)
    if amount < 0 or (positive and amount == 0):
        raise _error(
            "invalid_amount", _("金额必须大于0") if positive else _("金额不能为负数"), field, 422
        )
    return amount


def _quantity(value, field: str) -> int:
    if isinstance(value, bool):
        value = None
    try:
        quantity = int(str(value))
    except (TypeError, ValueError):
        quantity = None
    if quantity is None or quantity <= 0 or quantity > 9999:
        raise _error("invalid_quantity", _("数量必须是大于0的整数"), field, 422)
    return quantity


def _today(store: Store) -> date:
    return store_today(store)


def _snapshot(order: Order) -> dict:
    return audit.snapshot(order, ORDER_FIELDS)


# --- drafts ------------------------------------------------------------------------------------------
def _build_lines(
    store: Store,
    lines,
    *,
    customer: Customer | None = None,
    day: date | None = None,
    order_id: int | None = None,
) -> list[OrderLine]:
    """Price the lines [(item_id, quantity, discount, promotion_id)] as `store` sells them; a
    line with a promotion is checked for `customer` on the business date `day` and priced at
    the promotional price (yanzhi.sales.promotions)."""
    if not lines:
        raise _error("no_lines", _("请至少添加一个项目"), "lines", 422)
    if customer is not None and any(_promotion_of(line) for line in lines):
        # The tags are read now, from the summary row as it stands (not a cached object).
        customer = Customer.objects.select_related("summary", "member_level").get(pk=customer.pk)
    day = day or _today(store)
    built, promoted = [], {}
    for n, line in enumerate(lines):
        item_id, quantity, discount = (tuple(line) + (0,))[:3]
        try:
            item = get_sellable_item(store, int(item_id))
        except BusinessError as error:
            raise _error(error.code, error.message, f"lines.{n}.item_id", 422) from None
        except (TypeError, ValueError):
            raise _error("invalid_item", _("项目不存在"), f"lines.{n}.item_id", 422) from None
        quantity = _quantity(quantity, f"lines.{n}.quantity")
        discount = _money(discount or 0, f"lines.{n}.discount_amount", positive=False)
        unit_price = to_money(item.effective_price)
        promotion, list_price = None, None
        if _promotion_of(line):
            key = (str(_promotion_of(line)), item.pk)
            promotion, price = promotions.check_line(
                _promotion_of(line),
                item=item,
                quantity=quantity,
                customer=customer,
                store=store,
                day=day,
                field=f"lines.{n}.promotion_id",
                earlier_units=promoted.get(key, 0),
                exclude_order_id=order_id,
            )
            promoted[key] = promoted.get(key, 0) + quantity
            list_price, unit_price = unit_price, to_money(price)
        if discount > unit_price * quantity:
            raise _error(
                "discount_too_large", _("优惠不能超过该行金额"), f"lines.{n}.discount_amount", 422
            )
        built.append(
            OrderLine(
                item=item,
                kind=item.kind,
                quantity=quantity,
                unit_price_amount=unit_price,
                discount_amount=discount,
                amount=unit_price * quantity - discount,
                promotion=promotion,
                list_price_amount=list_price,
            )
        )
    return built


def _promotion_of(line):
    """The promotion id of a line tuple (its 4th element), or None."""
    line = tuple(line)
    return line[3] if len(line) > 3 and line[3] not in (None, "", 0, "0") else None


def _set_amounts(order: Order, lines: list[OrderLine]) -> None:
    order.list_amount = sum((ln.unit_price_amount * ln.quantity for ln in lines), ZERO)
    order.discount_amount = sum((ln.discount_amount for ln in lines), ZERO)
    order.payable_amount = order.list_amount - order.discount_amount
    order.arrears_amount = order.payable_amount


def _write_lines(order: Order, lines: list[OrderLine]) -> None:
    order.lines.all().delete()
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    _set_amounts(order, lines)


def _check_refs(customer: Customer, store: Store, visit, sales_channel) -> None:
    if visit is not None and (visit.customer_id != customer.pk or visit.store_id != store.pk):
        raise _error("invalid_visit", _("到访记录不属于该客户或本门店"), "visit_id", 422)
    if sales_channel is not None and sales_channel.org_id != customer.org_id:
        raise _error("invalid_channel", _("销售渠道不存在"), "sales_channel_id", 422)


@transaction.atomic
@audit.batched()
def open_order(
    customer: Customer,
    *,
    store: Store,
    by: Staff,
    lines,
    order_type: str = "",
    visit=None,
    sales_channel: SourceChannel | None = None,
    note: str = "",
    submit: bool = False,
    approval_reason: str = "",
) -> Order:
    """Open a draft order (暂存) for the customer at `store`; every item must be sold there.
    With `submit` it is submitted in the same transaction (as `submit_order` would)."""
    scope = _scope(by, "order.open")
    _require_store(scope, store.pk, store.org_id)
    if customer.org_id != store.org_id:
        raise NotFound()
    _check_refs(customer, store, visit, sales_channel)
    day = _today(store)
    ensure_period_open(store.pk, day, org_id=store.org_id)
    built = _build_lines(store, lines, customer=customer, day=day)
    order = Order(
        org_id=store.org_id,
        store=store,
        customer=customer,
        visit=visit,
        consultant=by,
        order_no=secrets.token_hex(10),
        order_type=(order_type or "").strip()[:30] or built[0].item.order_type,
        sales_channel=sales_channel,
        business_date=day,
        note=(note or "")[:200],
        created_by=by,
        **attribution.for_new_order(customer),
    )
    _set_amounts(order, built)
    order.save(force_insert=True)
    # The order number shows the order's id: known once the row is in.
    order.order_no = f"{day:%Y%m%d}{order.pk:06d}"
    for line in built:
        line.order = order
    OrderLine.objects.bulk_create(built)
    audit.record(by, "order.opened", order, after=_snapshot(order))
    changed = ["order_no"]
    if submit:
        # No one else sees the order before this transaction ends: no lock, no second check.
        order.status, order.submitted_at = Order.Status.PENDING, timezone.now()
        _request_approval(order, by=by, reason=approval_reason)
        changed += ["status", "submitted_at", "approval_status"]
        audit.record(by, "order.submitted", order, after=_snapshot(order))
    order.save(update_fields=changed)
    # the API's answer: the order as written (the lines' items and promotions at hand)
    order.written_lines, order.written_payments = built, []
    return order


def _locking(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Orders read whole, each row locked (only its own: its store and customer read along)."""
    return orders.select_for_update(of=("self",)).select_related("store", "customer")


def _locked_in_scope(scope: Scope, pk: int) -> Order:
    """The order locked, only if the scope sees it (its store; a consultant's own customers):
    the check and the lock in one statement."""
    order = _locking(orders_for(scope)).filter(pk=pk).first()
    if order is None:
        raise NotFound()
    return order


def _locked(order: Order) -> Order:
    return _locking(Order.objects).get(pk=order.pk)


@transaction.atomic
def update_draft(
    order: Order,
    *,
    by: Staff,
    lines=None,
    order_type: str | None = None,
    visit=...,
    sales_channel=...,
    note: str | None = None,
) -> Order:
    """Change a draft: its lines (replaced as a whole), type, visit, channel or note."""
    scope = _scope(by, "order.open")
    _require_store(scope, order.store_id, order.org_id)
    order = _locked(order)
    if order.status != Order.Status.DRAFT:
        raise _error("order_not_draft", _("只有草稿订单可以修改"), status=409)
    ensure_period_open(order.store_id, order.business_date, org_id=order.org_id)
    before = _snapshot(order)
    if visit is not ...:
        order.visit = visit
    if sales_channel is not ...:
        order.sales_channel = sales_channel
    _check_refs(order.customer, order.store, order.visit, order.sales_channel)
    if lines is not None:
        _write_lines(
            order,
            _build_lines(
                order.store,
                lines,
                customer=order.customer,
                day=order.business_date,
                order_id=order.pk,
            ),
        )
    if order_type is not None:
        order.order_type = order_type.strip()[:30]
    if note is not None:
        order.note = note[:200]
    order.save()
    changed_before, changed_after = audit.changed(before, _snapshot(order))
    audit.record(by, "order.updated", order, before=changed_before, after=changed_after)
    return order


@transaction.atomic
def submit_order(order: Order, *, by: Staff, approval_reason: str = "") -> Order:
    """Draft → pending payment (待支付); the amounts are fixed from now on. A discount above
    the store's limit sends an approval request up the flow; payment waits for it."""
    scope = _scope(by, "order.open")
    _require_store(scope, order.store_id, order.org_id)
    order = _locked(order)
    if order.status != Order.Status.DRAFT:
        raise _error("order_not_draft", _("只有草稿订单可以提交"), status=409)
    ensure_period_open(order.store_id, order.business_date, org_id=order.org_id)
    order.status, order.submitted_at = Order.Status.PENDING, timezone.now()
    _request_approval(order, by=by, reason=approval_reason)
    order.save(update_fields=["status", "submitted_at", "approval_status", "updated_at"])
    audit.record(by, "order.submitted", order, after=_snapshot(order))
    return order


@transaction.atomic
def reverse_order(order: Order, *, by: Staff) -> Order:
    """反结: a pending order goes back to draft, only while nothing has been paid."""
    scope = _scope(by, "order.open")
    _require_store(scope, order.store_id, order.org_id)
    order = _locked(order)
    if order.status != Order.Status.PENDING or order.payments.exists():
        raise _error("order_not_reversible", _("只有未收款的待支付订单可以反结"), status=409)
    ensure_period_open(order.store_id, order.business_date, org_id=order.org_id)
    order.status, order.submitted_at = Order.Status.DRAFT, None
    _cancel_pending_approval(order, by=by)
    order.save(update_fields=["status", "submitted_at", "approval_status", "updated_at"])
    audit.record(by, "order.reversed", order, after=_snapshot(order))
    events.emit(
        "order.reversed",
        order_id=order.pk,
        org_id=order.org_id,
        store_id=order.store_id,
        customer_id=order.customer_id,
    )
    return order


# --- the deal definition -----------------------------------------------------------------------------
def current_deal_definition(org_id: int) -> DealDefinition | None:
    definitions = DealDefinition.objects.filter(org_id=org_id)
    return settings_cache.cached(
        org_id, "deal_definition", definitions.order_by("-effective_from", "-id").first
    )


@transaction.atomic
def set_deal_definition(
    org: Organization, *, order_types, min_amount, kinds, by: Staff
) -> DealDefinition:
    """HQ sets the deal definition: a new version, in force for orders paid from now on."""
    scope = _scope(by, "deal.configure")
    if org.pk != scope.org_id:
        raise NotFound()
    kinds = set(kinds or ())
    unknown = kinds - set(DealDefinition.KINDS)
    if unknown:
        raise _error("invalid_kind", _("品项类型不正确"), "kinds", 422)
    types = []
    for name in order_types or ():
        name = str(name).strip()[:30]
        if name and name not in types:
            types.append(name)
    definition = DealDefinition.objects.create(
        org=org,
        order_types=types,
        min_amount=_money(min_amount, "min_amount", positive=False),
        effective_from=timezone.now(),
        created_by=by,
        **{f"{k}_counts": k in kinds for k in DealDefinition.KINDS},
    )
    audit.record(by, "deal_definition.set", definition, after=audit.snapshot(definition))
    return definition


def _definition_in_force(org_id: int) -> DealDefinition:
    """The latest version; a chain that never set one gets the default (any type, ¥0, all on)."""
    definition = current_deal_definition(org_id)
    if definition is None:
        definition = DealDefinition.objects.create(
            org_id=org_id, order_types=[], min_amount=ZERO, effective_from=timezone.now()
        )
    return definition


# --- payments ----------------------------------------------------------------------------------------
def _clean_payments(payments) -> list[PaymentLine]:
    if not payments:
        raise _error("no_payments", _("请填写收款方式和金额"), "payments", 422)
    cleaned = []
    for n, line in enumerate(payments):
        line = PaymentLine(*line) if not isinstance(line, PaymentLine) else line
        if line.method not in Payment.Method.values:
            raise _error("invalid_method", _("收款方式不正确"), f"payments.{n}.method", 422)
        amount = _money(line.amount, f"payments.{n}.amount")
        cleaned.append(line._replace(amount=amount))
    return cleaned


def _take_from_card(order, payment, line, n, day, by) -> None:
    field = f"payments.{n}.card_id"
    card = StoredValueCard.objects.filter(org_id=order.org_id, pk=line.card_id or 0).first()
    if card is None or card.customer_id != order.customer_id:
        raise _error("invalid_card", _("储值卡不存在或不属于该客户"), field, 422)
    if card.status != StoredValueCard.Status.ACTIVE:
        raise _error("card_inactive", _("该储值卡已退卡,不能使用"), field, 409)
    if card.expires_on is not None and card.expires_on < day:
        raise _error("card_expired", _("该储值卡已过期,请先延期"), field, 409)
    # The guarded update: two cashiers on the same card cannot both take the last yuan.
    taken = StoredValueCard.objects.filter(
        pk=card.pk, status=StoredValueCard.Status.ACTIVE, balance_amount__gte=line.amount
    ).update(balance_amount=Round(F("balance_amount") - line.amount, 2), updated_at=timezone.now())
    if not taken:
        card.refresh_from_db(fields=["balance_amount"])
        message = _("储值卡余额不足:余额 %(balance)s 元,需要 %(amount)s 元") % {
            "balance": card.balance_amount,
            "amount": line.amount,
        }
        raise _error("insufficient_balance", message, field, 409)
    card.refresh_from_db(fields=["balance_amount"])
    payment.card = card
    payment.save()
    StoredValueLedger.objects.create(
        org_id=card.org_id,
        card=card,
        delta=-line.amount,
        balance_after=card.balance_amount,
        reason=StoredValueLedger.Reason.PAID,
        payment=payment,
        note=order.order_no,
        by=by,
    )


def _use_coupon(order, payment, line, n, day) -> None:
    field = f"payments.{n}.coupon_id"
    coupon = Coupon.objects.filter(org_id=order.org_id, pk=line.coupon_id or 0).first()
    if coupon is None or coupon.customer_id != order.customer_id:
        raise _error("invalid_coupon", _("电子券不存在或不属于该客户"), field, 422)
    if line.amount > coupon.value_amount:
        raise _error(
            "coupon_value_exceeded", _("抵扣金额不能超过券面额"), f"payments.{n}.amount", 422
        )
    payment.coupon = coupon
    payment.save()
    used = Coupon.objects.filter(
        pk=coupon.pk, status=Coupon.Status.UNUSED, expires_on__gte=day
    ).update(status=Coupon.Status.USED, payment=payment, updated_at=timezone.now())
    if not used:
        raise _error("coupon_unavailable", _("该电子券已使用或已过期"), field, 409)


def _apply_deposit(order, payment, line, n) -> None:
    field = f"payments.{n}.deposit_id"
    deposit = Deposit.objects.filter(org_id=order.org_id, pk=line.deposit_id or 0).first()
    if deposit is None or deposit.customer_id != order.customer_id:
        raise _error("invalid_deposit", _("预约金不存在或不属于该客户"), field, 422)
    if line.amount != deposit.amount:
        raise _error("deposit_amount", _("预约金须整笔抵扣"), f"payments.{n}.amount", 422)
    payment.deposit = deposit
    payment.save()
    applied = Deposit.objects.filter(pk=deposit.pk, status=Deposit.Status.HELD).update(
        status=Deposit.Status.APPLIED, applied_order=order, updated_at=timezone.now()
    )
    if not applied:
        raise _error("deposit_unavailable", _("该预约金已抵扣或已退还"), field, 409)


def _request_for(order: Order, key: str, by: Staff) -> PaymentRequest | None:
    """The earlier request with this key, or None after recording this one. The order row is
    locked, so a concurrent duplicate waits for the first and then finds its row."""
    earlier = PaymentRequest.objects.filter(org_id=order.org_id, key=key).first()
    if earlier is not None:
        if earlier.order_id != order.pk:
            raise _error(
                "idempotency_key_reused", _("该请求编号已用于其他订单"), "idempotency_key", 409
            )
        return earlier
    try:
        with transaction.atomic():
            PaymentRequest.objects.create(org_id=order.org_id, order=order, key=key, by=by)
    except IntegrityError:
        raise _error(
            "idempotency_key_reused", _("该请求编号已用于其他订单"), "idempotency_key", 409
        ) from None
    return None


def _with_lines(order: Order) -> Order:
    """Read the order's lines once, with what paying reads of their items (the deal decision,
    courses, cards, stock): `order.lines.all()` then costs no query. A no-op when read already."""
    if "lines" in getattr(order, "_prefetched_objects_cache", {}):
        return order
    lines = OrderLine.objects.select_related("item__card_service", "promotion").order_by("pk")
    prefetch_related_objects([order], Prefetch("lines", queryset=lines))
    # a package's components, only when there is a package (most orders have none)
    packages = [ln.item for ln in order.lines.all() if ln.kind == Item.Kind.PACKAGE]
    if packages:
        prefetch_related_objects(packages, "components__item")
    return order


def _grant_purchases(order: Order, *, day: date, by: Staff) -> None:
    """What the paid lines give the customer: courses and stored-value cards."""
    for line in _with_lines(order).lines.all():
        item = line.item
        expires_on = day + timedelta(days=item.valid_days) if item.valid_days else None
        if line.kind == Item.Kind.CARD and item.card_type == Item.CardType.STORED_VALUE:
            for _n in range(line.quantity):
                _issue_card(order, line, expires_on=expires_on, by=by)
        else:
            courses.grant_courses(order, line, expires_on=expires_on, by=by)


def _issue_card(order: Order, line: OrderLine, *, expires_on, by: Staff) -> StoredValueCard:
    """A stored-value card credited with the card's value (may exceed its price: ¥10,000 → ¥11,000)."""
    value = line.item.card_value_amount
    if value is None:
        value = to_money(line.amount / line.quantity)
    card = StoredValueCard.objects.create(
        org_id=order.org_id,
        customer=order.customer,
        item=line.item,
        store=order.store,
        source_line=line,
        card_no=secrets.token_hex(8),
        original_amount=value,
        balance_amount=value,
        expires_on=expires_on,
    )
    card.card_no = f"SV{card.pk:08d}"
    card.save(update_fields=["card_no"])
    StoredValueLedger.objects.create(
        org_id=card.org_id,
        card=card,
        delta=value,
        balance_after=value,
        reason=StoredValueLedger.Reason.ISSUED,
        note=order.order_no,
        by=by,
    )
    audit.record(by, "card.issued", card, after=audit.snapshot(card))
    return card


@transaction.atomic
@audit.batched()
def pay_order(
    order: Order | int,
    *,
    payments,
    idempotency_key: str | None = None,
    business_date: date | None = None,
    by: Staff,
) -> Order:
    """Take payment for a pending order, or for a paid order's arrears, by one or several
    methods. Never more than due; a repeated idempotency key charges nothing and returns the
    order. The first payment makes the order paid, decides the deal and grants what was sold.
    `order` (or its id) is read whole under its lock, in the caller's scope (else not found)."""
    scope = _scope(by, "order.pay")
    order = _locked_in_scope(scope, order if isinstance(order, int) else order.pk)
    key = (idempotency_key or "").strip()[:80]
    if key and _request_for(order, key, by) is not None:
        return order
    if order.status == Order.Status.PENDING:
        _with_lines(order)
    if order.status not in (Order.Status.PENDING, Order.Status.PAID) or (
        order.status == Order.Status.PAID and order.arrears_amount <= 0
    ):
        raise _error("order_not_payable", _("该订单当前状态不能收款"), status=409)
    if order.approval_status == ApprovalStatus.PENDING:
        raise _error("approval_pending", _("该订单的折扣正在审批中,审批通过后才能收款"), status=409)
    today = _today(order.store)
    day = business_date or today
    if day > today:
        raise _error("invalid_date", _("业务日期不能晚于今天"), "business_date", 422)
    ensure_period_open(order.store_id, day, org_id=order.org_id)
    # A fully discounted (gifted) order is settled without any payment line.
    free = order.status == Order.Status.PENDING and order.arrears_amount == 0 and not payments
    lines = [] if free else _clean_payments(payments)
    total = sum((ln.amount for ln in lines), ZERO)
    if total > order.arrears_amount:
        message = _("超过应付金额:应付 %(due)s 元,本次收款 %(total)s 元") % {
            "due": order.arrears_amount,
            "total": total,
        }
        raise _error("overpaid", message, "payments", 422)
    # The customer's summary is the per-customer lock, taken before the customer row as
    # everywhere else (an arrival, the membership refresh below); the courses granted and the
    # money are written to it once, at the end.
    summary = customer_services.lock_summary(order.customer_id)
    if order.status == Order.Status.PENDING and any(ln.promotion_id for ln in order.lines.all()):
        # Promotion limits per customer: two orders of the same customer cannot both take the
        # last promotional unit.
        if summary is None:
            Customer.objects.select_for_update().filter(pk=order.customer_id).first()
        promotions.recheck_limits(order)
    request = PaymentRequest.objects.get(org_id=order.org_id, key=key) if key else None
    before = _snapshot(order)
    spend = ZERO
    counts_for = attribution.for_payment(order) if lines else {}
    made = []
    for n, line in enumerate(lines):
        payment = Payment(
            org_id=order.org_id,
            store_id=order.store_id,
            order=order,
            method=line.method,
            amount=line.amount,
            request=request,
            business_date=day,
            by=by,
            **counts_for,
        )
        if line.method == Payment.Method.STORED_VALUE:
            _take_from_card(order, payment, line, n, today, by)
        elif line.method == Payment.Method.COUPON:
            _use_coupon(order, payment, line, n, today)
        elif line.method == Payment.Method.DEPOSIT:
            _apply_deposit(order, payment, line, n)
        else:
            payment.save()
        made.append(payment)
        if line.method in Payment.SPEND_METHODS:
            spend += line.amount
    first_payment = order.status == Order.Status.PENDING
    # A customer's arrears are those of paid orders: a pending order is not owed yet.
    counted_arrears = ZERO if first_payment else order.arrears_amount
    order.paid_amount += total
    order.arrears_amount -= total
    if first_payment:
        order.status, order.paid_at = Order.Status.PAID, timezone.now()
        definition = _definition_in_force(order.org_id)
        order.is_deal = is_deal(order, definition)
        order.deal_definition = definition
        _grant_purchases(order, day=day, by=by)
    dealt = first_payment and order.is_deal
    deal_count = customer_services.note_money(
        customer_id=order.customer_id,
        spend_delta=spend,
        arrears_delta=order.arrears_amount - counted_arrears,
        paid_at=timezone.now(),
        dealt_at=order.paid_at if dealt else None,
        locked=summary,
        open_course_count=courses.open_course_count(order.customer_id) if first_payment else None,
    )
    if dealt:
        order.deal_number = deal_count
    paid = ["paid_amount", "arrears_amount", "status", "paid_at", "is_deal", "deal_definition"]
    order.save(update_fields=[*paid, "deal_number", "updated_at"])
    # Hooks (yanzhi.sales.stock, yanzhi.sales.membership): goods leave stock once the order is
    # paid; the customer's rolling spend and level follow every payment.
    order.stock_warnings = (
        sale_stock.take_sold_goods(order, day=day, by=by) if first_payment else []
    )
    # most customers pay in their home store, whose day the rolling window starts from
    home = order.store if order.customer.store_id == order.store_id else None
    membership.note_payment(order.customer_id, by=by, home_store=home)
    if first_payment:
        # the API's answer: a pending order had no payments, and its lines were read above
        order.written_lines, order.written_payments = list(order.lines.all()), made
    audit.record(
        by,
        "order.paid",
        order,
        before=before,
        after=_snapshot(order),
        note=", ".join(f"{ln.method} {ln.amount}" for ln in lines),
    )
    events.emit(
        "order.paid",
        order_id=order.pk,
        org_id=order.org_id,
        store_id=order.store_id,
        customer_id=order.customer_id,
        first_payment=first_payment,
        amount=total,
    )
    return order


def pay_arrears(order: Order, *, payments, idempotency_key=None, by: Staff) -> Order:
    """补缴欠费: the same as paying the order again while it has arrears."""
    return pay_order(order, payments=payments, idempotency_key=idempotency_key, by=by)


# --- refunds -----------------------------------------------------------------------------------------
def _line_value(line: OrderLine, units: int) -> Decimal:
    """The value of `units` units of the line: proportional, and the rest of the line's amount
    when the last units go back (so the fen add up to the line amount)."""
    if units == line.remaining_quantity:
        return line.amount - line.refunded_amount
    return min(to_money(line.amount * units / line.quantity), line.amount - line.refunded_amount)


def _refund_cards(line: OrderLine, units: int, *, by: Staff) -> Decimal:
    """Take back `units` stored-value cards of the line: only their unused balance is refunded,
    in proportion to the price paid (a ¥10,000 card worth ¥11,000 with ¥5,500 left → ¥5,000)."""
    cards = list(
        StoredValueCard.objects.select_for_update()
        .filter(source_line=line, status=StoredValueCard.Status.ACTIVE)
        .order_by("-balance_amount", "pk")[:units]
    )
    if len(cards) < units:
        raise _error("card_already_refunded", _("该储值卡已退卡"), "lines", 409)
    unit_amount = line.amount / line.quantity
    value = ZERO
    for card in cards:
        balance = card.balance_amount
        returned = StoredValueCard.objects.filter(pk=card.pk, balance_amount=balance).update(
            balance_amount=ZERO, status=StoredValueCard.Status.REFUNDED, updated_at=timezone.now()
        )
        if not returned:  # pragma: no cover - the row is locked
            raise _error("card_changed", _("储值卡余额已变化,请重试"), "lines", 409)
        StoredValueLedger.objects.create(
            org_id=card.org_id,
            card=card,
            delta=-balance,
            balance_after=ZERO,
            reason=StoredValueLedger.Reason.CARD_REFUNDED,
            note=line.order.order_no,
            by=by,
        )
        if card.original_amount > 0:
            value += to_money(unit_amount * balance / card.original_amount)
    return min(value, line.amount - line.refunded_amount)


def _int_or_none(value) -> int | None:
    return int(value) if str(value).isdigit() else None


def _refundable_units(line: OrderLine) -> int:
    """Units that can still go back: for a course, only whole units of unused sessions; a
    stored-value card line, its cards not yet taken back."""
    if line.kind == Item.Kind.CARD and line.item.card_type == Item.CardType.STORED_VALUE:
        return line.cards.filter(status=StoredValueCard.Status.ACTIVE).count()
    per_unit = courses.sessions_per_unit(line)
    if not per_unit:
        return line.remaining_quantity
    units = min(line.remaining_quantity, courses.unused_sessions(line) // per_unit)
    if line.kind == Item.Kind.PACKAGE and units != line.remaining_quantity:
        return 0
    return units


def _refund_line(line: OrderLine, units: int, n: int, *, by: Staff) -> Decimal:
    field = f"lines.{n}.quantity"
    if units > line.remaining_quantity:
        raise _error("refund_too_many", _("退款数量超过可退数量"), field, 422)
    item = line.item
    if line.kind == Item.Kind.CARD and item.card_type == Item.CardType.STORED_VALUE:
        return _refund_cards(line, units, by=by)
    if line.kind == Item.Kind.PACKAGE and courses.sessions_per_unit(line):
        # A package's sessions are spread over its parts: it goes back whole, while unused.
        granted = courses.sessions_per_unit(line) * line.remaining_quantity
        if units != line.remaining_quantity or courses.unused_sessions(line) != granted:
            raise _error(
                "package_partly_used",
                _("套餐已部分使用,不能退款(套餐只能整单未使用时退)"),
                field,
                409,
            )
    if courses.sessions_per_unit(line):
        try:
            courses.revoke_units(line, units, by=by)
        except BusinessError as error:
            if error.code != "sessions_used":
                raise
            raise _error("sessions_used", _("已使用的次数不能退款"), field, 409) from None
    return _line_value(line, units)


def _return_money(order: Order, amount: Decimal, *, day: date, by: Staff) -> Decimal:
    """Give `amount` back over the original payments, the latest first; returns the part that
    counted as the customer's spend."""
    spend, left = ZERO, amount
    originals = list(
        order.payments.filter(refund_of__isnull=True)
        .select_related("card", "coupon")
        .order_by("-id")
    )
    for original in originals:
        if left <= 0:
            break
        already = -sum((r.amount for r in original.refunds.all()), ZERO)
        take = min(left, original.amount - already)
        if take <= 0:
            continue
        if original.method == Payment.Method.STORED_VALUE and (
            original.card.status != StoredValueCard.Status.ACTIVE
        ):
            continue  # a card taken back meanwhile: return this part by the next method
        refund = Payment.objects.create(
            org_id=order.org_id,
            store_id=order.store_id,
            order=order,
            method=original.method,
            amount=-take,
            refund_of=original,
            card=original.card,
            coupon=original.coupon,
            deposit=original.deposit,
            business_date=day,
            by=by,
            **attribution.for_refund(original),
        )
        if original.method == Payment.Method.STORED_VALUE:
            StoredValueCard.objects.filter(pk=original.card_id).update(
                balance_amount=Round(F("balance_amount") + take, 2), updated_at=timezone.now()
            )
            original.card.refresh_from_db(fields=["balance_amount"])
            StoredValueLedger.objects.create(
                org_id=order.org_id,
                card=original.card,
                delta=take,
                balance_after=original.card.balance_amount,
                reason=StoredValueLedger.Reason.REFUNDED,
                payment=refund,
                note=order.order_no,
                by=by,
            )
        elif original.method == Payment.Method.COUPON and take + already == original.amount:
            # The whole coupon part came back: the coupon can be used again (until it expires).
            Coupon.objects.filter(pk=original.coupon_id).update(
                status=Coupon.Status.UNUSED, payment=None, updated_at=timezone.now()
            )
        if original.method in Payment.SPEND_METHODS:
            spend += take
        left -= take
    if left > 0:
        raise _error("refund_unbalanced", _("可退金额不足"), "lines", 409)
    return spend


@transaction.atomic
def refund_order(
    order: Order,
    *,
    lines=None,
    sessions=None,
    full: bool = False,
    by: Staff,
    reason: str,
) -> Order:
    """Refund whole units of lines (`lines`: [(line_id, units)]), unused sessions of a partly
    used course (`sessions`: [(line_id, n)] — a session card or package of which some sessions
    were used: each unused session at the value actually paid for it), or everything still
    refundable (full=True: whole units, then the unused sessions left). The refunded value first
    cancels arrears; only the rest is money, returned to the original methods, latest first.
    Used sessions are not refundable; a stored-value card refunds its unused balance. A deal
    stays a deal (past deals are not rewritten)."""
    scope = _scope(by, "order.refund")
    _require_store(scope, order.store_id, order.org_id)
    reason = (reason or "").strip()
    if not reason:
        raise _error("reason_required", _("请填写退款原因"), "reason", 422)
    order = _locked(order)
    if order.status != Order.Status.PAID:
        raise _error("order_not_refundable", _("只有已支付的订单可以退款"), status=409)
    day = _today(order.store)
    ensure_period_open(order.store_id, day, org_id=order.org_id)
    by_id = {
        ln.pk: ln
        for ln in order.lines.select_related("item", "order").prefetch_related(
            "item__components__item"
        )
    }
    wanted_sessions = []
    if full:
        wanted = [(pk, _refundable_units(ln)) for pk, ln in by_id.items()]
        wanted = [(pk, units) for pk, units in wanted if units]
    else:
        wanted = []
        for n, row in enumerate(lines or ()):
            line_id, units = row
            if _int_or_none(line_id) not in by_id:
                raise _error("invalid_line", _("订单行不存在"), f"lines.{n}.line_id", 422)
            wanted.append((int(line_id), _quantity(units, f"lines.{n}.quantity")))
        for n, row in enumerate(sessions or ()):
            line_id, count = row
            line = by_id.get(_int_or_none(line_id))
            if line is None:
                raise _error("invalid_line", _("订单行不存在"), f"sessions.{n}.line_id", 422)
            if not courses.sessions_per_unit(line):
                raise _error(
                    "no_sessions", _("该项目没有疗程次数可退"), f"sessions.{n}.line_id", 422
                )
            wanted_sessions.append((line.pk, _quantity(count, f"sessions.{n}.sessions")))
    if not wanted and not wanted_sessions and not full:
        raise _error("nothing_to_refund", _("没有可退的项目"), "lines", 422)
    before = _snapshot(order)
    value = ZERO
    for n, (line_id, units) in enumerate(wanted):
        line = by_id[line_id]
        line_value = _refund_line(line, units, n, by=by)
        line.refunded_quantity += units
        line.refunded_amount += line_value
        line.save(update_fields=["refunded_quantity", "refunded_amount"])
        value += line_value
    if full:  # what is left of partly used courses, after the whole units
        wanted_sessions = [
            (pk, courses.unused_sessions(ln))
            for pk, ln in by_id.items()
            if courses.sessions_per_unit(ln) and ln.remaining_quantity
        ]
        wanted_sessions = [(pk, count) for pk, count in wanted_sessions if count]
        if not wanted and not wanted_sessions:
            raise _error("nothing_to_refund", _("没有可退的项目"), "lines", 422)
    for n, (line_id, count) in enumerate(wanted_sessions):
        line = by_id[line_id]
        try:
            line_value = courses.revoke_sessions(line, count, by=by)
        except BusinessError as error:
            if error.code != "sessions_used":
                raise
            message = _("已使用的次数不能退款")
            raise _error("sessions_used", message, f"sessions.{n}.sessions", 409) from None
        line_value = min(line_value, line.amount - line.refunded_amount)
        line.refunded_amount += line_value
        line.save(update_fields=["refunded_amount"])
        value += line_value
    # Hook (yanzhi.sales.stock): refunded goods go back to the warehouse they left.
    sale_stock.return_refunded_goods(
        order, [(by_id[pk], units) for pk, units in wanted], day=day, by=by
    )
    money = max(ZERO, value - order.arrears_amount)
    spend = _return_money(order, money, day=day, by=by) if money else ZERO
    order.refunded_amount += value
    order.paid_amount -= money
    order.arrears_amount = order.payable_amount - order.refunded_amount - order.paid_amount
    if all(ln.refunded_quantity == ln.quantity for ln in by_id.values()):
        order.status = Order.Status.REFUNDED
    order.save()
    customer_services.note_money(
        customer_id=order.customer_id,
        spend_delta=-spend,
        arrears_delta=order.arrears_amount - Decimal(before["arrears_amount"]),
    )
    membership.note_refund(order.customer_id, by=by)  # hook: the level follows the spend
    audit.record(by, "order.refunded", order, before=before, after=_snapshot(order), note=reason)
    events.emit(
        "order.refunded",
        order_id=order.pk,
        org_id=order.org_id,
        store_id=order.store_id,
        customer_id=order.customer_id,
        line_ids=sorted({pk for pk, _n in [*wanted, *wanted_sessions]}),
        fully_refunded=order.status == Order.Status.REFUNDED,
    )
    return order


# --- cards, coupons, deposits ------------------------------------------------------------------------
def _new_expiry(old: date | None, new: date, today: date) -> date:
    if new is None or new < today or (old is not None and new <= old):
        raise _error(
            "invalid_expiry", _("新的有效期须晚于原有效期且不早于今天"), "new_expires_on", 422
        )
    return new


@transaction.atomic
def extend_card(card: StoredValueCard, *, new_expires_on: date, reason: str, by: Staff):
    """延期: a later expiry date for a stored-value card, with a reason (audited, ledger row)."""
    scope = _scope(by, "card.extend")
    _require_store(scope, card.store_id, card.org_id)
    if not (reason or "").strip():
        raise _error("reason_required", _("请填写延期原因"), "reason", 422)
    card = StoredValueCard.objects.select_for_update().get(pk=card.pk)
    if card.status != StoredValueCard.Status.ACTIVE:
        raise _error("card_inactive", _("该储值卡已退卡"), status=409)
    before = audit.snapshot(card, ["expires_on"])
    card.expires_on = _new_expiry(card.expires_on, new_expires_on, store_today(card.store))
    card.save(update_fields=["expires_on", "updated_at"])
    StoredValueLedger.objects.create(
        org_id=card.org_id,
        card=card,
        delta=ZERO,
        balance_after=card.balance_amount,
        reason=StoredValueLedger.Reason.EXTENDED,
        note=reason.strip()[:200],
        by=by,
    )
    audit.record(
        by,
        "card.extended",
        card,
        before=before,
        after=audit.snapshot(card, ["expires_on"]),
        note=reason,
    )
    return card


@transaction.atomic
def issue_coupon(
    customer: Customer, *, value_amount, expires_on: date, code: str | None = None, by: Staff
) -> Coupon:
    """Give the customer an e-coupon (电子券) worth value_amount, valid until expires_on."""
    scope = _scope(by, "coupon.issue")
    _require_store(scope, customer.store_id, customer.org_id)
    value = _money(value_amount, "value_amount")
    if expires_on is None or expires_on < store_today(customer.store):
        raise _error("invalid_expiry", _("有效期不能早于今天"), "expires_on", 422)
    code = (code or "").strip()[:30] or f"EC{secrets.token_hex(5).upper()}"
    if Coupon.objects.filter(org_id=customer.org_id, code=code).exists():
        raise _error("duplicate_code", _("券码已存在"), "code", 422)
    coupon = Coupon.objects.create(
        org_id=customer.org_id,
        customer=customer,
        code=code,
        value_amount=value,
        expires_on=expires_on,
        created_by=by,
    )
    audit.record(by, "coupon.issued", coupon, after=audit.snapshot(coupon))
    return coupon


@transaction.atomic
def extend_coupon(coupon: Coupon, *, new_expires_on: date, reason: str, by: Staff) -> Coupon:
    """延期 an unused e-coupon, with a reason (audited)."""
    scope = _scope(by, "card.extend")
    _require_store(scope, coupon.customer.store_id, coupon.org_id)
    if not (reason or "").strip():
        raise _error("reason_required", _("请填写延期原因"), "reason", 422)
    coupon = (
        Coupon.objects.select_for_update(of=("self",))
        .select_related("customer__store")
        .get(pk=coupon.pk)
    )
    if coupon.status == Coupon.Status.USED:
        raise _error("coupon_used", _("已使用的电子券不能延期"), status=409)
    before = audit.snapshot(coupon, ["expires_on", "status"])
    coupon.expires_on = _new_expiry(
        coupon.expires_on, new_expires_on, store_today(coupon.customer.store)
    )
    coupon.status = Coupon.Status.UNUSED
    coupon.save(update_fields=["expires_on", "status", "updated_at"])
    audit.record(
        by,
        "coupon.extended",
        coupon,
        before=before,
        after=audit.snapshot(coupon, ["expires_on", "status"]),
        note=reason,
    )
    return coupon


@transaction.atomic
def take_deposit(
    customer: Customer, *, store: Store, amount, method: str, appointment=None, by: Staff
) -> Deposit:
    """收预约金: money taken now for a booking, applied later to the customer's order."""
    scope = _scope(by, "deposit.take")
    _require_store(scope, store.pk, store.org_id)
    if customer.org_id != store.org_id:
        raise NotFound()
    if method not in Payment.MONEY_METHODS:
        raise _error("invalid_method", _("收款方式不正确"), "method", 422)
    if appointment is not None and appointment.customer_id != customer.pk:
        raise _error("invalid_appointment", _("预约不属于该客户"), "appointment_id", 422)
    day = store_today(store)
    ensure_period_open(store.pk, day, org_id=store.org_id)
    deposit = Deposit.objects.create(
        org_id=store.org_id,
        store=store,
        customer=customer,
        appointment=appointment,
        amount=_money(amount, "amount"),
        method=method,
        business_date=day,
        by=by,
    )
    audit.record(by, "deposit.taken", deposit, after=audit.snapshot(deposit))
    return deposit


@transaction.atomic
def refund_deposit(deposit: Deposit, *, by: Staff, reason: str) -> Deposit:
    """退预约金: a held deposit goes back to the customer."""
    scope = _scope(by, "order.refund")
    _require_store(scope, deposit.store_id, deposit.org_id)
    if not (reason or "").strip():
        raise _error("reason_required", _("请填写退款原因"), "reason", 422)
    ensure_period_open(deposit.store_id, store_today(deposit.store), org_id=deposit.org_id)
    done = Deposit.objects.filter(pk=deposit.pk, status=Deposit.Status.HELD).update(
        status=Deposit.Status.REFUNDED, updated_at=timezone.now()
    )
    if not done:
        raise _error("deposit_unavailable", _("该预约金已抵扣或已退还"), status=409)
    deposit.refresh_from_db()
    audit.record(by, "deposit.refunded", deposit, note=reason)
    return deposit


def price_lines(
    store: Store,
    lines,
    *,
    customer: Customer | None = None,
    day: date | None = None,
    order_id: int | None = None,
) -> list[OrderLine]:
    """The lines as open_order / update_draft would price them, unsaved (the order screen's
    running total); raises the same errors."""
    return _build_lines(store, lines, customer=customer, day=day, order_id=order_id)


# --- discount approval (层级审批) --------------------------------------------------------------------
class FlowStep(NamedTuple):
    position: int
    approver: str
    max_percent: Decimal | None  # None: no upper bound


# Used until a chain configures its own flow: the requester's group leader up to 20 %, the
# store manager up to 50 %, then HQ without bound.
DEFAULT_DISCOUNT_FLOW = (
    FlowStep(1, DiscountApprovalStep.Approver.GROUP_LEADER, Decimal("20.00")),
    FlowStep(2, DiscountApprovalStep.Approver.STORE_MANAGER, Decimal("50.00")),
    FlowStep(3, DiscountApprovalStep.Approver.HQ, None),
)
HUNDRED = Decimal("100")


def discount_flow(org_id: int) -> list[FlowStep]:
    """The chain's approval levels in order (its own, or the default)."""
    rows = DiscountApprovalStep.objects.filter(org_id=org_id).order_by("position")
    steps = [FlowStep(r.position, r.approver, r.max_percent) for r in rows]
    return steps or list(DEFAULT_DISCOUNT_FLOW)


def discount_percent(list_amount: Decimal, discount_amount: Decimal) -> Decimal:
    if list_amount <= 0:
        return ZERO
    return (discount_amount * HUNDRED / list_amount).quantize(Decimal("0.01"))


def _within(percent_limit: Decimal | None, list_amount: Decimal, discount: Decimal) -> bool:
    """Exact comparison (no rounding): discount / list ≤ limit %."""
    return percent_limit is None or discount * HUNDRED <= percent_limit * list_amount


def _percent(value, field: str, *, allow_empty: bool) -> Decimal | None:
    if value in (None, "") and allow_empty:
        return None
    try:
        percent = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        percent = None
    if percent is None or not percent.is_finite() or percent < 0 or percent > HUNDRED:
        raise _error("invalid_percent", _("请输入0到100之间的百分比"), field, 422)
    return percent


def _group_leader(requester: Staff) -> Staff | None:
    group = requester.group
    leader = group.leader if group is not None else None
    return leader if leader is not None and leader.is_active else None


def _acts_at(staff: Staff, kind: str, *, requester: Staff, store: Store) -> bool:
    """Whether `staff` is an approver at this level for a request of `requester` at `store`."""
    if not staff.is_active or staff.org_id != store.org_id:
        return False
    if kind == DiscountApprovalStep.Approver.GROUP_LEADER:
        leader = _group_leader(requester)
        return leader is not None and leader.pk == staff.pk
    if kind == DiscountApprovalStep.Approver.STORE_MANAGER:
        return staff.role == policy.MANAGER and staff.stores.filter(pk=store.pk).exists()
    return staff.role == policy.HQ


def _has_approver(kind: str, *, requester: Staff, store: Store) -> bool:
    if kind == DiscountApprovalStep.Approver.GROUP_LEADER:
        return _group_leader(requester) is not None
    staff = Staff.objects.filter(org_id=store.org_id, is_active=True)
    if kind == DiscountApprovalStep.Approver.STORE_MANAGER:
        return staff.filter(role=policy.MANAGER, stores=store).exists()
    return staff.filter(role=policy.HQ).exists()


def _decide(approval, step: FlowStep | None, outcome: str, by: Staff, comment: str = ""):
    DiscountApprovalDecision.objects.create(
        approval=approval,
        step_position=step.position if step else approval.step_position,
        approver_kind=step.approver if step else approval.approver_kind,
        outcome=outcome,
        by=by,
        comment=comment[:200],
    )


def _finish(approval: DiscountApproval, order: Order, status: str) -> None:
    approval.status, approval.decided_at = status, timezone.now()
    approval.save(
        update_fields=["status", "decided_at", "step_position", "approver_kind", "approver"]
    )
    order.approval_status = status


def _advance(approval: DiscountApproval, order: Order, *, after: int, actor: Staff) -> None:
    """Move the request to the first level above `after` that has an approver. A level where
    `actor` (the requester, or the approver who just passed it up) is itself an approver is
    decided by `actor`'s own authority when it covers the discount, else passed over."""
    requester, store = approval.requested_by, order.store
    steps = [s for s in discount_flow(order.org_id) if s.position > after]
    # Someone above must be able to grant it, or the request would wait for ever.
    reachable = any(
        _within(s.max_percent, approval.list_amount, approval.discount_amount)
        and (
            _acts_at(actor, s.approver, requester=requester, store=store)
            or _has_approver(s.approver, requester=requester, store=store)
        )
        for s in steps
    )
    for step in steps if reachable else []:
        covers = _within(step.max_percent, approval.list_amount, approval.discount_amount)
        if _acts_at(actor, step.approver, requester=requester, store=store):
            if covers:
                _decide(approval, step, DiscountApprovalDecision.Outcome.OWN_AUTHORITY, actor)
                approval.step_position, approval.approver_kind = step.position, step.approver
                approval.approver = actor
                _finish(approval, order, ApprovalStatus.APPROVED)
                return
            continue
        if not _has_approver(step.approver, requester=requester, store=store):
            continue
        approval.step_position, approval.approver_kind = step.position, step.approver
        approval.approver = (
            _group_leader(requester)
            if step.approver == DiscountApprovalStep.Approver.GROUP_LEADER
            else None
        )
        approval.save(update_fields=["step_position", "approver_kind", "approver"])
        return
    raise _error(
        "no_approver",
        _("审批流程中没有可以批准 %(percent)s%% 优惠的审批人")
        % {"percent": approval.discount_percent},
        "discount_amount",
        422,
    )


def _request_approval(order: Order, *, by: Staff, reason: str) -> None:
    """At submission: above the store's limit the order waits for approval (or is approved at
    once when the requester's own level covers it)."""
    limit = order.store.discount_limit_percent
    order.approval_status = ""
    if order.discount_amount <= 0 or _within(limit, order.list_amount, order.discount_amount):
        return
    approval = DiscountApproval.objects.create(
        org_id=order.org_id,
        store=order.store,
        order=order,
        requested_by=by,
        list_amount=order.list_amount,
        discount_amount=order.discount_amount,
        discount_percent=discount_percent(order.list_amount, order.discount_amount),
        limit_percent=limit,
        reason=(reason or "").strip()[:200],
    )
    order.approval_status = ApprovalStatus.PENDING
    _advance(approval, order, after=0, actor=by)
    audit.record(
        by,
        "discount_approval.requested",
        approval,
        after={
            "order": order.pk,
            "status": approval.status,
            "percent": str(approval.discount_percent),
            "level": approval.step_position,
        },
    )


def _cancel_pending_approval(order: Order, *, by: Staff) -> None:
    pending = DiscountApproval.objects.filter(order=order, status=ApprovalStatus.PENDING)
    for approval in pending.select_for_update():
        _finish(approval, order, ApprovalStatus.CANCELLED)
        audit.record(by, "discount_approval.cancelled", approval)
    order.approval_status = ""


def _locked_approval(approval: DiscountApproval) -> tuple[DiscountApproval, Order]:
    order = _locked(approval.order)
    approval = (
        DiscountApproval.objects.select_for_update(of=("self",))
        .select_related("requested_by__group__leader", "store")
        .get(pk=approval.pk)
    )
    return approval, order


def _check_approver(approval: DiscountApproval, order: Order, by: Staff) -> None:
    if approval.status != ApprovalStatus.PENDING:
        raise _error("approval_closed", _("该审批已处理"), status=409)
    if approval.approver_kind == DiscountApprovalStep.Approver.GROUP_LEADER:
        # The leader the request was routed to, even if the group has changed since.
        allowed = by.is_active and by.pk == approval.approver_id
    else:
        allowed = _acts_at(
            by, approval.approver_kind, requester=approval.requested_by, store=order.store
        )
    if not allowed:
        raise BusinessError("forbidden", _("您不是该审批当前层级的审批人"), status=403)


@transaction.atomic
def approve_discount(
    approval: DiscountApproval, *, by: Staff, comment: str = ""
) -> DiscountApproval:
    """Agree at the current level: the request is approved when this level's authority covers
    the discount, otherwise it goes up to the next level."""
    approval, order = _locked_approval(approval)
    _check_approver(approval, order, by)
    step = next(s for s in discount_flow(order.org_id) if s.position == approval.step_position)
    if _within(step.max_percent, approval.list_amount, approval.discount_amount):
        _decide(approval, step, DiscountApprovalDecision.Outcome.APPROVED, by, comment)
        approval.approver = by
        _finish(approval, order, ApprovalStatus.APPROVED)
    else:
        _decide(approval, step, DiscountApprovalDecision.Outcome.PASSED_UP, by, comment)
        _advance(approval, order, after=step.position, actor=by)
    order.save(update_fields=["approval_status", "updated_at"])
    audit.record(
        by,
        "discount_approval.approved",
        approval,
        after={"status": approval.status, "level": approval.step_position},
        note=comment,
    )
    return approval


@transaction.atomic
def reject_discount(approval: DiscountApproval, *, by: Staff, comment: str) -> DiscountApproval:
    """Refuse: the order goes back to draft so the discount can be changed and resubmitted."""
    comment = (comment or "").strip()
    if not comment:
        raise _error("comment_required", _("请填写驳回原因"), "comment", 422)
    approval, order = _locked_approval(approval)
    _check_approver(approval, order, by)
    ensure_period_open(order.store_id, order.business_date, org_id=order.org_id)
    _decide(approval, None, DiscountApprovalDecision.Outcome.REJECTED, by, comment)
    approval.approver = by
    _finish(approval, order, ApprovalStatus.REJECTED)
    order.status, order.submitted_at = Order.Status.DRAFT, None
    order.save(update_fields=["approval_status", "status", "submitted_at", "updated_at"])
    audit.record(by, "discount_approval.rejected", approval, note=comment)
    return approval


@transaction.atomic
def set_discount_flow(org: Organization, *, steps, by: Staff) -> list[FlowStep]:
    """Replace the chain's approval levels: [(approver, max_percent or None), …] from the
    lowest level up. Each level may grant at least as much as the one below it."""
    scope = _scope(by, "approval.configure")
    if org.pk != scope.org_id:
        raise NotFound()
    steps = list(steps or [])
    if not steps:
        raise _error("no_steps", _("请至少设置一个审批层级"), "steps", 422)
    valid = set(DiscountApprovalStep.Approver.values)
    cleaned: list[FlowStep] = []
    for n, (approver, max_percent) in enumerate(steps):
        if approver not in valid:
            raise _error("invalid_approver", _("请选择审批人"), f"steps.{n}.approver", 422)
        if any(s.approver == approver for s in cleaned):
            raise _error(
                "duplicate_approver", _("同一审批人不能出现在两个层级"), f"steps.{n}.approver", 422
            )
        percent = _percent(max_percent, f"steps.{n}.max_percent", allow_empty=True)
        if percent is not None and percent <= 0:
            raise _error(
                "invalid_percent", _("请输入0到100之间的百分比"), f"steps.{n}.max_percent", 422
            )
        if cleaned and (
            cleaned[-1].max_percent is None
            or (percent is not None and percent < cleaned[-1].max_percent)
        ):
            raise _error(
                "flow_not_increasing",
                _("上级可批准的折扣不能小于下级;不限额的层级必须是最后一级"),
                f"steps.{n}.max_percent",
                422,
            )
        cleaned.append(FlowStep(n + 1, approver, percent))
    before = [list(s) for s in discount_flow(org.pk)]
    DiscountApprovalStep.objects.filter(org=org).delete()
    DiscountApprovalStep.objects.bulk_create(
        DiscountApprovalStep(
            org=org, position=s.position, approver=s.approver, max_percent=s.max_percent
        )
        for s in cleaned
    )
    audit.record(
        by,
        "discount_flow.changed",
        org,
        before={"steps": [[s[1], str(s[2])] for s in before]},
        after={"steps": [[s.approver, str(s.max_percent)] for s in cleaned]},
    )
    return cleaned


@transaction.atomic
def set_discount_limit(store: Store, *, limit_percent, by: Staff) -> Store:
    """The store's discount limit without approval (empty = no limit)."""
    scope = _scope(by, "approval.configure")
    _require_store(scope, store.pk, store.org_id)
    percent = _percent(limit_percent, "limit_percent", allow_empty=True)
    store = Store.objects.select_for_update().get(pk=store.pk)
    before = store.discount_limit_percent
    store.discount_limit_percent = percent
    store.save(update_fields=["discount_limit_percent", "updated_at"])
    audit.record(
        by,
        "store.discount_limit_changed",
        store,
        before={"limit": str(before)},
        after={"limit": str(percent)},
    )
    return store
