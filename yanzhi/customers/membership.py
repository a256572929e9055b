"""Membership levels (会员等级): the chain's levels and programme settings (HQ configures them),
and the one place a customer's level changes. The rolling spend itself is money, which the
sales app knows (yanzhi.sales.membership computes it and calls `apply_rolling_spend(s)` here);
this module only turns a spend into a level, writes the change history and keeps the
customer's summary fields (`member_level`, `member_level_since`, `rolling_spend_amount`).

Rule: a customer holds the highest active level whose `min_spend_amount` ≤ their rolling spend
(none when no active level is reached). Thresholds strictly increase with the rank, so "highest"
is unambiguous and the level is monotone in the spend.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from yanzhi.core import audit
from yanzhi.core.errors import BusinessError, NotFound
from yanzhi.core.money import to_money
from yanzhi.core.scope import Scope
from yanzhi.customers.models import (
    Customer,
    CustomerStoreLink,
    MembershipLevel,
    MembershipLevelChange,
    MembershipProgram,
)
from yanzhi.org import policy, settings_cache
from yanzhi.org.models import Organization, Staff

ZERO = Decimal("0.00")
LEVEL_FIELDS = ["name", "min_spend_amount", "rank", "is_active"]
BATCH = 1000


# --- reads ----------------------------------------------------------------------------------------
def levels_for(scope: Scope) -> QuerySet[MembershipLevel]:
    """The chain's levels (every role may read them: they show on customer pages)."""
    return MembershipLevel.objects.filter(org_id=scope.org_id).order_by("rank", "id")


def get_level(scope: Scope, pk: int) -> MembershipLevel:
    return get_object_or_404(levels_for(scope), pk=pk)


def program_of(org_id: int) -> MembershipProgram:
    """The chain's settings; an unsaved row with the defaults when never configured."""

    def load():
        program = MembershipProgram.objects.filter(org_id=org_id).first()
        return program or MembershipProgram(org_id=org_id)

    return settings_cache.cached(org_id, "membership_program", load)


def window_months(org_id: int) -> int:
    return program_of(org_id).window_months


def active_levels(org_id: int) -> tuple[MembershipLevel, ...]:
    """Active levels, lowest threshold first."""

    def load():
        levels = MembershipLevel.objects.filter(org_id=org_id, is_active=True)
        return tuple(levels.order_by("min_spend_amount", "rank"))

    return settings_cache.cached(org_id, "membership_levels", load)


def level_for_spend(levels: list[MembershipLevel], spend: Decimal) -> MembershipLevel | None:
    """The highest of `levels` (active, lowest threshold first) whose threshold `spend` reaches."""
    reached = None
    for level in levels:
        if level.min_spend_amount <= spend:
            reached = level
    return reached


# What the profile's level history shows of each change (customers/detail.html).
PROFILE_CHANGE_COLUMNS = (
    "changed_at",
    "reason",
    "window_months",
    "rolling_spend_amount",
    "from_level__name",
    "to_level__name",
)


def level_history(
    customer: Customer, *, limit: int = 20, page: bool = False
) -> QuerySet[MembershipLevelChange]:
    """A customer's level changes; page=True: the columns the profile shows only."""
    qs = MembershipLevelChange.objects.filter(customer=customer)
    if page:
        qs = qs.select_related("from_level", "to_level").only(*PROFILE_CHANGE_COLUMNS)
    else:
        qs = qs.select_related("from_level", "to_level", "by")
    return qs[:limit]


# --- configuration (HQ) -----------------------------------------------------------------------------
def _error(code: str, field: str, message) -> BusinessError:
    return BusinessError(code, message, fields={field: [message]}, status=422)


def _require_org(by: Staff, org_id: int) -> None:
    scope = policy.scope_for(by)
    policy.require(scope, "membership.configure")
    if org_id != scope.org_id:
        raise NotFound()


def _clean_name(value) -> str:
    name = str(value or "").strip()
    if not name:
        raise _error("invalid_name", "name", _("请填写等级名称"))
    if len(name) > 30:
        raise _error("invalid_name", "name", _("等级名称最多30个字"))
    return name


