"""When follow-up rules fire. Event handlers (subscribed in apps.py to the domain events of the
apps below, docs/events.md; "member became sleeping" comes from the customers app's daily
member-activity job) run inside the transaction of the action that caused them; the
time-based triggers (paid but not executed for N days, birthdays, 节日 dates) run from
`run_scheduled_triggers`, which remembers the days it processed per store and catches up on
missed days (at most 7 days back)."""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, prefetch_related_objects
from django.utils import timezone

from yanzhi.core.timeutil import store_day_bounds, store_today
from yanzhi.customers import tags
from yanzhi.customers.models import Customer
from yanzhi.customers.tags import TagFilter
from yanzhi.followups import services
from yanzhi.followups.models import (
    SCHEDULED_TRIGGERS,
    FollowupRule,
    FollowupTask,
    Trigger,
    TriggerRun,
)
from yanzhi.org import settings_cache
from yanzhi.org.models import Staff, Store
from yanzhi.sales.models import OrderLine, Payment
from yanzhi.treatments.models import Entitlement, Execution

CATCH_UP_DAYS = 7
BATCH = 500


# --- which rules apply ---------------------------------------------------------------------------
def _rules(org_id: int, trigger: str, store_id: int) -> tuple[FollowupRule, ...]:
    """The active rules of a trigger for a store (chain-wide ones too), with their nodes and
    filters (settings: kept per process while the chain's settings are unchanged)."""

    def load():
        rules = list(
            FollowupRule.objects.filter(org_id=org_id, trigger=trigger, is_active=True).filter(
                Q(store__isnull=True) | Q(store_id=store_id)
            )
        )
        if rules:
            prefetch_related_objects(rules, "nodes", "items", "departments")
        return tuple(rules)

    return settings_cache.cached(org_id, ("followup_rules", trigger, store_id), load)


def _tags(rule: FollowupRule) -> TagFilter:
    return TagFilter(
        deal_statuses=tuple(rule.deal_statuses),
        activities=tuple(rule.activities),
        last_visit_types=tuple(rule.last_visit_types),
        has_allergy=rule.has_allergy,
        has_arrears=rule.has_arrears,
    )


def applies(rule: FollowupRule, customer: Customer, item=None) -> bool:
    """The rule's filters: the customer's dynamic tags (deal status, member activity, last visit
    type), and items or departments (an item matches when it is one of the rule's items or
    belongs to one of its departments). `matching_customers` is the same test in SQL."""
    if not tags.matches(customer, _tags(rule)):
        return False
    return covers_item(rule, item.pk if item else None, item.department_id if item else None)


def covers_item(rule: FollowupRule, item_id: int | None, department_id: int | None) -> bool:
    """The rule's item filter alone: no items or departments, or one of them."""
    item_ids = {i.pk for i in rule.items.all()}
    department_ids = {d.pk for d in rule.departments.all()}
    if item_ids or department_ids:
        if item_id is None:
            return False
        return item_id in item_ids or department_id in department_ids
    return True


def matching_customers(rule: FollowupRule, customers):
    """`customers` narrowed to those the rule's customer filters accept (as `applies` without
    an item: rules of customer triggers have no item or department filters)."""
    return tags.filter_customers(customers, _tags(rule))


def _fire(rules, *, store, customer, cause, base, item=None, **extra) -> list[FollowupTask]:
    created = []
    for rule in rules:
        if applies(rule, customer, item):
            created += services.create_tasks(
                rule, store=store, customer=customer, cause=cause, base=base, item=item, **extra
            )
    return created


def _customer(customer_id: int) -> Customer:
    return Customer.objects.select_related("consultant", "doctor", "summary").get(pk=customer_id)


# --- event handlers ------------------------------------------------------------------------------
def on_customer_created(*, customer_id: int, org_id: int, store_id: int, created_at, **_):
    rules = _rules(org_id, Trigger.CUSTOMER_CREATED, store_id)
    if not rules:
        return
    _fire(
        rules,
        store=Store.objects.get(pk=store_id),
        customer=_customer(customer_id),
        cause=f"customer:{customer_id}",
        base=created_at,
    )


