"""Rolling spend and membership levels (会员等级), the money side. Levels and their history live
in the customers app (yanzhi.customers.membership); this module computes what a customer spent
and hands the figure over.

Rolling spend (docs/decisions.md, "Membership levels"): the money the chain actually received from
the customer — Payment rows by cash, bank card, WeChat, Alipay and applied deposits
(`Payment.SPEND_METHODS`), net of refunds (refunds are negative Payment rows) — whose business
date (the store-local day of the payment) lies in the last N months: from the day after the same
date N months ago up to today, in the customer's home store's timezone. Stored-value payments
(the card's purchase already counted) and e-coupons do not count. Chain-wide: every store's
payments count. Never below zero.

`refresh_customer` runs inside every transaction that writes a Payment row (pay_order,
pay_arrears, refund_order); `refresh_all` is the daily job (`manage.py refresh_member_levels`)
that lets old spend leave the window.
"""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum

from yanzhi.core.timeutil import store_today
from yanzhi.customers import membership
from yanzhi.customers.models import Customer, MembershipLevelChange
from yanzhi.org.models import Organization, Staff, Store
from yanzhi.sales.models import Payment

ZERO = Decimal("0.00")
BATCH = 500


def window_start(today: date, months: int) -> date:
    """The first day of the rolling window: the day after the same date `months` months ago
    (clamped to the month's end: 31 March − 1 month → 28/29 February)."""
    month_index = today.year * 12 + today.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    day = min(today.day, calendar.monthrange(year, month)[1])
    return date.fromordinal(date(year, month, day).toordinal() + 1)


def _spend_payments(org_id: int, start: date):
    return Payment.objects.filter(
        org_id=org_id, method__in=Payment.SPEND_METHODS, business_date__gte=start
    )


def _window_start_at(home_store: Store, today: date | None = None) -> date:
    """The window's first day for a customer of `home_store` (its day counts)."""
    today = today or store_today(home_store)
    return window_start(today, membership.window_months(home_store.org_id))


def rolling_spend(customer: Customer, *, today: date | None = None) -> Decimal:
    """One customer's rolling spend, one aggregate query."""
    start = _window_start_at(customer.store, today)
    total = (
        _spend_payments(customer.org_id, start)
        .filter(order__customer_id=customer.pk)
        .aggregate(total=Sum("amount"))["total"]
    )
    return max(total or ZERO, ZERO)


def refresh_customer(
    customer_id: int, *, reason: str, by: Staff | None = None, home_store: Store | None = None
) -> None:
    """Recompute one customer's rolling spend and level, in the caller's transaction (money
    just moved). The customer row is locked first, so two payments of the same customer in
    two stores cannot store a stale sum. With the customer's home store at hand (`home_store`:
    its day starts the window), the lock and the sum are one statement: no other payment of
    the customer can commit meanwhile, as every money movement holds the customer's summary
    lock (sales.services)."""
    if home_store is None:
        customer = (
            Customer.objects.select_for_update(of=("self",))
            .select_related("store")
            .get(pk=customer_id)
        )
        spend = rolling_spend(customer)
    else:
        total = (
            _spend_payments(home_store.org_id, _window_start_at(home_store))
            .filter(order__customer_id=OuterRef("pk"))
            .order_by()
            .values("order__customer_id")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        customer = (
            Customer.objects.select_for_update(of=("self",))
            .only("org_id", "member_level_id", "member_level_since", "rolling_spend_amount")
            .annotate(spend=Subquery(total))
            .get(pk=customer_id)
        )
        spend = max(customer.spend or ZERO, ZERO)
    membership.apply_rolling_spends(
        customer.org_id, {customer.pk: spend}, reason=reason, by=by, rows=[customer]
    )


def note_payment(customer_id: int, *, by: Staff, home_store: Store | None = None) -> None:
    refresh_customer(
        customer_id, reason=MembershipLevelChange.Reason.PAYMENT, by=by, home_store=home_store
    )


def note_refund(customer_id: int, *, by: Staff) -> None:
    refresh_customer(customer_id, reason=MembershipLevelChange.Reason.REFUND, by=by)


@dataclass
class RefreshResult:
    customers: int = 0
    up: int = 0
    down: int = 0
    spend_only: int = 0

    @property
    def unchanged(self) -> int:
        return self.customers - self.up - self.down - self.spend_only


@transaction.atomic
def _refresh_batch(org_id: int, customer_ids: list[int], start: date, levels) -> RefreshResult:
    # Lock the batch (pk order, as every lock in the app) before summing, as refresh_customer.
    locked = list(
        Customer.objects.select_for_update()
        .filter(pk__in=customer_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sums = dict(
        _spend_payments(org_id, start)
        .filter(order__customer_id__in=locked)
        .order_by()
        .values("order__customer_id")
        .annotate(total=Sum("amount"))
        .values_list("order__customer_id", "total")
    )
    spends = {pk: max(sums.get(pk) or ZERO, ZERO) for pk in locked}
    applied = membership.apply_rolling_spends(
        org_id, spends, reason=MembershipLevelChange.Reason.WINDOW, levels=levels
    )
    return RefreshResult(
        customers=len(locked), up=applied.up, down=applied.down, spend_only=applied.spend_only
    )


def refresh_all(
    org_id: int | None = None,
    today: date | None = None,
    *,
    store_id: int | None = None,
    batch_size: int = BATCH,
) -> RefreshResult:
    """Recompute every customer of every chain (or of `org_id`, or only the customers whose
    home store is `store_id` — the worker's daily job runs per store), in batches of
    `batch_size` customers, one aggregate query each, one transaction each. Idempotent: a second
    run changes nothing. `today` defaults to each store's own today. Returns the counts."""
    total = RefreshResult()
    orgs = Organization.objects.order_by("pk")
    if org_id is not None:
        orgs = orgs.filter(pk=org_id)
    for org_pk in orgs.values_list("pk", flat=True):
        levels = membership.active_levels(org_pk)
        months = membership.window_months(org_pk)
        stores = Store.objects.filter(org_id=org_pk).order_by("pk")
        if store_id is not None:
            stores = stores.filter(pk=store_id)
        for store in stores:
            start = window_start(today or store_today(store), months)
            ids = list(
                Customer.objects.filter(org_id=org_pk, store=store)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            for n in range(0, len(ids), batch_size):
                done = _refresh_batch(org_pk, ids[n : n + batch_size], start, levels)
                total.customers += done.customers
                total.up += done.up
                total.down += done.down
                total.spend_only += done.spend_only
    return total
