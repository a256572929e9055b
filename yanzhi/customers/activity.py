"""Member activity (会员活跃度): the chain's thresholds, the one definition of a customer's class,
and the two places it is kept current on `CustomerSummary.activity`:

- at once, inside the transaction of a visit or a payment (`reclassify`, called by
  `services.note_visit` / `note_money`);
- by the daily job (yanzhi.customers.jobs → `refresh_store`) as days pass: per store, a fixed
  number of queries per batch of customers; each customer who was awake (新会员 / 活跃会员) and
  is now 沉睡 emits `customer.became_sleeping` (docs/events.md).

Definition (docs/decisions.md, "Member activity"), with days counted in the store's calendar,
N days since = today − the store-local date of the moment:
  非会员      no deal yet (deal_count = 0);
  新会员      first deal fewer than `new_member_days` days ago;
  活跃会员    last visit or payment fewer than `sleeping_days` days ago;
  沉睡会员    last visit or payment `sleeping_days` days ago or more, fewer than `deep_sleep_days`;
  深度睡眠会员 last visit or payment `deep_sleep_days` days ago or more.
Thresholds strictly increase (new < sleeping < deep), so a new member is never asleep.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Case, CharField, Count, F, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from yanzhi.core import audit, events
from yanzhi.core.errors import BusinessError, NotFound
from yanzhi.core.timeutil import store_day_bounds, store_today, to_store_time
from yanzhi.customers.models import (
    ActivitySettings,
    CustomerStoreLink,
    CustomerSummary,
    MemberActivity,
)
from yanzhi.org import policy, settings_cache
from yanzhi.org.models import Organization, Staff, Store

FIELDS = ["new_member_days", "sleeping_days", "deep_sleep_days"]
MAX_DAYS = 3650
BATCH = 1000
AWAKE = (MemberActivity.NEW, MemberActivity.ACTIVE)


# --- settings ------------------------------------------------------------------------------------
def settings_of(org_id: int) -> ActivitySettings:
    """The chain's thresholds; an unsaved row with the defaults when never configured."""

    def load():
        return ActivitySettings.objects.filter(org_id=org_id).first() or ActivitySettings(
            org_id=org_id
        )

    return settings_cache.cached(org_id, "activity_settings", load)


def _error(field: str, message) -> BusinessError:
    return BusinessError("invalid_threshold", message, fields={field: [message]}, status=422)


def _days(field: str, value) -> int:
    try:
        days = int(str(value).strip())
    except (TypeError, ValueError):
        raise _error(field, _("请填写天数(整数)")) from None
    if not 1 <= days <= MAX_DAYS:
        raise _error(field, _("天数须在1到3650之间"))
    return days


@transaction.atomic
def set_settings(
    org: Organization, *, new_member_days, sleeping_days, deep_sleep_days, by: Staff
) -> ActivitySettings:
    """HQ sets the thresholds (1–3650 days, strictly increasing). Every customer of the chain is
    re-classified at once; a re-classification by new thresholds is not "became sleeping" (no
    event, no win-back tasks: the chain changed its definition, the customers did nothing)."""
    scope = policy.scope_for(by)
    policy.require(scope, "membership.configure")
    if org.pk != scope.org_id:
        raise NotFound()
    new = _days("new_member_days", new_member_days)
    sleeping = _days("sleeping_days", sleeping_days)
    deep = _days("deep_sleep_days", deep_sleep_days)
    if sleeping <= new:
        raise _error("sleeping_days", _("沉睡天数须大于新会员天数"))
    if deep <= sleeping:
        raise _error("deep_sleep_days", _("深度睡眠天数须大于沉睡天数"))
    row, _created = ActivitySettings.objects.select_for_update().get_or_create(org=org)
    before = audit.snapshot(row, FIELDS)
    row.new_member_days, row.sleeping_days, row.deep_sleep_days = new, sleeping, deep
    row.save()
    old, after = audit.changed(before, audit.snapshot(row, FIELDS))
    if after or _created:
        audit.record(by, "activity_settings.updated", row, before=old, after=after)
        for store in Store.objects.filter(org=org).order_by("pk"):
            refresh_store(store, store_today(store), emit=False, settings=row)
    return row


def counts_for(scope) -> list[tuple[str, str, int]]:
    """(value, label, customers) per class, for the stores the viewer sees (one query)."""
    rows = CustomerSummary.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        rows = rows.filter(store_id__in=scope.store_ids)
    counts = dict(rows.values_list("activity").annotate(n=Count("pk")).order_by())
    return [(value, label, counts.get(value, 0)) for value, label in MemberActivity.choices]