def on_appointment_missed(
    *, appointment_id: int, org_id: int, store_id: int, customer_id: int, **_
):
    rules = _rules(org_id, Trigger.APPOINTMENT_MISSED, store_id)
    if not rules:
        return
    _fire(
        rules,
        store=Store.objects.get(pk=store_id),
        customer=_customer(customer_id),
        cause=f"appointment:{appointment_id}",
        base=timezone.now(),
    )


def on_appointment_arrived(*, org_id: int, customer_id: int, **_):
    """The customer kept an appointment after all: their no-show follow-ups are moot."""
    services.cancel_tasks(
        FollowupTask.objects.filter(
            org_id=org_id, customer_id=customer_id, kind=FollowupTask.Kind.APPOINTMENT_MISSED
        ),
        reason="appointment kept",
    )


def paid_on(org_id: int, customer_id: int, day: date) -> bool:
    """Whether the customer paid anything (any order, any method) on that business day."""
    return Payment.objects.filter(
        org_id=org_id,
        order__customer_id=customer_id,
        business_date=day,
        refund_of__isnull=True,
    ).exists()


def _cancel_win_back(org_id: int, customer_id: int) -> int:
    """A sleeping member came back (a visit, a payment): the win-back call is moot."""
    return services.cancel_tasks(
        FollowupTask.objects.filter(
            org_id=org_id, customer_id=customer_id, kind=FollowupTask.Kind.MEMBER_SLEEPING
        ),
        reason="customer returned",
    )


def on_visit_closed(
    *, visit_id: int, org_id: int, store_id: int, customer_id: int, day: date, left_at, **_
):
    """A visit ended: a pending win-back call is moot; without any payment that day, 到访未支付."""
    _cancel_win_back(org_id, customer_id)
    rules = _rules(org_id, Trigger.VISITED_NOT_PAID, store_id)
    if not rules or paid_on(org_id, customer_id, day):
        return
    _fire(
        rules,
        store=Store.objects.get(pk=store_id),
        customer=_customer(customer_id),
        cause=f"visit:{visit_id}",
        base=left_at,
    )


def on_order_paid(*, org_id: int, customer_id: int, **_):
    """The customer paid after all: 到访未支付 follow-ups are closed, and so is a win-back call
    (one query for both)."""
    kinds = FollowupTask.Kind
    services.cancel_tasks(
        FollowupTask.objects.filter(
            org_id=org_id,
            customer_id=customer_id,
            kind__in=[kinds.VISITED_NOT_PAID, kinds.MEMBER_SLEEPING],
        ),
        reason={kinds.VISITED_NOT_PAID: "paid", kinds.MEMBER_SLEEPING: "customer returned"},
    )


def _cancel_for_lines(org_id: int, line_ids, reason: str) -> int:
    return services.cancel_tasks(
        FollowupTask.objects.filter(
            org_id=org_id,
            source_line_id__in=list(line_ids),
            kind__in=[FollowupTask.Kind.PAID_NOT_EXECUTED, FollowupTask.Kind.EXECUTED],
        ),
        reason=reason,
    )


def on_order_refunded(*, org_id: int, line_ids, **_):
    """Refunded lines: their paid-but-not-executed and post-treatment follow-ups are closed."""
    _cancel_for_lines(org_id, line_ids, "refunded")


def on_order_reversed(*, order_id: int, org_id: int, **_):
    line_ids = OrderLine.objects.filter(order_id=order_id).values_list("pk", flat=True)
    _cancel_for_lines(org_id, line_ids, "order reversed")


