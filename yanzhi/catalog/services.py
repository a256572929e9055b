"""Every write to the catalogue: HQ master data (categories, items, packages, materials), HQ
distribution of items to stores (主数据下发) and a store's own price under free pricing.

Decisions:
- A package (套餐) bundles service items, products and drugs only: no package inside a package and
  no card inside a package, so a sold package expands in one step into entitlements and goods.
- An item's kind never changes after creation (orders and courses refer to it by kind).
- Withdrawing an item from a store deactivates the assignment; the row (and its store price) is
  kept for history and comes back as it was if HQ assigns the item again.
"""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from yanzhi.catalog.models import (
    MAX_CATEGORY_DEPTH,
    Category,
    Item,
    MaterialUsage,
    PackageComponent,
    StoreItem,
)
from yanzhi.core import audit
from yanzhi.core.errors import BusinessError, NotFound
from yanzhi.core.money import to_money
from yanzhi.core.search import name_initials, name_pinyin
from yanzhi.org import policy, settings_cache
from yanzhi.org.models import Department, Organization, Staff, Store

PACKAGE_COMPONENT_KINDS = (Item.Kind.SERVICE, Item.Kind.PRODUCT, Item.Kind.DRUG)
MATERIAL_KINDS = (Item.Kind.PRODUCT, Item.Kind.DRUG)
DEFAULT_UNITS = {"service": "次", "product": "件", "drug": "支", "package": "套", "card": "张"}
ITEM_AUDIT_FIELDS = [
    "kind",
    "code",
    "name",
    "category_id",
    "department_id",
    "order_type",
    "unit",
    "spec",
    "price_amount",
    "material_no",
    "track_stock",
    "card_type",
    "card_value_amount",
    "card_sessions",
    "card_service_id",
    "valid_days",
    "description",
    "is_active",
]
# The fields create_item/update_item accept besides components and materials.
ITEM_FIELDS = frozenset(ITEM_AUDIT_FIELDS) - {"kind", "is_active", "category_id", "department_id"}
ITEM_FIELDS = ITEM_FIELDS - {"card_service_id"} | {"category", "department", "card_service"}


# --- helpers --------------------------------------------------------------------------------------
def _require(by: Staff, action: str) -> None:
    if by is None or by.role not in policy.ACTIONS[action]:
        raise BusinessError("forbidden", _("您的角色无权执行此操作"), status=403)


def _same_org(by: Staff, org_id: int) -> None:
    """Another chain's rows do not exist for this staff member."""
    if by.org_id != org_id:
        raise NotFound()


def _field_error(code: str, field: str, message) -> BusinessError:
    return BusinessError(code, message, fields={field: [message]})


def _money(value, field: str) -> Decimal:
    """A price: Decimal (or its string) ≥ 0, at fen precision."""
    if isinstance(value, float):
        value = str(value)
    try:
        amount = to_money(Decimal(str(value).strip().replace(",", "")))
    except (InvalidOperation, TypeError, ValueError):
        raise _field_error("invalid_amount", field, _("请输入正确的金额")) from None
    if not amount.is_finite() or amount < 0:
        raise _field_error("invalid_amount", field, _("金额不能为负数"))
    if amount >= Decimal("10000000000"):
        raise _field_error("invalid_amount", field, _("金额过大"))
    return amount


def _resolve(model, value, org_id: int, field: str):
    """Accept an instance or a primary key; anything outside the chain is an invalid choice."""
    if value in (None, "", 0):
        return None
    pk = value.pk if isinstance(value, model) else value
    try:
        obj = model.objects.filter(org_id=org_id, pk=int(pk)).first()
    except (TypeError, ValueError):
        obj = None
    if obj is None:
        raise _field_error("invalid_choice", field, _("所选项目不存在或不属于本机构"))
    return obj


def _positive_int(value, field: str, message, *, allow_none: bool = False) -> int | None:
    if value in (None, "") and allow_none:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _field_error("invalid_number", field, message) from None
    if number < 1:
        raise _field_error("invalid_number", field, message)
    return number


