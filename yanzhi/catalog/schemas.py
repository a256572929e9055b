"""API shapes of the catalogue. Money goes out and comes in as strings ("1280.00")."""

from datetime import date
from decimal import Decimal

from ninja import Field, Schema


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


class CategoryIn(Schema):
    name: str
    parent_id: int | None = None


class CategoryPatch(Schema):
    name: str | None = None
    # Send "parent_id": null to move the category to the top level.
    parent_id: int | None = None


class CategoryOut(Schema):
    id: int
    name: str
    parent_id: int | None
    level: int
    sort_order: int


class ComponentIn(Schema):
    item_id: int
    quantity: int = 1


class MaterialIn(Schema):
    material_id: int
    quantity: str


class ComponentOut(Schema):
    item_id: int
    item_name: str
    item_kind: str
    quantity: int

    @staticmethod
    def resolve_item_name(obj):
        return obj.item.name

    @staticmethod
    def resolve_item_kind(obj):
        return obj.item.kind


class MaterialOut(Schema):
    material_id: int
    material_name: str
    quantity: str

    @staticmethod
    def resolve_material_name(obj):
        return obj.material.name

    @staticmethod
    def resolve_quantity(obj):
        return f"{obj.quantity.normalize():f}"


class ItemIn(Schema):
    kind: str
    code: str
    name: str
    price_amount: str
    category_id: int | None = None
    department_id: int | None = None
    order_type: str = ""
    unit: str | None = None
    spec: str = ""
    material_no: str = ""
    track_stock: bool = False
    card_type: str = ""
    card_value_amount: str | None = None
    card_sessions: int | None = None
    card_service_id: int | None = None
    valid_days: int | None = None
    description: str = ""
    components: list[ComponentIn] | None = None
    materials: list[MaterialIn] | None = None


class ItemPatch(Schema):
    code: str | None = None
    name: str | None = None
    price_amount: str | None = None
    category_id: int | None = None
    department_id: int | None = None
    order_type: str | None = None
    unit: str | None = None
    spec: str | None = None
    material_no: str | None = None
    track_stock: bool | None = None
    card_type: str | None = None
    card_value_amount: str | None = None
    card_sessions: int | None = None
    card_service_id: int | None = None
    valid_days: int | None = None
    description: str | None = None
    components: list[ComponentIn] | None = None
    materials: list[MaterialIn] | None = None


class ItemOut(Schema):
    id: int
    kind: str
    code: str
    name: str
    category_id: int | None
    department_id: int | None
    department_name: str | None
    order_type: str
    unit: str
    spec: str
    price_amount: str
    material_no: str
    track_stock: bool
    card_type: str
    card_value_amount: str | None
    card_sessions: int | None
    card_service_id: int | None
    valid_days: int | None
    description: str
    is_active: bool
    components: list[ComponentOut]
    materials: list[MaterialOut]

    @staticmethod
    def resolve_department_name(obj):
        return obj.department.name if obj.department_id else None

    @staticmethod
    def resolve_price_amount(obj):
        return money(obj.price_amount)

    @staticmethod
    def resolve_card_value_amount(obj):
        return money(obj.card_value_amount)

    @staticmethod
    def resolve_components(obj):
        return list(obj.components.all())

    @staticmethod
    def resolve_materials(obj):
        return list(obj.materials.all())


class ItemPage(Schema):
    count: int
    items: list[ItemOut]


class AssignmentIn(Schema):
    item_ids: list[int]
    store_ids: list[int]
    free_pricing: bool = False


class RemovalIn(Schema):
    item_ids: list[int]
    store_ids: list[int]


class AssignmentOut(Schema):
    created: int
    updated: int
    unchanged: int


class RemovalOut(Schema):
    withdrawn: int


class SellableItemOut(Schema):
    """An item as one store sells it."""

    store_item_id: int
    item_id: int
    kind: str
    code: str
    name: str
    unit: str
    order_type: str
    category_id: int | None
    department_name: str | None
    hq_price_amount: str
    free_pricing: bool
    store_price_amount: str | None
    effective_price: str

    @staticmethod
    def resolve_item_id(obj):
        return obj.pk

    @staticmethod
    def resolve_department_name(obj):
        return obj.department.name if obj.department_id else None

    @staticmethod
    def resolve_hq_price_amount(obj):
        return money(obj.price_amount)

    @staticmethod
    def resolve_store_price_amount(obj):
        return money(obj.store_price_amount)

    @staticmethod
    def resolve_effective_price(obj):
        return money(obj.effective_price)


class SellablePage(Schema):
    count: int
    items: list[SellableItemOut]


class StoreItemPatch(Schema):
    # null clears the store's price (the HQ price applies again)
    price_amount: str | None


# --- promotions (活动) ------------------------------------------------------------------------------
class TargetIO(Schema):
    """Dynamic tags (yanzhi.customers.tags): empty lists / null = any."""

    deal_statuses: list[str] = []
    activities: list[str] = []
    last_visit_types: list[str] = []
    has_allergy: bool | None = None
    has_arrears: bool | None = None


class PromotionItemIn(Schema):
    item_id: int
    price_amount: Decimal
    limit_per_customer: int | None = None


class PromotionIn(Schema):
    name: str
    start_date: date
    end_date: date
    store_ids: list[int] = Field(
        [], description="empty: every store of the chain (HQ only); a store manager: own stores"
    )
    target: TargetIO = TargetIO()
    member_level_ids: list[int] = []
    description: str = ""
    items: list[PromotionItemIn]


class PromotionItemOut(Schema):
    item_id: int
    item_name: str = Field(..., alias="item.name")
    item_kind: str = Field(..., alias="item.kind")
    list_price_amount: str
    price_amount: str
    limit_per_customer: int | None

    @staticmethod
    def resolve_list_price_amount(obj):
        return money(obj.item.price_amount)

    @staticmethod
    def resolve_price_amount(obj):
        return money(obj.price_amount)


class PromotionOut(Schema):
    id: int
    name: str
    start_date: date
    end_date: date
    all_stores: bool
    store_ids: list[int]
    target: TargetIO
    member_level_ids: list[int]
    description: str
    is_active: bool
    items: list[PromotionItemOut]

    @staticmethod
    def resolve_store_ids(obj):
        return sorted(s.pk for s in obj.stores.all())

    @staticmethod
    def resolve_member_level_ids(obj):
        return sorted(lv.pk for lv in obj.member_levels.all())

    @staticmethod
    def resolve_target(obj):
        return obj.target_tags or {}

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.all())


class PromotionPage(Schema):
    count: int
    items: list[PromotionOut]
