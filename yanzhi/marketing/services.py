"""Every write of marketing: channel costs, voucher verification (核销) and its reversal, and the
repurchase reminders (follow-up tasks for customers inside the window without a second
purchase)."""

from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yanzhi.catalog.queries import items_for
from yanzhi.core import audit
from yanzhi.core.errors import BusinessError, NotFound
from yanzhi.core.money import to_money
from yanzhi.core.scope import Scope
from yanzhi.core.timeutil import first_of_month, store_today
from yanzhi.customers.models import Customer, SourceChannel
from yanzhi.customers.queries import customers_for
from yanzhi.followups import services as followups
from yanzhi.marketing import queries
from yanzhi.marketing.models import ChannelCost, VoucherRedemption
from yanzhi.org import policy
from yanzhi.org.models import Staff, Store

MAX_AMOUNT = Decimal("9999999999.99")
REPURCHASE_CAUSE = "repurchase"
CODE_MAX = 64


def _scope(by: Staff) -> Scope:
    return policy.scope_for(by)


def _invalid(code: str, fields: dict, status: int = 422) -> BusinessError:
    first = next(iter(fields.values()))[0]
    return BusinessError(code, first, fields=fields, status=status)


def _amount(value, field: str, problems: dict) -> Decimal | None:
    try:
        amount = to_money(Decimal(str(value).strip()))
    except (InvalidOperation, TypeError, ValueError):
        problems[field] = [_("请输入正确的金额")]
        return None
    if amount < 0 or amount > MAX_AMOUNT:
        problems[field] = [_("金额不能为负数")]
        return None
    return amount


def _channel(scope: Scope, channel_id, problems: dict, *, active_only=False):
    channel = (
        SourceChannel.objects.filter(org_id=scope.org_id, pk=channel_id).first()
        if str(channel_id or "").isdigit()
        else None
    )
    if channel is None or (active_only and not channel.is_active):
        problems["channel_id"] = [_("请选择渠道")]
        return None
    return channel


# --- channel costs -------------------------------------------------------------------------------
@transaction.atomic
def set_channel_cost(
    org_id: int,
    *,
    store: Store | None,
    channel_id,
    month: date | None,
    amount,
    note: str = "",
    by: Staff,
) -> ChannelCost:
    """Record (or correct) a channel's cost for one month, of one store or — HQ only — of the
    whole chain. One row per channel, store and month: setting it again replaces the amount."""
    scope = _scope(by)
    policy.require(scope, "channel.manage_costs")
    if org_id != scope.org_id or (store is not None and store.org_id != scope.org_id):
        raise NotFound()
    problems: dict = {}
    if store is None and not scope.chain_wide:
        problems["store_id"] = [_("请选择门店")]
    elif store is not None and not scope.covers_store(store.pk):
        raise NotFound()
    channel = _channel(scope, channel_id, problems)
    if month is None:
        problems["month"] = [_("请选择月份")]
    amount = _amount(amount, "amount", problems)
    note = (note or "").strip()
    if len(note) > 200:
        problems["note"] = [_("备注不超过200字")]
    if problems:
        raise _invalid("invalid_channel_cost", problems)
    month = first_of_month(month)
    existing = (
        ChannelCost.objects.select_for_update()
        .filter(org_id=org_id, store=store, channel=channel, month=month)
        .first()
    )
    if existing is None:
        cost = ChannelCost.objects.create(
            org_id=org_id,
            store=store,
            channel=channel,
            month=month,
            amount=amount,
            note=note,
            updated_by=by,
        )
        audit.record(by, "channel_cost.created", cost, after=audit.snapshot(cost))
        return cost
    before = audit.snapshot(existing)
    existing.amount, existing.note, existing.updated_by = amount, note, by
    existing.save(update_fields=["amount", "note", "updated_by", "updated_at"])
    old, new = audit.changed(before, audit.snapshot(existing))
    audit.record(by, "channel_cost.changed", existing, before=old, after=new)
    return existing


@transaction.atomic
def delete_channel_cost(cost: ChannelCost, *, by: Staff) -> None:
    """Remove a cost recorded by mistake (the audit log keeps what it was)."""
    scope = _scope(by)
    policy.require(scope, "channel.manage_costs")
    # a chain-wide cost (no store) is covered only by a chain-wide scope
    if cost.org_id != scope.org_id or not scope.covers_store(cost.store_id):
        raise NotFound()
    before = audit.snapshot(cost)
    audit.record(by, "channel_cost.deleted", cost, before=before)
    cost.delete()