# --- the definition ------------------------------------------------------------------------------
def classify(
    *,
    deal_count: int,
    first_deal_at: datetime | None,
    last_active_at: datetime | None,
    store: Store,
    today: date,
    settings: ActivitySettings,
) -> str:
    """The class of one customer on `today` (the module docstring's definition)."""
    if deal_count == 0:
        return MemberActivity.NON_MEMBER

    def days_since(moment: datetime) -> int:
        return (today - to_store_time(store, moment).date()).days

    if first_deal_at is not None and days_since(first_deal_at) < settings.new_member_days:
        return MemberActivity.NEW
    last = last_active_at or first_deal_at
    if last is None or days_since(last) < settings.sleeping_days:
        return MemberActivity.ACTIVE
    if days_since(last) < settings.deep_sleep_days:
        return MemberActivity.SLEEPING
    return MemberActivity.DEEP_SLEEP


def _class_expression(store: Store, today: date, settings: ActivitySettings) -> Case:
    """`classify` as SQL over CustomerSummary rows of the store (a moment counts from the start
    of its store day: N days ago or more ⇔ before the start of day today − N + 1)."""

    def since(days: int) -> datetime:
        return store_day_bounds(store, today - timedelta(days=days - 1))[0]

    return Case(
        When(deal_count=0, then=Value(MemberActivity.NON_MEMBER)),
        When(first_deal_at__gte=since(settings.new_member_days), then=Value(MemberActivity.NEW)),
        When(last_seen__isnull=True, then=Value(MemberActivity.ACTIVE)),
        When(last_seen__gte=since(settings.sleeping_days), then=Value(MemberActivity.ACTIVE)),
        When(last_seen__gte=since(settings.deep_sleep_days), then=Value(MemberActivity.SLEEPING)),
        default=Value(MemberActivity.DEEP_SLEEP),
        output_field=CharField(),
    )


# --- keeping it current --------------------------------------------------------------------------
def reclassify(summary: CustomerSummary) -> list[str]:
    """Set the summary's class from its facts now (its store read along); returns the changed
    fields for the caller's save. Never emits: a visit or payment only wakes."""
    store = summary.store
    activity = classify(
        deal_count=summary.deal_count,
        first_deal_at=summary.first_deal_at,
        last_active_at=summary.last_active_at or summary.last_deal_at,
        store=store,
        today=store_today(store),
        settings=settings_of(summary.org_id),
    )
    if activity == summary.activity:
        return []
    summary.activity, summary.activity_since = activity, timezone.now()
    return ["activity", "activity_since"]


@dataclass
class Refreshed:
    moved: dict
    became_sleeping: list

    def __str__(self):
        moves = ", ".join(f"{k} {v}" for k, v in sorted(self.moved.items()) if v) or "none"
        return f"moved: {moves}; became sleeping: {len(self.became_sleeping)}"


@transaction.atomic
def refresh_store(
    store: Store, day: date, *, emit: bool = True, settings: ActivitySettings | None = None
) -> Refreshed:
    """Re-classify the store's customers for `day` in bulk: per target class, the ids whose
    class differs, updated in batches (a fixed number of queries per batch). Idempotent: a
    second run finds nothing to move. Customers moving from 新会员/活跃会员 to 沉睡会员 emit
    `customer.became_sleeping` (when `emit`), in this transaction."""
    settings = settings or settings_of(store.org_id)
    rows = CustomerSummary.objects.filter(org_id=store.org_id, store_id=store.pk).annotate(
        last_seen=Coalesce("last_active_at", "last_deal_at"),
    )
    rows = rows.annotate(target=_class_expression(store, day, settings)).exclude(
        activity=F("target")
    )
    now = timezone.now()
    result = Refreshed(moved={}, became_sleeping=[])
    for target in MemberActivity.values:
        pairs = list(rows.filter(target=target).order_by("pk").values_list("pk", "activity"))
        result.moved[target] = len(pairs)
        for start in range(0, len(pairs), BATCH):
            batch = pairs[start : start + BATCH]
            ids = [pk for pk, _old in batch]
            CustomerSummary.objects.filter(pk__in=ids).update(activity=target, activity_since=now)
            # the customers' store links copy the fact (customers.services.mirror_tag_facts)
            CustomerStoreLink.objects.filter(customer_id__in=ids).update(activity=target)
            if target == MemberActivity.SLEEPING:
                result.became_sleeping += [pk for pk, old in batch if old in AWAKE]
    if emit:
        for customer_id in result.became_sleeping:
            events.emit(
                "customer.became_sleeping",
                customer_id=customer_id,
                org_id=store.org_id,
                store_id=store.pk,
                day=day,
            )
    return result
