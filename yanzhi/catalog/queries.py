"""Scoped reads of the catalogue. HQ sees the chain's whole catalogue; every other role sees only
the items assigned to its stores (主数据下发) — an unassigned item does not exist for a store, on
any page or endpoint. `sellable_items` / `get_sellable_item` are what the order screen uses."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from yanzhi.catalog.models import (
    Category,
    Item,
    MaterialUsage,
    PackageComponent,
    Promotion,
    PromotionItem,
    StoreItem,
)
from yanzhi.core.errors import BusinessError
from yanzhi.core.money import MoneyField
from yanzhi.core.scope import Scope
from yanzhi.org.models import Store


# --- categories -----------------------------------------------------------------------------------
def categories_for(scope: Scope) -> QuerySet[Category]:
    """Categories are chain master data: every role of the chain sees the tree."""
    return Category.objects.filter(org_id=scope.org_id)


def get_category(scope: Scope, pk: int) -> Category:
    return get_object_or_404(categories_for(scope), pk=pk)


@dataclass
class CategoryNode:
    category: Category
    children: list["CategoryNode"] = field(default_factory=list)
    path: str = ""

    @property
    def pk(self):
        return self.category.pk


def category_tree(scope: Scope) -> list[CategoryNode]:
    """The four-level tree from one query, ordered as the model orders siblings."""
    categories = list(categories_for(scope).order_by("level", "sort_order", "name", "pk"))
    nodes = {c.pk: CategoryNode(c) for c in categories}
    roots = []
    for c in categories:
        node = nodes[c.pk]
        parent = nodes.get(c.parent_id)
        node.path = f"{parent.path} › {c.name}" if parent else c.name
        (parent.children if parent else roots).append(node)
    return roots


def flatten_tree(roots: list[CategoryNode]) -> list[CategoryNode]:
    """Depth-first: for selects and indented lists."""
    out = []

    def walk(nodes):
        for node in nodes:
            out.append(node)
            walk(node.children)

    walk(roots)
    return out


def category_and_descendant_ids(scope: Scope, category_id: int) -> list[int]:
    """A category at any level filters by itself and everything below it."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in categories_for(scope).values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    ids, frontier = [], [category_id]
    while frontier:
        ids.extend(frontier)
        frontier = [c for pk in frontier for c in children.get(pk, [])]
    return ids


# --- items ----------------------------------------------------------------------------------------
def items_for(scope: Scope) -> QuerySet[Item]:
    """HQ: every item of the chain. Store roles: only items assigned (actively) to their stores."""
    qs = Item.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        assigned = StoreItem.objects.filter(
            item_id=OuterRef("pk"), store_id__in=scope.store_ids, is_active=True
        )
        qs = qs.filter(Exists(assigned))
    return qs


def get_item(scope: Scope, pk: int) -> Item:
    return get_object_or_404(items_for(scope), pk=pk)


def get_item_detail(scope: Scope, pk: int) -> Item:
    qs = items_for(scope).select_related(
        "category__parent__parent__parent", "department", "card_service"
    )
    return get_object_or_404(qs.prefetch_related(*DETAIL_PREFETCH), pk=pk)


DETAIL_PREFETCH = (
    Prefetch("components", queryset=PackageComponent.objects.select_related("item")),
    Prefetch("materials", queryset=MaterialUsage.objects.select_related("material")),
)


def match_items(qs: QuerySet[Item], q: str) -> QuerySet[Item]:
    """Code, name, full pinyin or pinyin initials (gznf → 光子嫩肤)."""
    q = (q or "").strip()
    if not q:
        return qs
    lower = q.lower().replace(" ", "")
    return qs.filter(
        Q(code__icontains=q)
        | Q(name__icontains=q)
        | Q(name_pinyin__contains=lower)
        | Q(name_initials__contains=lower)
    )


