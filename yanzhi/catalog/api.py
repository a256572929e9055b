"""/api/v1 endpoints of the catalogue; the same services and queries as the pages."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from yanzhi.catalog import promotion_services, queries, services
from yanzhi.catalog.schemas import (
    AssignmentIn,
    AssignmentOut,
    CategoryIn,
    CategoryOut,
    CategoryPatch,
    ItemIn,
    ItemOut,
    ItemPage,
    ItemPatch,
    PromotionIn,
    PromotionOut,
    PromotionPage,
    RemovalIn,
    RemovalOut,
    SellableItemOut,
    SellablePage,
    StoreItemPatch,
)
from yanzhi.core.timeutil import store_today
from yanzhi.org import policy
from yanzhi.org.models import Organization
from yanzhi.org.queries import get_store, stores_for

router = Router(tags=["catalog"])

# API field name -> service keyword
ID_FIELDS = {
    "category_id": "category",
    "department_id": "department",
    "card_service_id": "card_service",
}


def _org(request) -> Organization:
    return get_object_or_404(Organization, pk=request.scope.org_id)


def _item_kwargs(payload: dict) -> dict:
    kwargs = {ID_FIELDS.get(k, k): v for k, v in payload.items()}
    if kwargs.get("components") is not None:
        kwargs["components"] = [(c["item_id"], c["quantity"]) for c in kwargs["components"]]
    if kwargs.get("materials") is not None:
        kwargs["materials"] = [(m["material_id"], m["quantity"]) for m in kwargs["materials"]]
    return kwargs


# --- items ----------------------------------------------------------------------------------------
@router.get("/items", response=ItemPage)
def list_items(
    request,
    q: str = "",
    kind: str = "",
    category_id: int | None = None,
    department_id: int | None = None,
    active: bool | None = None,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
):
    """The catalogue in your scope (a store sees only items assigned to it); `q` searches code,
    name and pinyin initials; `category_id` includes its subcategories."""
    policy.require(request.scope, "catalog.view")
    qs = queries.item_list(
        request.scope,
        kind=kind,
        category_id=category_id,
        department_id=department_id,
        active=active,
        q=q,
    )
    return {"count": qs.count(), "items": list(qs[offset : offset + limit])}


@router.post("/items", response={201: ItemOut})
def create_item(request, data: ItemIn):
    """HQ only. Kind-specific rules: see the catalogue services."""
    payload = data.dict(exclude={"kind"})
    if payload.get("unit") is None:
        payload.pop("unit")
    item = services.create_item(
        _org(request), kind=data.kind, by=request.auth, **_item_kwargs(payload)
    )
    return Status(201, queries.get_item_detail(request.scope, item.pk))


@router.get("/items/{item_id}", response=ItemOut)
def get_item(request, item_id: int):
    policy.require(request.scope, "catalog.view")
    return queries.get_item_detail(request.scope, item_id)


@router.patch("/items/{item_id}", response=ItemOut)
def update_item(request, item_id: int, data: ItemPatch):
    item = queries.get_item(request.scope, item_id)
    services.update_item(item, by=request.auth, **_item_kwargs(data.dict(exclude_unset=True)))
    return queries.get_item_detail(request.scope, item_id)


@router.post("/items/{item_id}/deactivate", response=ItemOut)
def deactivate_item(request, item_id: int):
    """Stop selling an item in every store (assignments and history are kept)."""
    services.deactivate_item(queries.get_item(request.scope, item_id), by=request.auth)
    return queries.get_item_detail(request.scope, item_id)


# --- categories -----------------------------------------------------------------------------------
@router.get("/categories", response=list[CategoryOut])
def list_categories(request):
    """The whole tree (≤ 4 levels), parents before children."""
    return list(queries.categories_for(request.scope).order_by("level", "sort_order", "pk"))


@router.post("/categories", response={201: CategoryOut})
def create_category(request, data: CategoryIn):
    category = services.create_category(
        _org(request), name=data.name, parent=data.parent_id, by=request.auth
    )
    return Status(201, category)


@router.patch("/categories/{category_id}", response=CategoryOut)
def update_category(request, category_id: int, data: CategoryPatch):
    """Rename (`name`) and/or move (`parent_id`, null = top level) a category."""
    category = queries.get_category(request.scope, category_id)
    changes = data.dict(exclude_unset=True)
    with transaction.atomic():  # both or neither
        if "parent_id" in changes:
            category = services.move_category(
                category, parent=changes["parent_id"], by=request.auth
            )
        if changes.get("name") is not None:
            category = services.rename_category(category, name=changes["name"], by=request.auth)
    return category


@router.delete("/categories/{category_id}", response={204: None})
def delete_category(request, category_id: int):
    """Only an empty category (no subcategories, no items) can be deleted."""
    services.delete_category(queries.get_category(request.scope, category_id), by=request.auth)
    return Status(204, None)


# --- distribution and store prices ----------------------------------------------------------------
@router.post("/item-assignments", response=AssignmentOut)
def assign_items(request, data: AssignmentIn):
    """HQ: assign items to stores in bulk (idempotent; re-sending updates free pricing)."""
    return services.assign_items(
        _org(request),
        item_ids=data.item_ids,
        store_ids=data.store_ids,
        free_pricing=data.free_pricing,
        by=request.auth,
    )


@router.post("/item-assignments/remove", response=RemovalOut)
def unassign_items(request, data: RemovalIn):
    """HQ: withdraw items from stores (the assignments are kept, inactive)."""
    count = services.unassign_items(
        _org(request), item_ids=data.item_ids, store_ids=data.store_ids, by=request.auth
    )
    return {"withdrawn": count}


@router.get("/stores/{store_id}/items", response=SellablePage)
def sellable_items(
    request,
    store_id: int,
    q: str = "",
    kind: str = "",
    category_id: int | None = None,
    limit: int = Query(50, ge=1, le=100),
    offset: int = Query(0, ge=0),
):
    """What a store sells, with the effective price (the store's own under free pricing)."""
    policy.require(request.scope, "catalog.view")
    store = get_store(request.scope, store_id)
    qs = queries.sellable_items(request.scope, store, kind=kind, q=q, category_id=category_id)
    return {"count": qs.count(), "items": list(qs[offset : offset + limit])}


@router.patch("/store-items/{store_item_id}", response=SellableItemOut)
def set_store_price(request, store_item_id: int, data: StoreItemPatch):
    """A store's own price (only with free pricing on); null returns to the HQ price."""
    store_item = queries.get_store_item(request.scope, store_item_id)
    services.set_store_price(store_item, price_amount=data.price_amount, by=request.auth)
    return queries.get_sellable_item(store_item.store, store_item.item_id)


# --- promotions (活动) ------------------------------------------------------------------------------
def _promotion_kwargs(data: PromotionIn) -> dict:
    return {
        "name": data.name,
        "start_date": data.start_date,
        "end_date": data.end_date,
        "store_ids": data.store_ids,
        "target": data.target.dict(),
        "member_level_ids": data.member_level_ids,
        "description": data.description,
        "items": [(i.item_id, i.price_amount, i.limit_per_customer) for i in data.items],
    }


@router.get("/promotions", response=PromotionPage)
def list_promotions(
    request,
    status: str = Query("", description="running | upcoming | finished | '' (all)"),
    store_id: int | None = None,
    q: str = "",
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
):
    """Promotions running in your stores (HQ: the chain's); `status` is judged on the business
    date of `store_id` (or your current store; HQ without one: the chain's first store)."""
    policy.require(request.scope, "promotion.view")
    store = get_store(request.scope, store_id) if store_id else None
    store = store or _current_store(request)
    today = store_today(store) if store else None
    qs = queries.promotion_list(request.scope, status=status, store_id=store_id, q=q, today=today)
    return {"count": qs.count(), "items": list(qs[offset : offset + limit])}


def _current_store(request):
    if request.scope.current_store_id:
        return get_store(request.scope, request.scope.current_store_id)
    return stores_for(request.scope).first()


@router.post("/promotions", response={201: PromotionOut})
def create_promotion(request, data: PromotionIn):
    """HQ: in any stores (empty `store_ids` = all); a store manager: in their own stores."""
    promotion = promotion_services.create_promotion(
        _org(request), by=request.auth, **_promotion_kwargs(data)
    )
    return Status(201, queries.get_promotion(request.scope, promotion.pk))


@router.get("/promotions/{promotion_id}", response=PromotionOut)
def get_promotion(request, promotion_id: int):
    policy.require(request.scope, "promotion.view")
    return queries.get_promotion(request.scope, promotion_id)


@router.put("/promotions/{promotion_id}", response=PromotionOut)
def update_promotion(request, promotion_id: int, data: PromotionIn):
    """Replace the promotion's settings and items as a whole (same rules as creating it)."""
    policy.require(request.scope, "promotion.manage")
    promotion = queries.get_manageable_promotion(request.scope, promotion_id)
    promotion_services.update_promotion(promotion, by=request.auth, **_promotion_kwargs(data))
    return queries.get_promotion(request.scope, promotion_id)


@router.post("/promotions/{promotion_id}/end", response=PromotionOut)
def end_promotion(request, promotion_id: int):
    """结束活动: no more sales under it; what was sold stays."""
    policy.require(request.scope, "promotion.manage")
    promotion = queries.get_manageable_promotion(request.scope, promotion_id)
    promotion_services.end_promotion(promotion, by=request.auth)
    return queries.get_promotion(request.scope, promotion_id)
