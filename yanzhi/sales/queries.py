"""Scoped reads of sales: orders, payments, cards, coupons, deposits, the deal definition in
force, the prepaid liability, and the ledger checks' recomputations."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from yanzhi.core.money import MoneyField, to_money
from yanzhi.core.scope import Scope
from yanzhi.core.timeutil import store_today
from yanzhi.customers.models import Customer, CustomerSummary
from yanzhi.org.models import Store
from yanzhi.sales.models import (
    ApprovalStatus,
    Coupon,
    DealDefinition,
    Deposit,
    DiscountApproval,
    DiscountApprovalDecision,
    Order,
    Payment,
    StoredValueCard,
    StoredValueLedger,
)

ZERO = Decimal("0.00")


def _owned(scope: Scope, prefix: str = "customer__") -> Q:
    return Q(**{f"{prefix}consultant_id__in": scope.owner_ids}) | Q(
        **{f"{prefix}online_consultant_id__in": scope.owner_ids}
    )


def orders_for(scope: Scope) -> QuerySet[Order]:
    """Orders of the scope's stores; consultants: only their customers' orders."""
    qs = Order.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    if scope.owner_ids is not None:
        qs = qs.filter(_owned(scope))
    return qs


def get_order(scope: Scope, pk: int) -> Order:
    return get_object_or_404(orders_for(scope), pk=pk)


def get_order_detail(scope: Scope, pk: int) -> Order:
    qs = orders_for(scope).select_related(
        "store",
        "customer__member_level",
        "consultant",
        "sales_channel",
        "visit",
        "deal_definition",
    )
    return get_object_or_404(qs.prefetch_related(*ORDER_PREFETCH), pk=pk)


def _prefetch():
    from django.db.models import Prefetch

    from yanzhi.sales.models import OrderLine

    return (
        Prefetch("lines", queryset=OrderLine.objects.select_related("item", "promotion")),
        Prefetch("payments", queryset=Payment.objects.select_related("card", "coupon", "by")),
    )


ORDER_PREFETCH = _prefetch()


def _out_prefetch():
    from django.db.models import Prefetch

    from yanzhi.sales.models import OrderLine

    line_columns = [f.attname for f in OrderLine._meta.concrete_fields]
    payment_columns = (
        "order_id", "method", "amount", "refund_of_id", "card_id", "coupon_id", "deposit_id",
        "business_date", "created_at",
    )  # fmt: skip
    return (
        Prefetch(
            "lines",
            queryset=OrderLine.objects.select_related("item", "promotion").only(
                *line_columns, "item__name", "promotion__name"
            ),
        ),
        Prefetch("payments", queryset=Payment.objects.only(*payment_columns)),
    )


# What the API answers with an order (sales.schemas.OrderOut): the order's own row, its lines
# with the item's and the promotion's names, and its payments. The pages' detail above also
# joins six tables and the payments' cards, coupons and cashiers; building those rows took
# a third of a payment request.
ORDER_OUT_PREFETCH = _out_prefetch()


def get_order_out(scope: Scope, pk: int) -> Order:
    return get_object_or_404(orders_for(scope).prefetch_related(*ORDER_OUT_PREFETCH), pk=pk)


def order_list(
    scope: Scope,
    *,
    status: str = "",
    store_id: int | None = None,
    day: date | None = None,
    customer_id: int | None = None,
    q: str = "",
) -> QuerySet[Order]:
    qs = orders_for(scope)
    if status:
        qs = qs.filter(status=status)
    if store_id:
        qs = qs.filter(store_id=store_id)
    if day:
        qs = qs.filter(business_date=day)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(order_no__icontains=q)
            | Q(customer__name__icontains=q)
            | Q(customer__member_no__icontains=q)
            | Q(customer__phone_tail=q)
        )
    return qs.select_related("store", "customer", "consultant").order_by("-business_date", "-id")


def payments_for(scope: Scope) -> QuerySet[Payment]:
    qs = Payment.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    if scope.owner_ids is not None:
        qs = qs.filter(_owned(scope, "order__customer__"))
    return qs


def cards_for(scope: Scope) -> QuerySet[StoredValueCard]:
    """Stored-value cards are the customer's, usable across the chain: a store sees the cards
    of customers it sees."""
    from yanzhi.customers.queries import visible_customers

    return StoredValueCard.objects.filter(visible_customers(scope), org_id=scope.org_id)


def get_card(scope: Scope, pk: int) -> StoredValueCard:
    return get_object_or_404(cards_for(scope).select_related("store", "customer", "item"), pk=pk)


def coupons_for(scope: Scope) -> QuerySet[Coupon]:
    from yanzhi.customers.queries import visible_customers

    return Coupon.objects.filter(visible_customers(scope), org_id=scope.org_id)


def get_coupon(scope: Scope, pk: int) -> Coupon:
    return get_object_or_404(coupons_for(scope).select_related("customer__store"), pk=pk)


def deposits_for(scope: Scope) -> QuerySet[Deposit]:
    qs = Deposit.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    if scope.owner_ids is not None:
        qs = qs.filter(_owned(scope))
    return qs


def get_deposit(scope: Scope, pk: int) -> Deposit:
    return get_object_or_404(deposits_for(scope).select_related("store"), pk=pk)


@dataclass
class PaySources:
    """What the pay panel offers for this order's customer."""

    cards: list[StoredValueCard]
    coupons: list[Coupon]
    deposits: list[Deposit]