# --- voucher verification (核销) -----------------------------------------------------------------
@transaction.atomic
def verify_voucher(
    store: Store,
    *,
    customer: Customer,
    channel_id,
    code: str,
    item_id,
    settlement_amount,
    by: Staff,
) -> VoucherRedemption:
    """Verify a platform voucher for a customer at the store. A code is verified once per
    channel (a unique constraint, so two desks verifying it at once cannot both succeed); no
    order or payment is created."""
    scope = _scope(by)
    policy.require(scope, "voucher.verify")
    if store.org_id != scope.org_id or not scope.covers_store(store.pk):
        raise NotFound()
    if not customers_for(scope).filter(pk=customer.pk).exists():
        raise NotFound()
    problems: dict = {}
    channel = _channel(scope, channel_id, problems, active_only=True)
    code = "".join((code or "").split())
    if not code or len(code) > CODE_MAX:
        problems["code"] = [_("请输入券码")]
    item = (
        items_for(scope).filter(pk=item_id, is_active=True).first()
        if str(item_id or "").isdigit()
        else None
    )
    if item is None:
        problems["item_id"] = [_("请选择项目")]
    amount = _amount(settlement_amount, "settlement_amount", problems)
    if problems:
        raise _invalid("invalid_voucher", problems)
    taken = BusinessError(
        "voucher_already_verified",
        _("该券码已核销过"),
        fields={"code": [_("该券码已核销过")]},
        status=409,
    )
    if VoucherRedemption.objects.filter(
        org_id=store.org_id, channel=channel, code=code, status=VoucherRedemption.Status.VERIFIED
    ).exists():
        raise taken
    try:
        with transaction.atomic():
            redemption = VoucherRedemption.objects.create(
                org_id=store.org_id,
                store=store,
                channel=channel,
                code=code,
                item=item,
                settlement_amount=amount,
                customer=customer,
                verified_by=by,
                verified_at=timezone.now(),
                business_date=store_today(store),
            )
    except IntegrityError:
        raise taken from None
    audit.record(by, "voucher.verified", redemption, after=audit.snapshot(redemption))
    return redemption


@transaction.atomic
def reverse_voucher(redemption: VoucherRedemption, *, reason: str, by: Staff) -> VoucherRedemption:
    """Undo a verification made by mistake, with a reason; the code can then be verified again."""
    scope = _scope(by)
    policy.require(scope, "voucher.reverse")
    if redemption.org_id != scope.org_id or not scope.covers_store(redemption.store_id):
        raise NotFound()
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise _invalid("reason_required", {"reason": [_("请填写撤销原因(不超过200字)")]})
    redemption = VoucherRedemption.objects.select_for_update().get(pk=redemption.pk)
    if redemption.status != VoucherRedemption.Status.VERIFIED:
        raise BusinessError("voucher_already_reversed", _("该核销已撤销"), status=409)
    before = audit.snapshot(redemption)
    redemption.status = VoucherRedemption.Status.REVERSED
    redemption.reversed_at, redemption.reversed_by = timezone.now(), by
    redemption.reverse_reason = reason
    redemption.save(
        update_fields=["status", "reversed_at", "reversed_by", "reverse_reason", "updated_at"]
    )
    old, new = audit.changed(before, audit.snapshot(redemption))
    audit.record(by, "voucher.reversed", redemption, before=old, after=new, note=reason)
    return redemption


# --- repurchase reminders ----------------------------------------------------------------------
@transaction.atomic
def create_repurchase_followups(
    *,
    customer_ids: list[int] | None,
    title: str,
    store_id: int | None = None,
    window: int | None = None,
    due_on: date | None = None,
    by: Staff,
) -> int:
    """A follow-up task by their consultant for customers inside the repurchase window without
    a second purchase: the ones chosen (`customer_ids`), or every one matching the list's filters
    (`customer_ids=None`). Chosen customers who are not (or no longer) such candidates in the
    caller's scope are skipped; a customer gets one repurchase task ever (a customer has one
    first deal). Returns the number of tasks created."""
    scope = _scope(by)
    policy.require(scope, "repurchase.view")
    policy.require(scope, "followup.campaign")
    if store_id is not None and not scope.covers_store(store_id):
        raise NotFound()
    if customer_ids is not None and not customer_ids:
        raise _invalid("no_customers", {"customer_ids": [_("请选择客户")]})
    if not (title or "").strip():
        raise _invalid("invalid_rule", {"title": [_("请填写回访事项(不超过100字)")]})
    candidates = queries.repurchase_candidates(
        scope, as_of=timezone.now(), store_id=store_id, window=window
    )
    if customer_ids is not None:
        candidates = candidates.filter(customer_id__in=customer_ids)
    by_store = defaultdict(list)
    for customer_id, home_store in candidates.values_list("customer_id", "store_id"):
        by_store[home_store].append(customer_id)
    created = 0
    for store in Store.objects.filter(pk__in=list(by_store)).order_by("pk"):
        created += followups.create_campaign_tasks(
            store,
            customers=Customer.objects.filter(pk__in=by_store[store.pk]),
            cause=REPURCHASE_CAUSE,
            title=title,
            owner_role="consultant",
            due_on=due_on,
            by=by,
        )
    return created