def _clean_min_spend(value) -> Decimal:
    try:
        amount = to_money(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        amount = None
    if amount is None or not amount.is_finite() or amount >= Decimal("1e10"):
        raise _error("invalid_amount", "min_spend_amount", _("请输入正确的金额"))
    if amount < 0:
        raise _error("invalid_amount", "min_spend_amount", _("消费门槛不能为负数"))
    return amount


def _clean_rank(value) -> int:
    try:
        rank = int(str(value))
    except (TypeError, ValueError):
        rank = None
    if rank is None or rank < 0 or rank > 999:
        raise _error("invalid_rank", "rank", _("排序须为0到999的整数"))
    return rank


def _check_ladder(org_id: int, candidate: MembershipLevel) -> None:
    """Names unique in the chain; among the active levels (with the candidate as it would be)
    ranks are distinct and thresholds strictly increase with the rank."""
    others = MembershipLevel.objects.filter(org_id=org_id).exclude(pk=candidate.pk)
    if others.filter(name=candidate.name).exists():
        raise _error("duplicate_name", "name", _("已有同名等级"))
    if not candidate.is_active:
        return
    ladder = sorted(
        [*others.filter(is_active=True), candidate], key=lambda lv: (lv.rank, lv.pk or 0)
    )
    for lower, higher in zip(ladder, ladder[1:], strict=False):
        if lower.rank == higher.rank:
            other = lower if higher is candidate else higher
            message = _("排序与“%(name)s”相同") % {"name": other.name}
            raise _error("duplicate_rank", "rank", message)
        if higher.min_spend_amount <= lower.min_spend_amount:
            other = lower if higher is candidate else higher
            message = _("门槛须随等级递增:与“%(name)s”(门槛 %(amount)s 元)冲突") % {
                "name": other.name,
                "amount": other.min_spend_amount,
            }
            raise _error("threshold_order", "min_spend_amount", message)


@transaction.atomic
def create_level(
    org: Organization, *, name, min_spend_amount, rank, is_active: bool = True, by: Staff
) -> MembershipLevel:
    """A new level; the chain's customers are re-levelled from their rolling spend at once."""
    _require_org(by, org.pk)
    level = MembershipLevel(
        org=org,
        name=_clean_name(name),
        min_spend_amount=_clean_min_spend(min_spend_amount),
        rank=_clean_rank(rank),
        is_active=bool(is_active),
    )
    _check_ladder(org.pk, level)
    level.save()
    audit.record(by, "membership_level.created", level, after=audit.snapshot(level, LEVEL_FIELDS))
    reapply_levels(org.pk, by=by)
    return level


@transaction.atomic
def update_level(
    level: MembershipLevel,
    *,
    by: Staff,
    name=None,
    min_spend_amount=None,
    rank=None,
    is_active: bool | None = None,
) -> MembershipLevel:
    """Rename, move the threshold or rank, (de)activate; customers are re-levelled at once."""
    _require_org(by, level.org_id)
    level = MembershipLevel.objects.select_for_update().get(pk=level.pk)
    before = audit.snapshot(level, LEVEL_FIELDS)
    if name is not None:
        level.name = _clean_name(name)
    if min_spend_amount is not None:
        level.min_spend_amount = _clean_min_spend(min_spend_amount)
    if rank is not None:
        level.rank = _clean_rank(rank)
    if is_active is not None:
        level.is_active = bool(is_active)
    _check_ladder(level.org_id, level)
    level.save()
    old, new = audit.changed(before, audit.snapshot(level, LEVEL_FIELDS))
    if new:
        audit.record(by, "membership_level.updated", level, before=old, after=new)
        reapply_levels(level.org_id, by=by)
    return level


@transaction.atomic
def set_program(org: Organization, *, window_months, by: Staff) -> MembershipProgram:
    """The rolling window in months (1–120). Spends are recomputed over the new window by the
    daily refresh (or a customer's next payment): this app does not read payments."""
    _require_org(by, org.pk)
    try:
        months = int(str(window_months))
    except (TypeError, ValueError):
        months = None
    if months is None or not 1 <= months <= 120:
        raise _error("invalid_window", "window_months", _("统计月数须为1到120的整数"))
    program, _created = MembershipProgram.objects.select_for_update().get_or_create(org=org)
    before = audit.snapshot(program, ["window_months"])
    program.window_months = months
    program.save()
    audit.record(
        by,
        "membership_program.updated",
        program,
        before=before,
        after=audit.snapshot(program, ["window_months"]),
    )
    return program


# --- applying a spend -------------------------------------------------------------------------------
@dataclass
class Applied:
    """What one apply changed: the customers whose level went up, went down, or only whose
    rolling spend changed."""

    up: int = 0
    down: int = 0
    spend_only: int = 0

    def add(self, other: "Applied") -> None:
        self.up += other.up
        self.down += other.down
        self.spend_only += other.spend_only


def _direction(old: MembershipLevel | None, new: MembershipLevel | None) -> int:
    def key(level):
        return (-1, ZERO) if level is None else (1, level.min_spend_amount)

    return 1 if key(new) > key(old) else -1


def apply_rolling_spends(
    org_id: int,
    spends: dict[int, Decimal],
    *,
    reason: str,
    by: Staff | None = None,
    levels: Sequence[MembershipLevel] | None = None,
    rows: Sequence[Customer] | None = None,
) -> Applied:
    """Store each customer's rolling spend and the level it reaches; a changed level writes a
    history row. `spends` maps customer id → spend; the caller holds the customers' row locks
    and has computed the spends inside the same transaction (`rows`: those customers as it read
    them under the lock, else they are read here). A fixed number of queries."""
    if not spends:
        return Applied()
    levels = active_levels(org_id) if levels is None else levels
    by_pk: dict[int, MembershipLevel] = {}  # every level of the chain, read on the first change
    months = None
    now = timezone.now()
    result = Applied()
    changed, history = [], []
    if rows is None:
        rows = Customer.objects.filter(org_id=org_id, pk__in=list(spends)).only(
            "pk", "org_id", "member_level_id", "member_level_since", "rolling_spend_amount"
        )
    for customer in rows:
        spend = max(to_money(spends[customer.pk]), ZERO)
        level = level_for_spend(levels, spend)
        new_level_id = level.pk if level else None
        if new_level_id == customer.member_level_id and spend == customer.rolling_spend_amount:
            continue
        if new_level_id != customer.member_level_id:
            if months is None:
                by_pk = MembershipLevel.objects.filter(org_id=org_id).in_bulk()
                months = window_months(org_id)
            old = by_pk.get(customer.member_level_id)
            if _direction(old, level) > 0:
                result.up += 1
            else:
                result.down += 1
            history.append(
                MembershipLevelChange(
                    org_id=org_id,
                    customer_id=customer.pk,
                    from_level_id=customer.member_level_id,
                    to_level_id=new_level_id,
                    rolling_spend_amount=spend,
                    window_months=months,
                    reason=reason,
                    by=by,
                    changed_at=now,
                )
            )
            customer.member_level_id = new_level_id
            customer.member_level_since = now
        else:
            result.spend_only += 1
        customer.rolling_spend_amount = spend
        changed.append(customer)
    if len(changed) == 1:  # a payment's refresh: a plain UPDATE, not bulk_update's CASE
        (customer,) = changed
        Customer.objects.filter(pk=customer.pk).update(
            member_level_id=customer.member_level_id,
            member_level_since=customer.member_level_since,
            rolling_spend_amount=customer.rolling_spend_amount,
        )
    elif changed:
        Customer.objects.bulk_update(
            changed, ["member_level", "member_level_since", "rolling_spend_amount"], batch_size=500
        )
    if history:
        MembershipLevelChange.objects.bulk_create(history, batch_size=500)
        _mirror_levels(history)
    return result


def _mirror_levels(changes: list[MembershipLevelChange]) -> None:
    """The changed customers' store links copy their new level (CustomerStoreLink.LIST_FACTS;
    the customers are locked by the caller): one statement per level reached."""
    by_level: dict[int | None, list[int]] = {}
    for change in changes:
        by_level.setdefault(change.to_level_id, []).append(change.customer_id)
    for level_id, customer_ids in by_level.items():
        CustomerStoreLink.objects.filter(customer_id__in=customer_ids).update(
            member_level_id=level_id
        )


def apply_rolling_spend(
    customer_id: int, spend: Decimal, *, org_id: int, reason: str, by: Staff | None = None
) -> Applied:
    return apply_rolling_spends(org_id, {customer_id: spend}, reason=reason, by=by)


def reapply_levels(org_id: int, *, by: Staff | None = None) -> Applied:
    """After the levels changed: every customer's level again from their stored rolling spend,
    band by band (a fixed number of queries per level, whatever the number of customers)."""
    levels = active_levels(org_id)
    customers = Customer.objects.filter(org_id=org_id)
    result = Applied()
    bounds = [lv.min_spend_amount for lv in levels]
    bands = [(None, bounds[0] if bounds else None, None)]
    for n, level in enumerate(levels):
        upper = bounds[n + 1] if n + 1 < len(bounds) else None
        bands.append((level.min_spend_amount, upper, level.pk))
    for lower, upper, level_id in bands:
        band = customers
        if lower is not None:
            band = band.filter(rolling_spend_amount__gte=lower)
        if upper is not None:
            band = band.filter(rolling_spend_amount__lt=upper)
        wrong = (
            band.exclude(member_level_id=level_id)
            if level_id
            else band.filter(member_level__isnull=False)
        )
        pairs = list(wrong.order_by("pk").values_list("pk", "rolling_spend_amount"))
        for start in range(0, len(pairs), BATCH):
            result.add(
                apply_rolling_spends(
                    org_id,
                    dict(pairs[start : start + BATCH]),
                    reason=MembershipLevelChange.Reason.CONFIG,
                    by=by,
                    levels=levels,
                )
            )
    return result
