"""/api/v1 endpoints of marketing: the repurchase window, channel statistics, channel costs,
voucher redemptions (核销) and referrals. The same queries and services as the pages; figures are
defined in docs/marketing.md. (The channel list itself is `GET /channels`, customers app.)"""

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status

from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import first_of_month, store_today
from yanzhi.customers.queries import get_customer
from yanzhi.marketing import queries, services
from yanzhi.marketing.schemas import (
    CandidatePage,
    ChannelCostIn,
    ChannelCostOut,
    ChannelCostPage,
    ChannelStatsOut,
    CreatedOut,
    RedemptionIn,
    RedemptionOut,
    RedemptionPage,
    ReferralStatsOut,
    ReferralTreeOut,
    RepurchaseFollowupsIn,
    RepurchaseWindowOut,
    ReverseIn,
)
from yanzhi.org import policy
from yanzhi.org.queries import get_store, stores_for

router = Router(tags=["marketing"])
MAX_LIMIT = 100


def _page(qs, limit: int, offset: int) -> dict:
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
    return {"count": qs.count(), "items": list(qs[offset : offset + limit])}


def _zone(scope, store_id: int | None):
    """The store asked for (404 outside the scope), else the current store, else the first."""
    if store_id is not None:
        return get_store(scope, store_id)
    if scope.current_store_id:
        return get_store(scope, scope.current_store_id)
    return stores_for(scope).order_by("pk").first()


def _period(zone, start: date | None, end: date | None, *, default_start) -> tuple[date, date]:
    today = store_today(zone) if zone is not None else timezone.localdate()
    start, end = start or default_start(today), end or today
    if end < start:
        raise BusinessError(
            "invalid_period",
            _("结束日期不能早于开始日期"),
            fields={"end": [_("结束日期不能早于开始日期")]},
            status=422,
        )
    return start, end


def _month_start(today: date) -> date:
    return first_of_month(today)


# --- repurchase window ---------------------------------------------------------------------------
@router.get(
    "/repurchase-window",
    response=RepurchaseWindowOut,
    summary="Repurchase window (复购窗口): shares within 3/6/12 months of the first deal",
)
def repurchase_window(
    request, start: date | None = None, end: date | None = None, store_id: int | None = None
):
    scope = request.scope
    policy.require(scope, "repurchase.view")
    zone = _zone(scope, store_id)
    start, end = _period(
        zone, start, end, default_start=lambda t: first_of_month(t - timedelta(days=335))
    )
    lo, hi = queries.period_bounds(zone, start, end)
    stats = queries.repurchase_window(
        scope, start=lo, end=hi, as_of=timezone.now(), store_id=store_id
    )
    return {"start": start, "end": end, "store_id": store_id, **stats.__dict__}


@router.get(
    "/repurchase-window/customers",
    response=CandidatePage,
    summary="Customers inside the repurchase window without a second purchase, ranked",
)
def repurchase_candidates(
    request,
    store_id: int | None = None,
    window: int | None = None,
    limit: int = 50,
    offset: int = 0,
):
    scope = request.scope
    policy.require(scope, "repurchase.view")
    if store_id is not None:
        get_store(scope, store_id)
    now = timezone.now()
    page = _page(
        queries.repurchase_candidates(scope, as_of=now, store_id=store_id, window=window),
        limit,
        offset,
    )
    page["items"] = [
        {
            "customer": s.customer,
            "store": s.store,
            "consultant": s.customer.consultant,
            "first_deal_at": s.first_deal_at,
            "window_months": s.window_months,
            "window_ends_at": s.window_end,
            "days_left": queries.days_left(s.window_end, now),
            "total_spend_amount": s.total_spend_amount,
        }
        for s in page["items"]
    ]
    return page