def item_list(
    scope: Scope,
    *,
    kind: str = "",
    category_id: int | None = None,
    department_id: int | None = None,
    active: bool | None = None,
    q: str = "",
) -> QuerySet[Item]:
    """The catalogue page and GET /items: filters, search, and what a row shows."""
    qs = items_for(scope)
    if kind:
        qs = qs.filter(kind=kind)
    if category_id:
        qs = qs.filter(category_id__in=category_and_descendant_ids(scope, category_id))
    if department_id:
        qs = qs.filter(department_id=department_id)
    if active is not None:
        qs = qs.filter(is_active=active)
    qs = match_items(qs, q)
    return (
        qs.select_related("category__parent__parent__parent", "department", "card_service")
        .prefetch_related(*DETAIL_PREFETCH)
        .order_by("kind", "code", "pk")
    )


def item_choices(scope: Scope, *, kinds, stocked_only: bool = False) -> QuerySet[Item]:
    """Candidates for a package's components or a service's materials."""
    qs = items_for(scope).filter(kind__in=kinds, is_active=True)
    if stocked_only:
        qs = qs.filter(track_stock=True)
    return qs.order_by("kind", "code")


def category_label(category: Category | None) -> str:
    """光电项目 › 光子嫩肤 style path (uses the select_related parents)."""
    names = []
    while category is not None:
        names.append(category.name)
        category = category.parent
    return " › ".join(reversed(names))


# --- store assignments and prices -----------------------------------------------------------------
def store_items_for(scope: Scope) -> QuerySet[StoreItem]:
    qs = StoreItem.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    return qs


def get_store_item(scope: Scope, pk: int) -> StoreItem:
    return get_object_or_404(
        store_items_for(scope)
        .filter(is_active=True, item__is_active=True)
        .select_related("item", "store"),
        pk=pk,
    )


def _effective_price():
    """The store's price where free pricing is on and a price is set, else the HQ price."""
    return Coalesce(
        Case(
            When(assignment__free_pricing=True, then=F("assignment__price_amount")),
            default=None,
            output_field=MoneyField(),
        ),
        F("price_amount"),
        output_field=MoneyField(),
    )


def _assigned_to(store_id: int) -> QuerySet[Item]:
    return (
        Item.objects.annotate(
            assignment=FilteredRelation(
                "store_items",
                condition=Q(store_items__store_id=store_id, store_items__is_active=True),
            )
        )
        .filter(assignment__isnull=False)
        .annotate(
            store_item_id=F("assignment__id"),
            free_pricing=F("assignment__free_pricing"),
            store_price_amount=F("assignment__price_amount"),
            effective_price=_effective_price(),
        )
    )


def sellable_items(
    scope: Scope,
    store: Store,
    *,
    kind: str | None = None,
    q: str = "",
    category_id: int | None = None,
) -> QuerySet[Item]:
    """What `store` sells: active items with an active assignment to it, each annotated with
    `effective_price` (and `store_item_id`, `free_pricing`, `store_price_amount`). A store outside
    the scope is a 404."""
    if store.org_id != scope.org_id or not scope.covers_store(store.pk):
        raise Http404
    qs = _assigned_to(store.pk).filter(org_id=store.org_id, is_active=True)
    if kind:
        qs = qs.filter(kind=kind)
    if category_id:
        qs = qs.filter(category_id__in=category_and_descendant_ids(scope, category_id))
    qs = match_items(qs, q)
    return qs.select_related("category", "department").order_by("kind", "code", "pk")


def get_sellable_item(store: Store, item_id: int) -> Item:
    """The item as `store` sells it (with `effective_price`); an item not assigned to the store,
    or no longer sold, is refused with a clear error."""
    item = (
        _assigned_to(store.pk)
        .filter(org_id=store.org_id, pk=item_id)
        .select_related("category", "department")
        .first()
    )
    if item is None:
        message = _("该项目未分配到本门店,不能销售")
        raise BusinessError("item_not_in_store", message, fields={"item_id": [message]})
    if not item.is_active:
        message = _("该项目已停用,不能销售")
        raise BusinessError("item_inactive", message, fields={"item_id": [message]})
    return item


def price_for(store: Store, item: Item) -> Decimal:
    """The price `store` sells `item` at: its own price with free pricing (when set), else HQ's."""
    return get_sellable_item(store, item.pk).effective_price