def pay_sources(order: Order) -> PaySources:
    today = store_today(order.store)
    cards = StoredValueCard.objects.filter(
        org_id=order.org_id,
        customer_id=order.customer_id,
        status=StoredValueCard.Status.ACTIVE,
        balance_amount__gt=0,
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
    coupons = Coupon.objects.filter(
        org_id=order.org_id,
        customer_id=order.customer_id,
        status=Coupon.Status.UNUSED,
        expires_on__gte=today,
    )
    deposits = Deposit.objects.filter(
        org_id=order.org_id, customer_id=order.customer_id, status=Deposit.Status.HELD
    )
    return PaySources(list(cards.order_by("pk")), list(coupons.order_by("pk")), list(deposits))


def current_definition(scope: Scope) -> DealDefinition | None:
    return (
        DealDefinition.objects.filter(org_id=scope.org_id)
        .order_by("-effective_from", "-id")
        .first()
    )


def definition_history(scope: Scope) -> QuerySet[DealDefinition]:
    return DealDefinition.objects.filter(org_id=scope.org_id).select_related("created_by")


# --- the prepaid liability (预收款) ------------------------------------------------------------------
@dataclass
class LiabilityRow:
    """What the chain owes customers, for one store (None: the chain total). Expired balances
    are still owed (a prepaid balance is not forfeited; an expired card or course can be
    extended), so they are shown apart, not dropped."""

    store: Store | None
    stored_value_amount: Decimal = ZERO  # active cards, not expired
    expired_stored_value_amount: Decimal = ZERO  # active cards past their expiry date
    card_count: int = 0  # active, unexpired cards with a balance
    sessions_value_amount: Decimal = ZERO  # unused sessions of live courses × unit value
    expired_sessions_value_amount: Decimal = ZERO  # sessions of expired courses × unit value
    session_count: int = 0  # unused sessions of live courses
    deposit_amount: Decimal = ZERO  # deposits taken, neither applied nor refunded
    deposit_count: int = 0

    @property
    def total_amount(self) -> Decimal:
        return (
            self.stored_value_amount
            + self.expired_stored_value_amount
            + self.sessions_value_amount
            + self.expired_sessions_value_amount
            + self.deposit_amount
        )

    def add(self, other: "LiabilityRow") -> None:
        for name in (
            "stored_value_amount",
            "expired_stored_value_amount",
            "card_count",
            "sessions_value_amount",
            "expired_sessions_value_amount",
            "session_count",
            "deposit_amount",
            "deposit_count",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Liability:
    rows: list[LiabilityRow]
    total: LiabilityRow


def _expired_by_store(stores: list[Store], field: str = "expires_on") -> Q:
    """Past `field` in the store's own today; stores sharing a today share one condition, so
    the query stays the same size however many stores there are."""
    by_day: dict[date, list[int]] = {}
    for store in stores:
        by_day.setdefault(store_today(store), []).append(store.pk)
    conditions = [Q(store_id__in=ids, **{f"{field}__lt": day}) for day, ids in by_day.items()]
    expired = conditions[0]
    for condition in conditions[1:]:
        expired |= condition
    return expired


def prepaid_liability(scope: Scope) -> Liability:
    """What the chain owes its customers, by the store that took the money (card issued, course
    sold, deposit taken) and in total: unused stored value, unused sessions at their unit
    value, held deposits; expired card balances and expired courses' sessions apart. Five
    queries, whatever the number of stores."""
    from django.db.models import Count, ExpressionWrapper

    from yanzhi.org.queries import stores_for
    from yanzhi.treatments.models import Entitlement, EntitlementLedger

    stores = list(stores_for(scope).order_by("code", "pk"))
    ids = [s.pk for s in stores]
    rows = {s.pk: LiabilityRow(store=s) for s in stores}
    if not stores:
        return Liability(rows=[], total=LiabilityRow(store=None))
    expired = _expired_by_store(stores)
    live = ~expired

    def money(expression, condition=None):
        return Coalesce(
            Sum(expression, filter=condition, output_field=MoneyField()),
            Value(ZERO),
            output_field=MoneyField(),
        )

    cards = (
        StoredValueCard.objects.filter(
            org_id=scope.org_id,
            store_id__in=ids,
            status=StoredValueCard.Status.ACTIVE,
            balance_amount__gt=0,
        )
        .order_by()
        .values("store_id")
        .annotate(
            live=money("balance_amount", live),
            expired=money("balance_amount", expired),
            count=Count("pk", filter=live),
        )
    )
    for r in cards:
        row = rows[r["store_id"]]
        row.stored_value_amount = to_money(r["live"])
        row.expired_stored_value_amount = to_money(r["expired"])
        row.card_count = r["count"]
    value = ExpressionWrapper(
        F("remaining_sessions") * F("unit_value_amount"), output_field=MoneyField()
    )
    courses = (
        Entitlement.objects.filter(
            org_id=scope.org_id,
            store_id__in=ids,
            status=Entitlement.Status.ACTIVE,
            remaining_sessions__gt=0,
        )
        .order_by()
        .values("store_id")
        .annotate(
            live=money(value, live),
            expired=money(value, expired),
            sessions=Coalesce(Sum("remaining_sessions", filter=live), Value(0)),
        )
    )
    for r in courses:
        row = rows[r["store_id"]]
        row.sessions_value_amount = to_money(r["live"])
        row.expired_sessions_value_amount = to_money(r["expired"])
        row.session_count = r["sessions"]
    # Courses the expiry run closed: their remaining is 0, the sessions still owed are what
    # the expiries took minus what extensions gave back (the ledger's expired + adjusted rows).
    taken = (
        EntitlementLedger.objects.filter(
            entitlement__org_id=scope.org_id,
            entitlement__store_id__in=ids,
            entitlement__status=Entitlement.Status.EXPIRED,
            reason__in=[EntitlementLedger.Reason.EXPIRED, EntitlementLedger.Reason.ADJUSTED],
        )
        .order_by()
        .values("entitlement__store_id")
        .annotate(
            owed=money(
                ExpressionWrapper(
                    -F("delta") * F("entitlement__unit_value_amount"), output_field=MoneyField()
                )
            )
        )
    )
    for r in taken:
        row = rows[r["entitlement__store_id"]]
        row.expired_sessions_value_amount += max(to_money(r["owed"]), ZERO)
    deposits = (
        Deposit.objects.filter(org_id=scope.org_id, store_id__in=ids, status=Deposit.Status.HELD)
        .order_by()
        .values("store_id")
        .annotate(total=money("amount"), count=Count("pk"))
    )
    for r in deposits:
        rows[r["store_id"]].deposit_amount = to_money(r["total"])
        rows[r["store_id"]].deposit_count = r["count"]
    total = LiabilityRow(store=None)
    for row in rows.values():
        total.add(row)
    return Liability(rows=[rows[pk] for pk in ids], total=total)


# --- ledger recomputations (manage.py check_balances) ---------------------------------------------
def _sum_of(model, link: str, field: str, **filters):
    """A correlated subquery summing model.field per outer row (no join multiplication)."""
    rows = (
        model.objects.filter(**{link: OuterRef("pk")}, **filters)
        .order_by()
        .values(link)
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(
        Subquery(rows, output_field=MoneyField()), Value(ZERO), output_field=MoneyField()
    )


def _differs(left: str, right: str) -> Q:
    """More than half a fen apart: SQLite sums decimals in floating point, so exact equality
    would report phantom mismatches there."""
    half_fen = Decimal("0.005")
    return Q(**{f"{left}__gt": F(right) + half_fen}) | Q(**{f"{left}__lt": F(right) - half_fen})


def card_ledger_mismatches() -> QuerySet[StoredValueCard]:
    return (
        StoredValueCard.objects.annotate(ledger_sum=_sum_of(StoredValueLedger, "card", "delta"))
        .filter(_differs("balance_amount", "ledger_sum"))
        .select_related("customer")
    )


def order_payment_mismatches() -> QuerySet[Order]:
    return Order.objects.annotate(payment_sum=_sum_of(Payment, "order", "amount")).filter(
        _differs("paid_amount", "payment_sum")
    )


def order_refund_mismatches() -> QuerySet[Order]:
    from yanzhi.sales.models import OrderLine

    return Order.objects.annotate(
        line_refunds=_sum_of(OrderLine, "order", "refunded_amount")
    ).filter(_differs("refunded_amount", "line_refunds"))


def summary_arrears_mismatches() -> QuerySet[CustomerSummary]:
    """A customer's arrears are the arrears of their paid (or refunded) orders."""
    rows = (
        Order.objects.filter(
            customer=OuterRef("customer_id"), status__in=[Order.Status.PAID, Order.Status.REFUNDED]
        )
        .order_by()
        .values("customer")
        .annotate(total=Sum("arrears_amount"))
        .values("total")
    )
    arrears = Coalesce(
        Subquery(rows, output_field=MoneyField()), Value(ZERO), output_field=MoneyField()
    )
    return CustomerSummary.objects.annotate(order_arrears=arrears).filter(
        _differs("arrears_amount", "order_arrears")
    )


def customer_orders(scope: Scope, customer: Customer) -> QuerySet[Order]:
    return orders_for(scope).filter(customer=customer).select_related("store", "consultant")


# --- discount approvals ----------------------------------------------------------------------------
def _awaiting(scope: Scope) -> Q:
    """Pending requests waiting at a level where this staff member is an approver."""
    from yanzhi.sales.models import DiscountApprovalStep as Step

    mine = Q(approver_kind=Step.Approver.GROUP_LEADER, approver_id=scope.staff_id)
    if scope.role == "store_manager":
        mine |= Q(approver_kind=Step.Approver.STORE_MANAGER, store_id__in=scope.store_ids or ())
    if scope.role == "hq":
        mine |= Q(approver_kind=Step.Approver.HQ)
    return Q(status=ApprovalStatus.PENDING) & mine


def approvals_for(scope: Scope) -> QuerySet[DiscountApproval]:
    """Requests this staff member may see: those of orders in their scope, those they asked
    for, those waiting for them and those they decided."""
    visible = (
        Q(order__in=orders_for(scope))
        | Q(requested_by_id=scope.staff_id)
        | _awaiting(scope)
        | Q(decisions__by_id=scope.staff_id)
    )
    ids = DiscountApproval.objects.filter(org_id=scope.org_id).filter(visible).values("pk")
    return DiscountApproval.objects.filter(org_id=scope.org_id, pk__in=ids)


def get_approval(scope: Scope, pk: int) -> DiscountApproval:
    qs = (
        approvals_for(scope)
        .select_related("order__customer", "store", "requested_by", "approver")
        .prefetch_related("decisions__by")
    )
    return get_object_or_404(qs, pk=pk)


APPROVAL_BOXES = ("waiting", "requested", "decided", "all")


def approval_list(scope: Scope, box: str = "waiting") -> QuerySet[DiscountApproval]:
    """An approval box: waiting for me, asked for by me, decided by me, or all I may see."""
    if box == "waiting":
        qs = DiscountApproval.objects.filter(org_id=scope.org_id).filter(_awaiting(scope))
    elif box == "requested":
        qs = DiscountApproval.objects.filter(org_id=scope.org_id, requested_by_id=scope.staff_id)
    elif box == "decided":
        decided = DiscountApprovalDecision.objects.filter(
            by_id=scope.staff_id, approval__org_id=scope.org_id
        ).values("approval_id")
        qs = DiscountApproval.objects.filter(org_id=scope.org_id, pk__in=decided)
    else:
        qs = approvals_for(scope)
    return qs.select_related("order__customer", "store", "requested_by", "approver").order_by(
        "-requested_at", "-id"
    )


def order_approvals(order: Order) -> QuerySet[DiscountApproval]:
    """An order's requests with their history, newest first (for the order page)."""
    return (
        DiscountApproval.objects.filter(order=order)
        .select_related("requested_by", "approver")
        .prefetch_related("decisions__by")
        .order_by("-requested_at", "-id")
    )


def can_decide(scope: Scope, approval: DiscountApproval) -> bool:
    return DiscountApproval.objects.filter(pk=approval.pk).filter(_awaiting(scope)).exists()


def unused_sessions_by_line(order: Order) -> dict[int, int]:
    """Unused sessions of the courses each line of the order granted (one query)."""
    from yanzhi.treatments.models import Entitlement

    rows = (
        Entitlement.objects.filter(
            org_id=order.org_id,
            source_line_id__in=order.lines.values("pk"),
            status=Entitlement.Status.ACTIVE,
        )
        .values("source_line_id")
        .annotate(unused=Sum("remaining_sessions"))
    )
    return {r["source_line_id"]: r["unused"] for r in rows}


# --- the order screen's choices and the customer's wallet (预约金 / 电子券 / 储值卡) ---------------
def order_type_choices(org_id: int) -> list[str]:
    """Order types in use in the chain: those of the catalogue's items and of the deal
    definition in force, for the order screen's suggestions."""
    from yanzhi.catalog.models import Item

    types = set(
        Item.objects.filter(org_id=org_id)
        .exclude(order_type="")
        .values_list("order_type", flat=True)
        .distinct()
    )
    definition = (
        DealDefinition.objects.filter(org_id=org_id).order_by("-effective_from", "-id").first()
    )
    types.update(definition.order_types if definition else ())
    return sorted(types)


def order_visit_choices(scope: Scope, order: Order):
    """The visits a draft may be linked to: the customer's visits at the order's store."""
    from yanzhi.visits.queries import visits_for

    return (
        visits_for(scope)
        .filter(customer_id=order.customer_id, store_id=order.store_id)
        .order_by("-arrived_at", "-id")
    )


def customer_deposits(scope: Scope, customer: Customer) -> QuerySet[Deposit]:
    return (
        deposits_for(scope)
        .filter(customer=customer)
        .select_related("store", "appointment", "applied_order", "by")
        .order_by("-id")
    )


def customer_coupons(scope: Scope, customer: Customer) -> QuerySet[Coupon]:
    return coupons_for(scope).filter(customer=customer).select_related("created_by").order_by("-id")


def customer_cards(scope: Scope, customer: Customer) -> QuerySet[StoredValueCard]:
    return (
        cards_for(scope).filter(customer=customer).select_related("store", "item").order_by("-id")
    )


def deposit_appointments(scope: Scope, customer: Customer, store: Store):
    """Bookings a deposit may be taken for: the customer's booked appointments at the store,
    from today on."""
    from yanzhi.core.timeutil import store_day_bounds
    from yanzhi.scheduling.models import Appointment
    from yanzhi.scheduling.queries import appointments_for

    start, _end = store_day_bounds(store, store_today(store))
    return (
        appointments_for(scope)
        .filter(
            customer=customer,
            store=store,
            status=Appointment.Status.BOOKED,
            starts_at__gte=start,
        )
        .order_by("starts_at", "pk")
    )


def extension_history(obj) -> QuerySet:
    """The extensions (延期) of a card or coupon, newest first, from the audit log the
    services write (old and new expiry, reason, who and when)."""
    from yanzhi.core.models import AuditLog

    return AuditLog.objects.filter(
        org_id=obj.org_id,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        action__in=["card.extended", "coupon.extended"],
    ).order_by("-created_at", "-id")


def customer_wallet(scope: Scope, customer: Customer, store: Store) -> dict:
    """What the customer holds, for the profile's orders tab: deposits, e-coupons, stored-value
    cards, and the bookings a new deposit may be taken for at `store` (a fixed number of
    queries)."""
    return {
        "deposits": list(customer_deposits(scope, customer)[:50]),
        "coupons": list(customer_coupons(scope, customer)[:50]),
        "cards": list(customer_cards(scope, customer)),
        "appointments": list(deposit_appointments(scope, customer, store)[:20]),
        "today": store_today(customer.store),
        "money_methods": [
            (v, label) for v, label in Payment.Method.choices if v in Payment.MONEY_METHODS
        ],
    }


# --- attribution kept on the rows (docs/reports.md, "Attribution") -------------------------------
def _distinct(left: str, right: str) -> Q:
    """`left IS DISTINCT FROM right`: different, or one of them empty."""
    return (
        Q(**{f"{left}__isnull": True, f"{right}__isnull": False})
        | Q(**{f"{left}__isnull": False, f"{right}__isnull": True})
        | (Q(**{f"{left}__isnull": False, f"{right}__isnull": False}) & ~Q(**{left: F(right)}))
    )


# (model, the column kept on the row, where it comes from)
DERIVED_ATTRIBUTION = [
    (Payment, "consultant_id", "order__consultant_id"),
    (Payment, "online_consultant_id", "order__online_consultant_id"),
    (Payment, "doctor_id", "order__visit__doctor_id"),
    (Payment, "customer_channel_id", "order__customer_channel_id"),
    (Order, "customer_channel_id", "customer__source_channel_id"),
]


def attribution_mismatches():
    """Rows whose kept attribution is not what it derives from now: (label, kept, derived).
    The consultants of executions and orders are fixed when they happen and have no source to
    compare with; what follows its source (a payment its order and the order's visit, a
    channel the customer's) and the executed value are checked, and a deal has its number."""
    from django.db.models import ExpressionWrapper

    from yanzhi.treatments.models import Execution
    from yanzhi.visits.models import Visit

    rows = [*DERIVED_ATTRIBUTION, (Visit, "customer_channel_id", "customer__source_channel_id")]
    for model, kept, source in rows:
        found = model.objects.filter(_distinct(kept, source)).values_list("pk", kept, source)
        for pk, stored, derived in found.order_by("pk"):
            yield f"{model._meta.model_name} {pk} {kept}", stored, derived
    value = ExpressionWrapper(
        F("sessions") * F("entitlement__unit_value_amount"), output_field=MoneyField()
    )
    executions = Execution.objects.annotate(derived=value).filter(
        _differs("value_amount", "derived")
    )
    for pk, stored, derived in executions.values_list("pk", "value_amount", "derived"):
        yield f"execution {pk} value_amount", stored, derived
    unnumbered = Order.objects.filter(
        Q(is_deal=True, deal_number__isnull=True) | Q(is_deal=False, deal_number__isnull=False)
    )
    for pk, is_deal, number in unnumbered.values_list("pk", "is_deal", "deal_number"):
        yield f"order {pk} deal_number", number, "a number" if is_deal else None