@router.post(
    "/repurchase-window/followups",
    response={201: CreatedOut},
    summary="Give the chosen (or all matching) candidates a follow-up task by their consultant",
)
def repurchase_followups(request, data: RepurchaseFollowupsIn):
    created = services.create_repurchase_followups(
        customer_ids=None if data.all else (data.customer_ids or []),
        title=data.title or _("复购提醒:首次成交后尚未再次消费"),
        store_id=data.store_id,
        window=data.window,
        due_on=data.due_on,
        by=request.auth,
    )
    return Status(201, {"created": created})


# --- channel statistics --------------------------------------------------------------------------
def _stats_row(row) -> dict:
    return {
        "channel_id": row.channel_id,
        "name": row.name,
        **{name: getattr(row, name) for name in queries.FIGURES},
        "roi_percent": row.roi_percent,
    }


@router.get(
    "/channels/stats",
    response=ChannelStatsOut,
    summary="Per channel: arrivals, verifications, first deals, 二开, repurchases, revenue, cost, ROI",
)
def channel_stats(
    request, start: date | None = None, end: date | None = None, store_id: int | None = None
):
    scope = request.scope
    policy.require(scope, "channel.view")
    zone = _zone(scope, store_id)
    start, end = _period(zone, start, end, default_start=_month_start)
    rows, total = queries.channel_stats(
        scope, start=start, end=end, store_id=store_id, zone_store=zone
    )
    return {
        "start": start,
        "end": end,
        "store_id": store_id,
        "channels": [_stats_row(r) for r in rows],
        "total": _stats_row(total),
    }


# --- channel costs -------------------------------------------------------------------------------
@router.get("/channel-costs", response=ChannelCostPage, summary="Channel costs per month")
def list_channel_costs(
    request,
    start: date | None = None,
    end: date | None = None,
    store_id: int | None = None,
    channel_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
):
    scope = request.scope
    policy.require(scope, "channel.view")
    qs = queries.channel_costs_for(scope)
    if store_id is not None:
        qs = qs.filter(store=get_store(scope, store_id))
    if channel_id is not None:
        qs = qs.filter(channel_id=channel_id)
    if start is not None:
        qs = qs.filter(month__gte=first_of_month(start))
    if end is not None:
        qs = qs.filter(month__lte=end)
    return _page(qs.order_by("-month", "channel_id", "store_id", "pk"), limit, offset)


@router.post(
    "/channel-costs",
    response={200: ChannelCostOut},
    summary="Record a channel's cost for a month (again: replaces it)",
)
def set_channel_cost(request, data: ChannelCostIn):
    scope = request.scope
    store = get_store(scope, data.store_id) if data.store_id is not None else None
    return services.set_channel_cost(
        scope.org_id,
        store=store,
        channel_id=data.channel_id,
        month=data.month,
        amount=data.amount,
        note=data.note,
        by=request.auth,
    )


@router.delete("/channel-costs/{cost_id}", response={204: None})
def delete_channel_cost(request, cost_id: int):
    policy.require(request.scope, "channel.manage_costs")
    cost = queries.get_channel_cost(request.scope, cost_id)
    services.delete_channel_cost(cost, by=request.auth)
    return Status(204, None)


# --- voucher redemptions -------------------------------------------------------------------------
@router.get("/voucher-redemptions", response=RedemptionPage, summary="Voucher verifications (核销)")
def list_redemptions(
    request,
    start: date | None = None,
    end: date | None = None,
    store_id: int | None = None,
    status: str = "",
    limit: int = 50,
    offset: int = 0,
):
    scope = request.scope
    policy.require(scope, "voucher.view")
    qs = queries.redemptions_for(scope)
    if store_id is not None:
        qs = qs.filter(store=get_store(scope, store_id))
    if start is not None:
        qs = qs.filter(business_date__gte=start)
    if end is not None:
        qs = qs.filter(business_date__lte=end)
    if status:
        qs = qs.filter(status=status)
    return _page(qs, limit, offset)