@dataclass
class MatrixCell:
    store: Store
    assignment: StoreItem | None  # None: never assigned; inactive: withdrawn

    @property
    def assigned(self) -> bool:
        return self.assignment is not None and self.assignment.is_active

    @property
    def price(self) -> Decimal | None:
        return self.assignment.effective_price if self.assigned else None


@dataclass
class MatrixRow:
    item: Item
    cells: list[MatrixCell]


def distribution_matrix(items: list[Item], stores: list[Store]) -> list[MatrixRow]:
    """Items × stores: each cell's assignment with its effective price, from one query."""
    effective = Coalesce(
        Case(When(free_pricing=True, then=F("price_amount")), default=None),
        F("item__price_amount"),
        output_field=MoneyField(),
    )
    assignments = {
        (si.item_id, si.store_id): si
        for si in StoreItem.objects.filter(item__in=items, store__in=stores).annotate(
            effective_price=effective
        )
    }
    return [
        MatrixRow(
            item, [MatrixCell(store, assignments.get((item.pk, store.pk))) for store in stores]
        )
        for item in items
    ]


# --- promotions (活动) ------------------------------------------------------------------------------
PROMOTION_PREFETCH = (
    Prefetch("items", queryset=PromotionItem.objects.select_related("item").order_by("pk")),
    "stores",
    "member_levels",
)


def _in_store(store_id_or_ids) -> Q:
    """Promotions that run in the store (or in any of the stores)."""
    ids = store_id_or_ids if isinstance(store_id_or_ids, list | tuple) else [store_id_or_ids]
    through = Promotion.stores.through.objects.filter(promotion_id=OuterRef("pk"), store_id__in=ids)
    return Q(all_stores=True) | Q(Exists(through))


def promotions_for(scope: Scope) -> QuerySet[Promotion]:
    """HQ: every promotion of the chain. Store roles: those running in one of their stores
    (chain-wide ones included)."""
    qs = Promotion.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(_in_store(list(scope.store_ids)))
    return qs


def manageable_promotions(scope: Scope) -> QuerySet[Promotion]:
    """The promotions the viewer may edit or end: HQ every one; a store manager only those that
    run in their own stores alone (not chain-wide, no other store)."""
    qs = Promotion.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        elsewhere = Promotion.stores.through.objects.filter(promotion_id=OuterRef("pk")).exclude(
            store_id__in=scope.store_ids
        )
        qs = qs.filter(all_stores=False).exclude(Exists(elsewhere))
    return qs


def get_promotion(scope: Scope, pk: int) -> Promotion:
    return get_object_or_404(
        promotions_for(scope).select_related("created_by").prefetch_related(*PROMOTION_PREFETCH),
        pk=pk,
    )


def get_manageable_promotion(scope: Scope, pk: int) -> Promotion:
    return get_object_or_404(
        manageable_promotions(scope).prefetch_related(*PROMOTION_PREFETCH), pk=pk
    )


def promotion_list(
    scope: Scope, *, status: str = "", store_id: int | None = None, q: str = "", today=None
) -> QuerySet[Promotion]:
    """The promotions page and GET /promotions. status: running (进行中 today), upcoming,
    finished (past its end date or ended), or '' for all."""
    qs = promotions_for(scope)
    if store_id:
        qs = qs.filter(_in_store(store_id))
    if q.strip():
        qs = qs.filter(name__icontains=q.strip())
    if today is not None and status == "running":
        qs = qs.filter(is_active=True, start_date__lte=today, end_date__gte=today)
    elif today is not None and status == "upcoming":
        qs = qs.filter(is_active=True, start_date__gt=today)
    elif today is not None and status == "finished":
        qs = qs.filter(Q(is_active=False) | Q(end_date__lt=today))
    return qs.prefetch_related(*PROMOTION_PREFETCH).order_by("-start_date", "-pk")


def promotions_running(store: Store, day) -> QuerySet[Promotion]:
    """Active promotions running in `store` on its business date `day` (any customer)."""
    return (
        Promotion.objects.filter(
            org_id=store.org_id, is_active=True, start_date__lte=day, end_date__gte=day
        )
        .filter(_in_store(store.pk))
        .prefetch_related(*PROMOTION_PREFETCH)
        .order_by("end_date", "pk")
    )