# --- categories -----------------------------------------------------------------------------------
def _clean_category_name(org_id: int, name: str, parent_id, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise _field_error("name_required", "name", _("请输入分类名称"))
    if len(name) > 50:
        raise _field_error("name_too_long", "name", _("分类名称不能超过50个字"))
    clash = Category.objects.filter(org_id=org_id, parent_id=parent_id, name=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise _field_error("duplicate_category", "name", _("同一上级分类下已有同名分类"))
    return name


def _subtree(category: Category) -> list[Category]:
    """The category and all its descendants (four levels at most: one query per level)."""
    nodes, frontier = [category], [category.pk]
    while frontier:
        children = list(Category.objects.filter(parent_id__in=frontier))
        nodes.extend(children)
        frontier = [c.pk for c in children]
    return nodes


@transaction.atomic
def create_category(
    org: Organization, *, name: str, parent: Category | int | None = None, by: Staff
) -> Category:
    """A category under `parent` (or at the top); categories go four levels deep at most."""
    _require(by, "catalog.manage")
    _same_org(by, org.pk)
    parent = _resolve(Category, parent, org.pk, "parent")
    level = parent.level + 1 if parent else 1
    if level > MAX_CATEGORY_DEPTH:
        raise _field_error(
            "category_too_deep", "parent", _("分类最多四级,不能在第四级分类下再建子分类")
        )
    name = _clean_category_name(org.pk, name, parent.pk if parent else None)
    siblings = Category.objects.filter(org=org, parent=parent).count()
    category = Category.objects.create(
        org=org, parent=parent, name=name, level=level, sort_order=siblings
    )
    audit.record(
        by,
        "category.created",
        category,
        after={"name": name, "parent_id": category.parent_id, "level": level},
    )
    return category


@transaction.atomic
def rename_category(category: Category, *, name: str, by: Staff) -> Category:
    _require(by, "catalog.manage")
    _same_org(by, category.org_id)
    category = Category.objects.select_for_update().get(pk=category.pk)
    new_name = _clean_category_name(category.org_id, name, category.parent_id, category.pk)
    if new_name != category.name:
        before = category.name
        category.name = new_name
        category.save(update_fields=["name", "updated_at"])
        audit.record(
            by, "category.renamed", category, before={"name": before}, after={"name": new_name}
        )
    return category


@transaction.atomic
def move_category(category: Category, *, parent: Category | int | None, by: Staff) -> Category:
    """Put a category (with its whole subtree) under another parent; no cycles, ≤ 4 levels."""
    _require(by, "catalog.manage")
    _same_org(by, category.org_id)
    category = Category.objects.select_for_update().get(pk=category.pk)
    parent = _resolve(Category, parent, category.org_id, "parent")
    subtree = _subtree(category)
    if parent is not None and parent.pk in {c.pk for c in subtree}:
        raise _field_error("category_cycle", "parent", _("不能把分类移动到它自己或它的下级分类下"))
    new_level = parent.level + 1 if parent else 1
    shift = new_level - category.level
    deepest = max(c.level for c in subtree) + shift
    if deepest > MAX_CATEGORY_DEPTH:
        raise _field_error(
            "category_too_deep",
            "parent",
            _("移动后分类层级将超过四级,请选择更高一级的上级分类"),
        )
    if (
        parent
        and parent.pk == category.parent_id
        or (parent is None and category.parent_id is None)
    ):
        return category
    _clean_category_name(category.org_id, category.name, parent.pk if parent else None, category.pk)
    before = {"parent_id": category.parent_id, "level": category.level}
    category.parent = parent
    category.level = new_level
    category.save(update_fields=["parent", "level", "updated_at"])
    for node in subtree[1:]:
        node.level += shift
    # Deepest first never matters here (no constraint between levels), but keep the order stable.
    Category.objects.bulk_update(subtree[1:], ["level"])
    audit.record(
        by,
        "category.moved",
        category,
        before=before,
        after={"parent_id": category.parent_id, "level": category.level},
    )
    return category


@transaction.atomic
def delete_category(category: Category, *, by: Staff) -> None:
    """Only an empty category goes: no subcategories and no items."""
    _require(by, "catalog.manage")
    _same_org(by, category.org_id)
    category = Category.objects.select_for_update().get(pk=category.pk)
    if Category.objects.filter(parent=category).exists():
        raise BusinessError("category_not_empty", _("该分类下还有子分类,不能删除"))
    if Item.objects.filter(category=category).exists():
        raise BusinessError("category_not_empty", _("该分类下还有项目,不能删除"))
    audit.record(
        by,
        "category.deleted",
        category,
        before={"name": category.name, "parent_id": category.parent_id, "level": category.level},
    )
    category.delete()


# --- items ----------------------------------------------------------------------------------------
def _clean_item(org_id: int, kind: str, data: dict, *, exclude_pk=None) -> dict:
    """Check an item's fields for its kind; collect every problem, then raise once."""
    errors: dict[str, list] = {}
    first_code = None

    def fail(code, field, message):
        nonlocal first_code
        first_code = first_code or code
        errors.setdefault(field, []).append(message)

    def attempt(func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except BusinessError as error:
            for field, messages in error.fields.items():
                for message in messages:
                    fail(error.code, field, message)
            return None

    clean = dict(data)
    clean["code"] = (data.get("code") or "").strip()
    clean["name"] = (data.get("name") or "").strip()
    if not clean["code"]:
        fail("code_required", "code", _("请输入项目编码"))
    elif len(clean["code"]) > 30:
        fail("code_too_long", "code", _("编码不能超过30个字符"))
    else:
        clash = Item.objects.filter(org_id=org_id, code=clean["code"])
        if exclude_pk:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            fail("duplicate_code", "code", _("编码已被其他项目使用"))
    if not clean["name"]:
        fail("name_required", "name", _("请输入项目名称"))
    elif len(clean["name"]) > 100:
        fail("name_too_long", "name", _("名称不能超过100个字"))
    clean["price_amount"] = attempt(_money, data.get("price_amount"), "price_amount")
    clean["category"] = attempt(_resolve, Category, data.get("category"), org_id, "category")
    clean["department"] = attempt(
        _resolve, Department, data.get("department"), org_id, "department"
    )
    for field in ("order_type", "unit", "spec", "material_no", "description"):
        clean[field] = (data.get(field) or "").strip()
    for field, limit in (("order_type", 30), ("unit", 10), ("spec", 100), ("material_no", 40)):
        if len(clean[field]) > limit:
            fail("too_long", field, _("内容过长"))
    clean["track_stock"] = bool(data.get("track_stock"))
    clean["valid_days"] = attempt(
        _positive_int,
        data.get("valid_days"),
        "valid_days",
        _("有效期须为至少1天的整数"),
        allow_none=True,
    )

    if kind in (Item.Kind.SERVICE, Item.Kind.PRODUCT, Item.Kind.DRUG) and not clean["unit"]:
        fail("unit_required", "unit", _("请输入单位"))
    if kind == Item.Kind.SERVICE and clean["department"] is None and "department" not in errors:
        fail("department_required", "department", _("服务项目须选择科室"))
    if kind in MATERIAL_KINDS:
        if clean["track_stock"] and not clean["material_no"]:
            fail("material_no_required", "material_no", _("启用库存管理的商品/药品须填写物料编号"))
        if clean["material_no"]:
            clash = Item.objects.filter(org_id=org_id, material_no=clean["material_no"])
            if exclude_pk:
                clash = clash.exclude(pk=exclude_pk)
            if clash.exists():
                fail("duplicate_material_no", "material_no", _("物料编号已被其他项目使用"))
    else:
        clean["material_no"], clean["track_stock"] = "", False

    if kind == Item.Kind.CARD:
        card_type = data.get("card_type") or ""
        clean["card_type"] = card_type
        clean["card_value_amount"] = clean["card_sessions"] = clean["card_service"] = None
        if card_type == Item.CardType.STORED_VALUE:
            value = attempt(_money, data.get("card_value_amount"), "card_value_amount")
            if value is not None and value <= 0:
                fail("card_value_required", "card_value_amount", _("储值卡的储值金额须大于0"))
            clean["card_value_amount"] = value
        elif card_type == Item.CardType.SESSIONS:
            clean["card_sessions"] = attempt(
                _positive_int,
                data.get("card_sessions"),
                "card_sessions",
                _("次卡的次数须为大于0的整数"),
            )
            service = attempt(_resolve, Item, data.get("card_service"), org_id, "card_service")
            if service is None and "card_service" not in errors:
                fail("card_service_required", "card_service", _("请选择次卡适用的服务项目"))
            elif service is not None and service.kind != Item.Kind.SERVICE:
                fail("card_service_not_service", "card_service", _("次卡只能适用于服务项目"))
            clean["card_service"] = service
        else:
            fail("card_type_required", "card_type", _("请选择卡类型(储值卡或次卡)"))
        if not clean["unit"]:
            clean["unit"] = "张"
    else:
        clean.update(card_type="", card_value_amount=None, card_sessions=None, card_service=None)
    if errors:
        message = next(iter(errors.values()))[0]
        raise BusinessError(first_code, message, fields=errors)
    return clean


def _clean_components(org_id: int, components, *, package_pk=None) -> list[tuple[Item, int]]:
    """A package's contents: ≥ 1 line of services, products or drugs; quantities ≥ 1."""
    lines = [
        (c["item"], c.get("quantity", 1)) if isinstance(c, dict) else c for c in components or []
    ]
    if not lines:
        raise _field_error("package_empty", "components", _("套餐至少要包含一个项目"))
    cleaned, seen = [], set()
    for item, quantity in lines:
        item = _resolve(Item, item, org_id, "components")
        if item is None:
            raise _field_error("invalid_choice", "components", _("请选择套餐内的项目"))
        if package_pk and item.pk == package_pk:
            raise _field_error("package_contains_itself", "components", _("套餐不能包含它自己"))
        if item.kind not in PACKAGE_COMPONENT_KINDS:
            raise _field_error(
                "package_component_kind",
                "components",
                _("套餐只能包含服务项目、商品和药品,不能包含套餐或卡项"),
            )
        if item.pk in seen:
            raise _field_error(
                "duplicate_component",
                "components",
                _("套餐内的项目“%(name)s”重复了") % {"name": item.name},
            )
        seen.add(item.pk)
        quantity = _positive_int(quantity, "components", _("套餐内项目的数量须为大于0的整数"))
        cleaned.append((item, quantity))
    return cleaned


def _clean_materials(org_id: int, materials) -> list[tuple[Item, Decimal]]:
    """Materials per session of a service: stock-tracked products or drugs, quantity > 0."""
    lines = [(m["material"], m["quantity"]) if isinstance(m, dict) else m for m in materials or []]
    cleaned, seen = [], set()
    for material, quantity in lines:
        material = _resolve(Item, material, org_id, "materials")
        if material is None:
            raise _field_error("invalid_choice", "materials", _("请选择耗材"))
        if material.kind not in MATERIAL_KINDS or not material.track_stock:
            raise _field_error(
                "material_not_stocked",
                "materials",
                _("耗材须为启用库存管理的商品或药品:%(name)s") % {"name": material.name},
            )
        if material.pk in seen:
            raise _field_error(
                "duplicate_material",
                "materials",
                _("耗材“%(name)s”重复了") % {"name": material.name},
            )
        seen.add(material.pk)
        try:
            amount = Decimal(str(quantity).strip())
        except (InvalidOperation, TypeError, ValueError):
            amount = Decimal(0)
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.001")):
            raise _field_error("invalid_quantity", "materials", _("耗材用量须大于0(最多三位小数)"))
        cleaned.append((material, amount))
    return cleaned


def _search_keys(item: Item) -> None:
    item.name_pinyin = name_pinyin(item.name)[:200]
    item.name_initials = name_initials(item.name)[:60]


def _item_snapshot(item: Item) -> dict:
    data = audit.snapshot(item, ITEM_AUDIT_FIELDS)
    data["components"] = [
        [c.item_id, c.quantity] for c in PackageComponent.objects.filter(package=item)
    ]
    data["materials"] = [
        [m.material_id, str(m.quantity)] for m in MaterialUsage.objects.filter(service=item)
    ]
    return data


def _write_components(package: Item, lines: list[tuple[Item, int]]) -> None:
    PackageComponent.objects.filter(package=package).delete()
    PackageComponent.objects.bulk_create(
        [PackageComponent(package=package, item=item, quantity=q) for item, q in lines]
    )


def _write_materials(service: Item, lines: list[tuple[Item, Decimal]]) -> None:
    MaterialUsage.objects.filter(service=service).delete()
    MaterialUsage.objects.bulk_create(
        [MaterialUsage(service=service, material=m, quantity=q) for m, q in lines]
    )
    settings_cache.settings_changed(service.org_id)  # bulk_create sends no signal


@transaction.atomic
def create_item(
    org: Organization,
    *,
    kind: str,
    by: Staff,
    components=None,
    materials=None,
    **fields,
) -> Item:
    """An HQ item of one kind, checked by the rules of that kind. `components` (packages):
    [(item, quantity)]; `materials` (services): [(material, quantity per session)]."""
    _require(by, "catalog.manage")
    _same_org(by, org.pk)
    if kind not in Item.Kind.values:
        raise _field_error("invalid_kind", "kind", _("请选择项目类型"))
    unknown = set(fields) - ITEM_FIELDS
    if unknown:
        raise BusinessError(
            "invalid_field", _("无法识别的字段:%(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    fields.setdefault("unit", DEFAULT_UNITS[kind])
    clean = _clean_item(org.pk, kind, fields)
    lines = _clean_components(org.pk, components) if kind == Item.Kind.PACKAGE else []
    if materials and kind != Item.Kind.SERVICE:
        raise _field_error("materials_for_service_only", "materials", _("只有服务项目可以配置耗材"))
    usages = _clean_materials(org.pk, materials) if kind == Item.Kind.SERVICE else []
    item = Item(org=org, kind=kind, **clean)
    _search_keys(item)
    item.save()
    _write_components(item, lines)
    _write_materials(item, usages)
    audit.record(by, "item.created", item, after=_item_snapshot(item))
    return item


@transaction.atomic
def update_item(item: Item, *, by: Staff, components=None, materials=None, **changes) -> Item:
    """Change an item's fields (its kind stays); `components`/`materials`, when given, replace
    the package's contents / the service's materials."""
    _require(by, "catalog.manage")
    _same_org(by, item.org_id)
    if "kind" in changes and changes.pop("kind") != item.kind:
        raise _field_error("kind_immutable", "kind", _("项目类型创建后不能修改"))
    unknown = set(changes) - ITEM_FIELDS
    if unknown:
        raise BusinessError(
            "invalid_field", _("无法识别的字段:%(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    item = Item.objects.select_for_update().get(pk=item.pk)
    before = _item_snapshot(item)
    data = {
        "code": item.code,
        "name": item.name,
        "category": item.category_id,
        "department": item.department_id,
        "order_type": item.order_type,
        "unit": item.unit,
        "spec": item.spec,
        "price_amount": item.price_amount,
        "material_no": item.material_no,
        "track_stock": item.track_stock,
        "card_type": item.card_type,
        "card_value_amount": item.card_value_amount,
        "card_sessions": item.card_sessions,
        "card_service": item.card_service_id,
        "valid_days": item.valid_days,
        "description": item.description,
        **changes,
    }
    clean = _clean_item(item.org_id, item.kind, data, exclude_pk=item.pk)
    if item.kind == Item.Kind.PACKAGE and components is not None:
        _write_components(item, _clean_components(item.org_id, components, package_pk=item.pk))
    if materials is not None:
        if item.kind != Item.Kind.SERVICE and materials:
            raise _field_error(
                "materials_for_service_only", "materials", _("只有服务项目可以配置耗材")
            )
        _write_materials(item, _clean_materials(item.org_id, materials))
    if item.kind in MATERIAL_KINDS and not clean["track_stock"] and item.track_stock:
        if MaterialUsage.objects.filter(material=item).exists():
            raise _field_error(
                "material_in_use",
                "track_stock",
                _("该项目被服务项目用作耗材,不能关闭库存管理"),
            )
    for field, value in clean.items():
        setattr(item, field, value)
    _search_keys(item)
    item.save()
    old, new = audit.changed(before, _item_snapshot(item))
    if new:
        audit.record(by, "item.updated", item, before=old, after=new)
    return item


@transaction.atomic
def deactivate_item(item: Item, *, by: Staff) -> Item:
    """Stop selling an item everywhere; its assignments and history stay."""
    _require(by, "catalog.manage")
    _same_org(by, item.org_id)
    item = Item.objects.select_for_update().get(pk=item.pk)
    if item.is_active:
        item.is_active = False
        item.save(update_fields=["is_active", "updated_at"])
        audit.record(
            by, "item.deactivated", item, before={"is_active": True}, after={"is_active": False}
        )
    return item


@transaction.atomic
def activate_item(item: Item, *, by: Staff) -> Item:
    _require(by, "catalog.manage")
    _same_org(by, item.org_id)
    item = Item.objects.select_for_update().get(pk=item.pk)
    if not item.is_active:
        item.is_active = True
        item.save(update_fields=["is_active", "updated_at"])
        audit.record(
            by, "item.activated", item, before={"is_active": False}, after={"is_active": True}
        )
    return item


@transaction.atomic
def set_material_usage(service: Item, *, materials, by: Staff) -> Item:
    """Replace the materials one session of a service consumes."""
    _require(by, "catalog.manage")
    _same_org(by, service.org_id)
    if service.kind != Item.Kind.SERVICE:
        raise _field_error("materials_for_service_only", "materials", _("只有服务项目可以配置耗材"))
    service = Item.objects.select_for_update().get(pk=service.pk)
    lines = _clean_materials(service.org_id, materials)
    before = _item_snapshot(service)["materials"]
    _write_materials(service, lines)
    after = _item_snapshot(service)["materials"]
    if before != after:
        audit.record(
            by,
            "item.materials_set",
            service,
            before={"materials": before},
            after={"materials": after},
        )
    return service


# --- HQ distribution (主数据下发) -------------------------------------------------------------------
def _distribution_targets(org: Organization, item_ids, store_ids) -> tuple[list[Item], list[Store]]:
    item_ids = sorted({int(i) for i in item_ids or []})
    store_ids = sorted({int(s) for s in store_ids or []})
    if not item_ids:
        raise _field_error("items_required", "item_ids", _("请至少选择一个项目"))
    if not store_ids:
        raise _field_error("stores_required", "store_ids", _("请至少选择一家门店"))
    items = list(Item.objects.filter(org=org, pk__in=item_ids))
    if len(items) != len(item_ids):
        raise _field_error("invalid_choice", "item_ids", _("所选项目不存在或不属于本机构"))
    stores = list(Store.objects.filter(org=org, pk__in=store_ids, is_active=True))
    if len(stores) != len(store_ids):
        raise _field_error("invalid_choice", "store_ids", _("所选门店不存在或已停用"))
    return items, stores


@transaction.atomic
def assign_items(
    org: Organization, *, item_ids, store_ids, free_pricing: bool = False, by: Staff
) -> dict[str, int]:
    """Assign items to stores in bulk. Idempotent: an existing assignment is updated (re-activated,
    free pricing switched), never duplicated. Returns counts of created/updated/unchanged."""
    _require(by, "catalog.assign")
    _same_org(by, org.pk)
    items, stores = _distribution_targets(org, item_ids, store_ids)
    inactive = [i.name for i in items if not i.is_active]
    if inactive:
        raise _field_error(
            "item_inactive",
            "item_ids",
            _("已停用的项目不能下发:%(names)s") % {"names": "、".join(inactive)},
        )
    free_pricing = bool(free_pricing)
    existing = {
        (si.store_id, si.item_id): si
        for si in StoreItem.objects.select_for_update()
        .filter(store__in=stores, item__in=items)
        .order_by("pk")
    }
    created, changed, unchanged = [], [], 0
    for store in stores:
        for item in items:
            si = existing.get((store.pk, item.pk))
            if si is None:
                created.append(
                    StoreItem(org=org, store=store, item=item, free_pricing=free_pricing)
                )
            elif si.is_active and si.free_pricing == free_pricing:
                unchanged += 1
            else:
                before = {"is_active": si.is_active, "free_pricing": si.free_pricing}
                si.is_active, si.free_pricing = True, free_pricing
                changed.append((si, before))
    StoreItem.objects.bulk_create(created)
    StoreItem.objects.bulk_update(
        [si for si, _b in changed], ["is_active", "free_pricing", "updated_at"]
    )
    for si in created:  # bulk_create sets the primary keys (PostgreSQL, SQLite ≥ 3.35)
        audit.record(by, "store_item.assigned", si, after={"free_pricing": free_pricing})
    for si, before in changed:
        audit.record(
            by,
            "store_item.reassigned",
            si,
            before=before,
            after={"is_active": True, "free_pricing": free_pricing},
        )
    return {"created": len(created), "updated": len(changed), "unchanged": unchanged}


@transaction.atomic
def unassign_items(org: Organization, *, item_ids, store_ids, by: Staff) -> int:
    """Withdraw items from stores: the assignments are deactivated (kept for history); the
    stores no longer see or sell them. Returns how many assignments were withdrawn."""
    _require(by, "catalog.assign")
    _same_org(by, org.pk)
    items, stores = _distribution_targets(org, item_ids, store_ids)
    rows = list(
        StoreItem.objects.select_for_update()
        .filter(store__in=stores, item__in=items, is_active=True)
        .order_by("pk")
    )
    for si in rows:
        si.is_active = False
    StoreItem.objects.bulk_update(rows, ["is_active", "updated_at"])
    for si in rows:
        audit.record(
            by, "store_item.withdrawn", si, before={"is_active": True}, after={"is_active": False}
        )
    return len(rows)


@transaction.atomic
def set_store_price(store_item: StoreItem, *, price_amount, by: Staff) -> StoreItem:
    """A store's own price, only where HQ switched free pricing on for the assignment;
    None clears it (the HQ price applies again)."""
    _require(by, "catalog.price")
    _same_org(by, store_item.org_id)
    if by.role != policy.HQ and not by.stores.filter(pk=store_item.store_id).exists():
        raise NotFound()
    store_item = StoreItem.objects.select_for_update().get(pk=store_item.pk)
    if not store_item.is_active:
        raise BusinessError("item_not_in_store", _("该项目未分配到本门店,不能销售"))
    if not store_item.free_pricing:
        message = _("总部未对该项目开启自由定价,门店不能自行定价")
        raise BusinessError("free_pricing_off", message, fields={"price_amount": [message]})
    price = None if price_amount in (None, "") else _money(price_amount, "price_amount")
    before = store_item.price_amount
    if price != before:
        store_item.price_amount = price
        store_item.save(update_fields=["price_amount", "updated_at"])
        audit.record(
            by,
            "store_item.priced",
            store_item,
            before={"price_amount": None if before is None else str(before)},
            after={"price_amount": None if price is None else str(price)},
        )
    return store_item