@router.get("/voucher-redemptions/{redemption_id}", response=RedemptionOut)
def get_redemption(request, redemption_id: int):
    policy.require(request.scope, "voucher.view")
    return queries.get_redemption(request.scope, redemption_id)


@router.post(
    "/voucher-redemptions",
    response={201: RedemptionOut},
    summary="Verify a platform voucher for a customer (once per channel and code)",
)
def verify_voucher(request, data: RedemptionIn):
    scope = request.scope
    policy.require(scope, "voucher.verify")
    store = _zone(scope, data.store_id)
    if store is None:
        raise BusinessError(
            "store_required", _("请选择门店"), fields={"store_id": [_("请选择门店")]}, status=422
        )
    customer = get_customer(scope, data.customer_id)
    redemption = services.verify_voucher(
        store,
        customer=customer,
        channel_id=data.channel_id,
        code=data.code,
        item_id=data.item_id,
        settlement_amount=data.settlement_amount,
        by=request.auth,
    )
    return Status(201, queries.get_redemption(scope, redemption.pk))


@router.post("/voucher-redemptions/{redemption_id}/reverse", response=RedemptionOut)
def reverse_voucher(request, redemption_id: int, data: ReverseIn):
    scope = request.scope
    policy.require(scope, "voucher.reverse")
    redemption = queries.get_redemption(scope, redemption_id)
    services.reverse_voucher(redemption, reason=data.reason, by=request.auth)
    return queries.get_redemption(scope, redemption_id)


# --- referrals -----------------------------------------------------------------------------------
def _node(node) -> dict:
    summary = getattr(node.customer, "summary", None)
    return {
        "customer": node.customer,
        "level": node.level,
        "store": node.customer.store,
        "created_at": node.customer.created_at,
        "deal_count": summary.deal_count if summary else 0,
        "total_spend_amount": summary.total_spend_amount if summary else 0,
        "children": [_node(child) for child in node.children],
    }


@router.get(
    "/customers/{customer_id}/referrals",
    response=ReferralTreeOut,
    summary="Who the customer brought (老带新), three levels deep, with deals and spend",
)
def referral_tree(request, customer_id: int):
    scope = request.scope
    policy.require(scope, "customer.view")
    customer = get_customer(scope, customer_id)
    tree = queries.referral_tree(scope, customer)
    return {
        "customer": customer,
        "levels": tree.levels,
        "count": tree.count,
        "deal_count": tree.deal_count,
        "spend_amount": tree.spend_amount,
        "referred": [_node(n) for n in tree.nodes],
    }


def _counts(rows, id_key, name_key) -> list[dict]:
    return [
        {
            "id": r[id_key],
            "name": r[name_key] or "",
            "referred": r["referred"],
            "dealt": r["dealt"],
            "spend_amount": r["spend"],
        }
        for r in rows
    ]


@router.get(
    "/referrals/stats",
    response=ReferralStatsOut,
    summary="Referrals per referring customer, consultant, doctor and item",
)
def referral_stats(
    request, start: date | None = None, end: date | None = None, store_id: int | None = None
):
    scope = request.scope
    policy.require(scope, "channel.view")
    zone = _zone(scope, store_id)
    start, end = _period(zone, start, end, default_start=_month_start)
    stats = queries.referral_stats(scope, start=start, end=end, store_id=store_id, zone_store=zone)
    return {
        "start": start,
        "end": end,
        "store_id": store_id,
        "by_referrer": _counts(stats["by_referrer"], "referrer_id", "referrer__name"),
        "by_consultant": _counts(
            stats["by_consultant"], "referrer__consultant_id", "referrer__consultant__name"
        ),
        "by_doctor": _counts(stats["by_doctor"], "referrer__doctor_id", "referrer__doctor__name"),
        "by_item": [
            {
                "item": {"id": r["item_id"], "name": r["item__name"]},
                "customers": r["customers"],
                "quantity": r["quantity"],
                "amount": r["amount"],
            }
            for r in stats["by_item"]
        ],
    }