def on_execution_done(
    *,
    execution_id: int,
    org_id: int,
    store_id: int,
    customer_id: int,
    item_id: int,
    department_id: int | None = None,
    **_,
):
    """After an execution: the post-treatment nodes, and the item's medical advice by SMS."""
    # Both are settings kept per process: when the item has neither, nothing is read.
    rules = [
        rule
        for rule in _rules(org_id, Trigger.EXECUTED, store_id)
        if covers_item(rule, item_id, department_id)
    ]
    if not rules and services.advice_template(org_id, item_id) is None:
        return
    execution = Execution.objects.select_related(
        "store", "item", "entitlement", "performed_by", "assistant"
    ).get(pk=execution_id)
    customer = _customer(customer_id)
    services.send_advice(
        org_id=org_id, store=execution.store, customer=customer, item=execution.item
    )
    if not rules:
        return
    _fire(
        rules,
        store=execution.store,
        customer=customer,
        cause=f"execution:{execution_id}",
        base=timezone.now(),
        item=execution.item,
        execution=execution,
        source_line_id=execution.entitlement.source_line_id,
        new_cause=True,  # the execution was written in this transaction
    )


def on_customer_became_sleeping(*, customer_id: int, org_id: int, store_id: int, day: date, **_):
    """会员沉睡: the member-activity job found the customer asleep on `day` (win-back call)."""
    rules = _rules(org_id, Trigger.MEMBER_SLEEPING, store_id)
    if not rules:
        return
    store = Store.objects.get(pk=store_id)
    _fire(
        rules,
        store=store,
        customer=_customer(customer_id),
        cause=f"sleeping:{customer_id}:{day.isoformat()}",
        base=store_day_bounds(store, day)[0],
    )


def on_staff_released(*, staff_id: int, store_ids: list[int], by_id: int | None = None, **_):
    """A person can no longer do their follow-ups in these stores: hand them on."""
    by = Staff.objects.filter(pk=by_id).first() if by_id else None
    services.hand_over_tasks(staff_id, store_ids=store_ids, by=by)


HANDLERS = {
    "customer.created": on_customer_created,
    "appointment.missed": on_appointment_missed,
    "appointment.arrived": on_appointment_arrived,
    "visit.closed": on_visit_closed,
    "order.paid": on_order_paid,
    "order.refunded": on_order_refunded,
    "order.reversed": on_order_reversed,
    "execution.done": on_execution_done,
    "customer.became_sleeping": on_customer_became_sleeping,
    "staff.released": on_staff_released,
}


# --- time-based triggers -------------------------------------------------------------------------
def _paid_not_executed(store: Store, day: date) -> int:
    """Courses bought N days before `day` (the rule's wait) with no session executed yet."""
    count = 0
    start_of_day = store_day_bounds(store, day)[0]
    for rule in _rules(store.org_id, Trigger.PAID_NOT_EXECUTED, store.pk):
        paid_day = day - timedelta(days=rule.wait_days)
        start, end = store_day_bounds(store, paid_day)
        courses = (
            Entitlement.objects.filter(
                org_id=store.org_id,
                store_id=store.pk,
                source_line_id__isnull=False,
                status=Entitlement.Status.ACTIVE,
                created_at__gte=start,
                created_at__lt=end,
            )
            .exclude(Exists(Execution.objects.filter(entitlement_id=OuterRef("pk"))))
            .select_related("item", "customer__consultant", "customer__summary")
            .order_by("pk")
        )
        for course in courses:
            if applies(rule, course.customer, course.item):
                count += len(
                    services.create_tasks(
                        rule,
                        store=store,
                        customer=course.customer,
                        cause=f"entitlement:{course.pk}",
                        base=start_of_day,
                        item=course.item,
                        source_line_id=course.source_line_id,
                    )
                )
    return count


