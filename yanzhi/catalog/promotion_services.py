"""Every write to promotions (活动): create, update, end. HQ runs promotions in any stores of the
chain (or all of them); a store manager only in their own stores. Definitions: docs/promotions.md.

Rules (each refusal names its field and changes nothing):
- a name; start and end dates with end ≥ start (store-local business dates, inclusive);
- stores of the chain, active; none = every store (HQ only);
- the target: dynamic tags (yanzhi.customers.tags.tag_filter_from) and optional member levels;
- at least one item; each item sold in every chosen store (assigned there and active; for a
  chain-wide promotion: active), at a promotional price ≥ 0 and not above its list price there
  (the store's own price under free pricing, else HQ's), an optional limit per customer ≥ 1.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yanzhi.catalog.models import Item, Promotion, PromotionItem
from yanzhi.catalog.queries import _assigned_to, manageable_promotions
from yanzhi.core import audit
from yanzhi.core.errors import BusinessError, NotFound
from yanzhi.core.money import to_money
from yanzhi.customers.models import MembershipLevel
from yanzhi.customers.tags import tag_filter_from
from yanzhi.org import policy
from yanzhi.org.models import Organization, Staff, Store

AUDIT_FIELDS = ["name", "start_date", "end_date", "all_stores", "target_tags", "description"]
MAX_LIMIT = 9999


def _fail(code: str, field: str, message) -> BusinessError:
    return BusinessError(code, message, fields={field: [message]}, status=422)


def _date(value, field: str, label) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise _fail("invalid_date", field, _("请填写%(label)s") % {"label": label}) from None


def _price(value, field: str) -> Decimal:
    try:
        amount = to_money(Decimal(str(value).strip().replace(",", "")))
    except (InvalidOperation, TypeError, ValueError):
        raise _fail("invalid_amount", field, _("请输入正确的活动价")) from None
    if not amount.is_finite() or abs(amount) >= Decimal("1e10"):
        raise _fail("invalid_amount", field, _("请输入正确的活动价"))
    if amount < 0:
        raise _fail("invalid_amount", field, _("活动价不能为负数"))
    return amount


def _limit(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= MAX_LIMIT:
        raise _fail("invalid_limit", field, _("每人限购须为1到9999之间的整数,不限请留空"))
    return number


def _stores(org_id: int, store_ids, scope) -> list[Store]:
    ids = sorted({int(s) for s in store_ids or () if str(s).strip().isdigit()})
    if len(ids) != len([s for s in store_ids or () if str(s).strip()]):
        raise _fail("invalid_store", "store_ids", _("所选门店不存在或已停用"))
    stores = list(Store.objects.filter(org_id=org_id, pk__in=ids, is_active=True).order_by("pk"))
    if len(stores) != len(ids):
        raise _fail("invalid_store", "store_ids", _("所选门店不存在或已停用"))
    if scope.store_ids is not None:
        if not stores:
            raise _fail("stores_required", "store_ids", _("请选择本店作为活动门店"))
        if any(s.pk not in scope.store_ids for s in stores):
            raise _fail("store_out_of_scope", "store_ids", _("只能为您所在的门店设置活动"))
    return stores


def _levels(org_id: int, level_ids) -> list[MembershipLevel]:
    ids = sorted({int(i) for i in level_ids or () if str(i).strip().isdigit()})
    if len(ids) != len([i for i in level_ids or () if str(i).strip()]):
        raise _fail("invalid_level", "member_level_ids", _("所选会员等级不存在"))
    levels = list(MembershipLevel.objects.filter(org_id=org_id, pk__in=ids))
    if len(levels) != len(ids):
        raise _fail("invalid_level", "member_level_ids", _("所选会员等级不存在"))
    return levels


def _target(target) -> dict:
    try:
        return tag_filter_from(target or {}).as_dict()
    except BusinessError as error:
        messages = [m for msgs in error.fields.values() for m in msgs]
        message = _("活动对象标签有误:%(detail)s") % {"detail": ";".join(map(str, messages))}
        raise BusinessError(
            "invalid_target", message, fields={"target": [message], **error.fields}, status=422
        ) from None


def _items(org_id: int, rows, stores: list[Store]) -> list[PromotionItem]:
    """[(item_id, price, limit)] → unsaved PromotionItems, each checked against its list price
    in every chosen store (or HQ's price for a chain-wide promotion)."""
    rows = [tuple(r) + (None,) * (3 - len(tuple(r))) for r in rows or ()]
    if not rows:
        raise _fail("items_required", "items", _("请至少添加一个活动项目"))
    ids = []
    for n, (item_id, _price_value, _limit_value) in enumerate(rows):
        try:
            ids.append(int(item_id))
        except (TypeError, ValueError):
            raise _fail("invalid_item", f"items.{n}.item_id", _("项目不存在")) from None
    items = Item.objects.in_bulk([i for i in ids], field_name="pk")
    prices = {
        store.pk: {
            it.pk: it.effective_price
            for it in _assigned_to(store.pk).filter(pk__in=ids, is_active=True)
        }
        for store in stores
    }
    built, seen = [], set()
    for n, (_item_id, price, limit) in enumerate(rows):
        item = items.get(ids[n])
        field = f"items.{n}.item_id"
        if item is None or item.org_id != org_id:
            raise _fail("invalid_item", field, _("项目不存在"))
        if item.pk in seen:
            raise _fail(
                "duplicate_item", field, _("活动项目“%(name)s”重复了") % {"name": item.name}
            )
        seen.add(item.pk)
        if not item.is_active:
            raise _fail(
                "item_inactive", field, _("项目“%(name)s”已停用,不能参加活动") % {"name": item.name}
            )
        amount = _price(price, f"items.{n}.price_amount")
        list_prices = [(None, item.price_amount)] if not stores else []
        for store in stores:
            if item.pk not in prices[store.pk]:
                raise _fail(
                    "item_not_in_store",
                    field,
                    _("项目“%(name)s”未在门店“%(store)s”销售")
                    % {"name": item.name, "store": store.name},
                )
            list_prices.append((store, prices[store.pk][item.pk]))
        for store, list_price in list_prices:
            if amount > list_price:
                message = _("“%(name)s”的活动价不能高于原价 %(price)s 元") % {
                    "name": item.name,
                    "price": f"{to_money(list_price):.2f}",
                }
                if store is not None:
                    message = _("“%(name)s”的活动价不能高于门店“%(store)s”的原价 %(price)s 元") % {
                        "name": item.name,
                        "store": store.name,
                        "price": f"{to_money(list_price):.2f}",
                    }
                raise _fail("price_above_list", f"items.{n}.price_amount", message)
        built.append(
            PromotionItem(
                item=item,
                price_amount=amount,
                limit_per_customer=_limit(limit, f"items.{n}.limit_per_customer"),
            )
        )
    return built


def _clean(org_id: int, scope, *, name, start_date, end_date, store_ids, target, level_ids, items):
    name = (name or "").strip()
    if not name:
        raise _fail("name_required", "name", _("请填写活动名称"))
    if len(name) > 100:
        raise _fail("name_too_long", "name", _("活动名称不能超过100个字"))
    start = _date(start_date, "start_date", _("开始日期"))
    end = _date(end_date, "end_date", _("结束日期"))
    if end < start:
        raise _fail("end_before_start", "end_date", _("结束日期不能早于开始日期"))
    stores = _stores(org_id, store_ids, scope)
    return {
        "name": name,
        "start_date": start,
        "end_date": end,
        "stores": stores,
        "target_tags": _target(target),
        "levels": _levels(org_id, level_ids),
        "items": _items(org_id, items, stores),
    }


def _snapshot(promotion: Promotion) -> dict:
    data = audit.snapshot(promotion, AUDIT_FIELDS)
    data["store_ids"] = sorted(promotion.stores.values_list("pk", flat=True))
    data["member_level_ids"] = sorted(promotion.member_levels.values_list("pk", flat=True))
    data["items"] = [
        [pi.item_id, str(pi.price_amount), pi.limit_per_customer]
        for pi in PromotionItem.objects.filter(promotion=promotion).order_by("pk")
    ]
    return data


def _write(promotion: Promotion, clean: dict) -> None:
    promotion.stores.set(clean["stores"])
    promotion.member_levels.set(clean["levels"])
    PromotionItem.objects.filter(promotion=promotion).delete()
    for row in clean["items"]:
        row.promotion = promotion
    PromotionItem.objects.bulk_create(clean["items"])


def _scope(by: Staff):
    scope = policy.scope_for(by)
    policy.require(scope, "promotion.manage")
    return scope


def _managed(scope, promotion: Promotion) -> Promotion:
    """The promotion, locked, if the scope may change it (else it does not exist here)."""
    found = manageable_promotions(scope).filter(pk=promotion.pk).select_for_update().first()
    if found is None:
        raise NotFound()
    return found


@transaction.atomic
def create_promotion(
    org: Organization,
    *,
    name: str,
    start_date,
    end_date,
    items,
    store_ids=(),
    target=None,
    member_level_ids=(),
    description: str = "",
    by: Staff,
) -> Promotion:
    """A promotion of `items` ([(item_id, price, limit per customer or None)]) in `store_ids`
    (HQ: none = every store; a store manager: their own stores only) for the `target` tags."""
    scope = _scope(by)
    if org.pk != scope.org_id:
        raise NotFound()
    clean = _clean(
        org.pk,
        scope,
        name=name,
        start_date=start_date,
        end_date=end_date,
        store_ids=store_ids,
        target=target,
        level_ids=member_level_ids,
        items=items,
    )
    promotion = Promotion.objects.create(
        org=org,
        name=clean["name"],
        start_date=clean["start_date"],
        end_date=clean["end_date"],
        all_stores=not clean["stores"],
        target_tags=clean["target_tags"],
        description=(description or "").strip()[:200],
        created_by=by,
    )
    _write(promotion, clean)
    audit.record(by, "promotion.created", promotion, after=_snapshot(promotion))
    return promotion


@transaction.atomic
def update_promotion(
    promotion: Promotion,
    *,
    name: str,
    start_date,
    end_date,
    items,
    store_ids=(),
    target=None,
    member_level_ids=(),
    description: str = "",
    by: Staff,
) -> Promotion:
    """Change a running or coming promotion as a whole (same rules as creating it). Lines sold
    before keep the price they were sold at."""
    scope = _scope(by)
    promotion = _managed(scope, promotion)
    if not promotion.is_active:
        raise BusinessError("promotion_ended", _("活动已结束,不能修改"), status=409)
    clean = _clean(
        promotion.org_id,
        scope,
        name=name,
        start_date=start_date,
        end_date=end_date,
        store_ids=store_ids,
        target=target,
        level_ids=member_level_ids,
        items=items,
    )
    before = _snapshot(promotion)
    promotion.name = clean["name"]
    promotion.start_date, promotion.end_date = clean["start_date"], clean["end_date"]
    promotion.all_stores = not clean["stores"]
    promotion.target_tags = clean["target_tags"]
    promotion.description = (description or "").strip()[:200]
    promotion.save()
    _write(promotion, clean)
    old, new = audit.changed(before, _snapshot(promotion))
    if new:
        audit.record(by, "promotion.updated", promotion, before=old, after=new)
    return promotion


@transaction.atomic
def end_promotion(promotion: Promotion, *, by: Staff) -> Promotion:
    """结束活动: no more sales under it from now on; what was sold stays as it was."""
    scope = _scope(by)
    promotion = _managed(scope, promotion)
    if promotion.is_active:
        promotion.is_active, promotion.ended_at = False, timezone.now()
        promotion.save(update_fields=["is_active", "ended_at", "updated_at"])
        audit.record(
            by, "promotion.ended", promotion, before={"is_active": True}, after={"is_active": False}
        )
    return promotion
