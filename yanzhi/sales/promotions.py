"""Selling under a promotion (活动价): which promotions a customer may buy under at a store on a
day, and the check every promoted order line passes (docs/promotions.md, "Selling").

A line sold under a promotion is priced at the promotional price (never above the store's own
price that day); the difference to the list price is the promotion's price, not a discount, so
it needs no discount approval. The check, at the moment the line is priced:
1. the promotion exists in the chain and has not been ended;
2. the order's business date lies in its period (store-local dates, both ends inclusive);
3. it runs in the order's store;
4. the item is one of its items;
5. the customer holds one of its member levels (when it names any);
6. the customer carried its target tags when the order's business day began
   (yanzhi.customers.tags.tag_state): the sleeping member who walks in today is still the
   promotion's 沉睡会员, although registering the visit has just woken them;
7. units bought under it (paid orders, minus refunded units, other orders) plus this order's
   units of the item stay within the limit per customer. Checked again at the first payment,
   under a lock on the customer row, so two orders cannot both take the last unit.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, Sum
from django.utils.translation import gettext as _

from yanzhi.catalog.models import Promotion, PromotionItem
from yanzhi.catalog.queries import PROMOTION_PREFETCH, promotions_running
from yanzhi.core.errors import BusinessError
from yanzhi.customers.models import Customer, DealStatus, MemberActivity, VisitType
from yanzhi.customers.tags import (
    TagFilter,
    deal_status_of,
    matches,
    tag_filter_from,
    tag_state,
)
from yanzhi.org.models import Store
from yanzhi.sales.models import Order, OrderLine

COUNTED_STATUSES = (Order.Status.PAID, Order.Status.REFUNDED)


@dataclass
class Offer:
    """A promotion item a customer may buy: its price and how many units are left to them."""

    promotion: Promotion
    promotion_item: PromotionItem
    used: int

    @property
    def remaining(self) -> int | None:
        limit = self.promotion_item.limit_per_customer
        return None if limit is None else max(0, limit - self.used)


def _refuse(code: str, message, field: str) -> BusinessError:
    return BusinessError(code, message, fields={field: [message]}, status=422)


def used_units(
    customer_id: int, pairs, *, exclude_order_id: int | None = None
) -> dict[tuple[int, int], int]:
    """{(promotion_id, item_id): units bought} over paid orders, refunded units taken off (one
    query)."""
    pairs = list(pairs)
    if not pairs:
        return {}
    rows = (
        OrderLine.objects.filter(
            order__customer_id=customer_id,
            order__status__in=COUNTED_STATUSES,
            promotion_id__in={p for p, _i in pairs},
            item_id__in={i for _p, i in pairs},
        )
        .exclude(order_id=exclude_order_id)
        .values("promotion_id", "item_id")
        .annotate(units=Sum(F("quantity") - F("refunded_quantity")))
        .order_by()
    )
    return {(r["promotion_id"], r["item_id"]): r["units"] or 0 for r in rows}


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return "—"


def target_refusal(customer: Customer, promotion: Promotion, *, day: date) -> str | None:
    """Why the customer is outside the promotion's target as the store day `day` began, or
    None. Reads customer.summary and customer.member_level (select_related them) and the
    prefetched member levels."""
    levels = list(promotion.member_levels.all())
    if levels and customer.member_level_id not in {lv.pk for lv in levels}:
        return _("活动仅限会员等级 %(levels)s,该客户为 %(current)s") % {
            "levels": "、".join(lv.name for lv in levels),
            "current": customer.member_level.name if customer.member_level_id else _("无等级"),
        }
    tags = tag_filter_from(promotion.target_tags)
    state = tag_state(customer, as_of=day)
    checks = [
        (
            TagFilter(deal_statuses=tags.deal_statuses),
            _("成交状态"),
            [_label(DealStatus, v) for v in tags.deal_statuses],
            _label(DealStatus, deal_status_of(state)),
        ),
        (
            TagFilter(activities=tags.activities),
            _("会员活跃度"),
            [_label(MemberActivity, v) for v in tags.activities],
            _label(MemberActivity, state.activity),
        ),
        (
            TagFilter(last_visit_types=tags.last_visit_types),
            _("最近到访类型"),
            [_label(VisitType, v) for v in tags.last_visit_types],
            _label(VisitType, state.last_visit_type) if state.last_visit_type else _("无到访"),
        ),
        (
            TagFilter(has_allergy=tags.has_allergy),
            _("过敏史"),
            [_("有过敏史") if tags.has_allergy else _("无过敏史")],
            _("有过敏史") if customer.allergies.strip() else _("无过敏史"),
        ),
        (
            TagFilter(has_arrears=tags.has_arrears),
            _("欠费"),
            [_("有欠费") if tags.has_arrears else _("无欠费")],
            _("有欠费") if state.has_arrears else _("无欠费"),
        ),
    ]
    for part, name, wanted, current in checks:
        if not part.is_empty and not matches(customer, part, as_of=day):
            return _("活动对象为%(name)s「%(wanted)s」,该客户为「%(current)s」") % {
                "name": name,
                "wanted": "/".join(wanted),
                "current": current,
            }
    return None


def offers_for(customer: Customer, *, store: Store, day: date) -> list[Offer]:
    """The promotion items `customer` may buy at `store` on `day` (target and level matched;
    remaining units shown, 0 when the limit is used up). A fixed number of queries."""
    promotions = [
        p for p in promotions_running(store, day) if target_refusal(customer, p, day=day) is None
    ]
    pairs = [(p.pk, pi.item_id) for p in promotions for pi in p.items.all()]
    used = used_units(customer.pk, pairs)
    return [
        Offer(p, pi, used.get((p.pk, pi.item_id), 0)) for p in promotions for pi in p.items.all()
    ]


def check_line(
    promotion_id,
    *,
    item,
    quantity: int,
    customer: Customer | None,
    store: Store,
    day: date,
    field: str,
    earlier_units: int = 0,
    exclude_order_id: int | None = None,
) -> tuple[Promotion, Decimal]:
    """The promotion and the unit price for one line, or a refusal naming the reason.
    `earlier_units`: units of the same promotion item on earlier lines of the same order."""
    try:
        pk = int(promotion_id)
    except (TypeError, ValueError):
        raise _refuse("invalid_promotion", _("活动不存在"), field) from None
    promotion = (
        Promotion.objects.filter(org_id=store.org_id, pk=pk)
        .prefetch_related(*PROMOTION_PREFETCH)
        .first()
    )
    if promotion is None:
        raise _refuse("invalid_promotion", _("活动不存在"), field)
    if customer is None:
        raise _refuse("customer_required", _("按活动价销售须指定客户"), field)
    if not promotion.is_active:
        raise _refuse(
            "promotion_ended", _("活动“%(name)s”已结束") % {"name": promotion.name}, field
        )
    if day < promotion.start_date:
        message = _("活动“%(name)s”%(start)s才开始") % {
            "name": promotion.name,
            "start": promotion.start_date.isoformat(),
        }
        raise _refuse("promotion_not_started", message, field)
    if day > promotion.end_date:
        message = _("活动“%(name)s”已于%(end)s结束") % {
            "name": promotion.name,
            "end": promotion.end_date.isoformat(),
        }
        raise _refuse("promotion_over", message, field)
    if not promotion.all_stores and store.pk not in {s.pk for s in promotion.stores.all()}:
        message = _("活动“%(name)s”不在本门店进行") % {"name": promotion.name}
        raise _refuse("promotion_not_in_store", message, field)
    promotion_item = next((pi for pi in promotion.items.all() if pi.item_id == item.pk), None)
    if promotion_item is None:
        message = _("“%(item)s”不参加活动“%(name)s”") % {"item": item.name, "name": promotion.name}
        raise _refuse("item_not_in_promotion", message, field)
    reason = target_refusal(customer, promotion, day=day)
    if reason is not None:
        raise _refuse("customer_not_targeted", reason, field)
    limit = promotion_item.limit_per_customer
    if limit is not None:
        used = used_units(customer.pk, [(pk, item.pk)], exclude_order_id=exclude_order_id).get(
            (pk, item.pk), 0
        )
        if used + earlier_units + quantity > limit:
            message = _("“%(item)s”每位客户限购%(limit)s件,该客户已购%(used)s件") % {
                "item": item.name,
                "limit": limit,
                "used": used + earlier_units,
            }
            raise _refuse("promotion_limit_reached", message, field)
    return promotion, min(promotion_item.price_amount, item.effective_price)


def recheck_limits(order: Order) -> None:
    """At the first payment: the order's promoted units still fit each limit per customer, now
    that other orders may have been paid (the caller holds the customer row's lock)."""
    lines = [ln for ln in order.lines.all() if ln.promotion_id]
    if not lines:
        return
    limits = {
        (pi.promotion_id, pi.item_id): pi.limit_per_customer
        for pi in PromotionItem.objects.filter(
            promotion_id__in={ln.promotion_id for ln in lines}, limit_per_customer__isnull=False
        )
    }
    wanted: dict[tuple[int, int], int] = {}
    for ln in lines:
        key = (ln.promotion_id, ln.item_id)
        wanted[key] = wanted.get(key, 0) + ln.quantity
    used = used_units(order.customer_id, wanted, exclude_order_id=order.pk)
    for (promotion_id, item_id), units in wanted.items():
        limit = limits.get((promotion_id, item_id))
        if limit is not None and used.get((promotion_id, item_id), 0) + units > limit:
            line = next(
                ln for ln in lines if (ln.promotion_id, ln.item_id) == (promotion_id, item_id)
            )
            message = _("“%(item)s”每位客户限购%(limit)s件,该客户已在其他订单购买%(used)s件") % {
                "item": line.item.name,
                "limit": limit,
                "used": used.get((promotion_id, item_id), 0),
            }
            raise BusinessError(
                "promotion_limit_reached", message, fields={"lines": [message]}, status=409
            )