def _birthdays(store: Store, day: date) -> int:
    """Customers of the store whose birthday is `day` (29 February: on 28 February in other
    years)."""
    rules = _rules(store.org_id, Trigger.BIRTHDAY, store.pk)
    if not rules:
        return 0
    match = Q(birth_date__month=day.month, birth_date__day=day.day)
    leap = date(day.year, 3, 1) - timedelta(days=1)
    if day.month == 2 and day.day == 28 and leap.day == 28:
        match |= Q(birth_date__month=2, birth_date__day=29)
    customers = (
        Customer.objects.filter(match, org_id=store.org_id, store_id=store.pk)
        .select_related("consultant", "summary")
        .order_by("pk")
    )
    start_of_day = store_day_bounds(store, day)[0]
    count = 0
    for customer in customers:
        for rule in rules:
            if applies(rule, customer):
                count += len(
                    services.create_tasks(
                        rule,
                        store=store,
                        customer=customer,
                        cause=f"birthday:{customer.pk}:{day.year}",
                        base=start_of_day,
                    )
                )
    return count


def _dates(store: Store, day: date) -> int:
    """节日 rules whose dates include `day`: a task per node for every customer of the store the
    rule's filters accept, in batches (a fixed number of queries per batch); the cause names
    the day, so the same day never creates a task twice."""
    rules = [
        rule
        for rule in _rules(store.org_id, Trigger.DATE, store.pk)
        if services.date_matches(rule.dates, day)
    ]
    if not rules:
        return 0
    base = store_day_bounds(store, day)[0]
    picker = services.OwnerPicker(store)
    count = 0
    for rule in rules:
        customers = matching_customers(
            rule, Customer.objects.filter(org_id=store.org_id, store_id=store.pk)
        ).only("pk", "org_id", "name", "salutation", "consultant_id", "doctor_id")
        last = 0
        while batch := list(customers.filter(pk__gt=last).order_by("pk")[:BATCH]):
            count += services.create_tasks_bulk(
                rule,
                store=store,
                customers=batch,
                cause=f"date:{day.isoformat()}",
                base=base,
                picker=picker,
            )
            last = batch[-1].pk
    return count


RUNNERS = {
    Trigger.PAID_NOT_EXECUTED: _paid_not_executed,
    Trigger.BIRTHDAY: _birthdays,
    Trigger.DATE: _dates,
}


def days_to_process(store: Store, trigger: str, until: date) -> list[date]:
    """The days after the last one processed, up to `until`, at most 7 days back; a store never
    processed starts at `until`."""
    earliest = until - timedelta(days=CATCH_UP_DAYS - 1)
    done = set(
        TriggerRun.objects.filter(
            store_id=store.pk, trigger=trigger, day__gte=earliest, day__lte=until
        ).values_list("day", flat=True)
    )
    last = (
        TriggerRun.objects.filter(store_id=store.pk, trigger=trigger, day__lte=until)
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )
    if last is None:
        return [] if until in done else [until]
    start = max(earliest, last + timedelta(days=1))
    days = [start + timedelta(days=n) for n in range((until - start).days + 1)]
    return [d for d in days if d not in done]


@transaction.atomic
def run_store_trigger(store: Store, trigger: str, day: date) -> int | None:
    """Process one day of one trigger for one store, once: None if it was processed already."""
    run, created = TriggerRun.objects.get_or_create(
        store=store, trigger=trigger, day=day, defaults={"org_id": store.org_id}
    )
    if not created:
        return None
    run.task_count = RUNNERS[trigger](store, day)
    run.save(update_fields=["task_count"])
    return run.task_count


def run_scheduled_triggers(*, day: date | None = None, org_id: int | None = None) -> dict:
    """Every time-based trigger for every active store, for `day` (default: each store's today)
    and the missed days before it. Safe to run any number of times."""
    stores = Store.objects.filter(is_active=True).order_by("pk")
    if org_id is not None:
        stores = stores.filter(org_id=org_id)
    totals = {trigger.value: 0 for trigger in SCHEDULED_TRIGGERS}
    for store in stores:
        today = store_today(store)
        until = min(day, today) if day is not None else today
        for trigger in SCHEDULED_TRIGGERS:
            for each in days_to_process(store, trigger, until):
                totals[trigger.value] += run_store_trigger(store, trigger, each) or 0
    return totals
