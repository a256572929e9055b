"""Scoped reads of warehouses, stock levels, the stock ledger and stock documents."""

from datetime import date
from decimal import Decimal

from django.db.models import (
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from yanzhi.catalog.models import Item, StoreItem
from yanzhi.catalog.queries import items_for
from yanzhi.core.scope import Scope
from yanzhi.inventory.models import (
    StockCount,
    StockLevel,
    StockMove,
    StockReceipt,
    StockTransfer,
    Warehouse,
)
from yanzhi.org import settings_cache


def warehouses_for(scope: Scope) -> QuerySet[Warehouse]:
    """Warehouses of the caller's stores (the chain's for HQ)."""
    qs = Warehouse.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    return qs.select_related("store")


def get_warehouse(scope: Scope, pk: int) -> Warehouse:
    return get_object_or_404(warehouses_for(scope), pk=pk)


def transfer_targets(scope: Scope) -> QuerySet[Warehouse]:
    """Where stock may be sent: any active warehouse of the chain (transfers cross stores)."""
    return (
        Warehouse.objects.filter(org_id=scope.org_id, is_active=True)
        .select_related("store")
        .order_by("store__code", "kind", "name")
    )


def get_transfer_target(scope: Scope, pk: int) -> Warehouse:
    return get_object_or_404(transfer_targets(scope), pk=pk)


def default_warehouse(store, kind: str) -> Warehouse | None:
    """Where an item of this kind is kept in a store: drugs in the pharmacy (药房), everything
    else in the warehouse (仓库); the other kind if the store has only one. Every sale of goods
    and every execution with materials asks: the store's active warehouses (with the store, whose
    stock policy a move reads) are kept per process (settings_cache watches warehouses and
    stores). The rows are shared: callers must not change them."""
    preferred = Warehouse.Kind.PHARMACY if kind == Item.Kind.DRUG else Warehouse.Kind.WAREHOUSE

    def load():
        active = Warehouse.objects.filter(store_id=store.pk, is_active=True)
        return tuple(active.select_related("store").order_by("pk"))

    candidates = settings_cache.cached(store.org_id, ("warehouses", store.pk), load)
    return next((w for w in candidates if w.kind == preferred), None) or next(
        iter(candidates), None
    )


def stock_items(scope: Scope) -> QuerySet[Item]:
    """Items that can be stocked: the active stock-tracked products and drugs the caller sees in
    the catalogue (HQ: the chain's; a store: those assigned to its stores — an unassigned item
    does not exist for a store, see catalog.queries.items_for)."""
    return items_for(scope).filter(track_stock=True, is_active=True).order_by("kind", "code")


def get_stock_item(scope: Scope, pk: int) -> Item:
    return get_object_or_404(stock_items(scope), pk=pk)


def stock_levels(
    scope: Scope,
    *,
    store_id: int | None = None,
    warehouse_id: int | None = None,
    item_id: int | None = None,
    q: str = "",
    negative_only: bool = False,
) -> QuerySet[StockLevel]:
    """Stock on hand per warehouse and item, for the overview and the API."""
    qs = StockLevel.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(warehouse__store_id__in=scope.store_ids)
    if store_id:
        qs = qs.filter(warehouse__store_id=store_id)
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    if item_id:
        qs = qs.filter(item_id=item_id)
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(item__name__icontains=q) | Q(item__code__icontains=q) | Q(item__material_no=q)
        )
    if negative_only:
        qs = qs.filter(quantity__lt=0)
    return qs.select_related("warehouse__store", "item").order_by(
        "warehouse__store__code", "warehouse__kind", "warehouse__name", "item__code", "pk"
    )


def stock_moves(
    scope: Scope,
    *,
    store_id: int | None = None,
    warehouse_id: int | None = None,
    item_id: int | None = None,
    kind: str = "",
    lot_no: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    reference: str = "",
) -> QuerySet[StockMove]:
    """The stock ledger (库存流水), newest first; dates are business dates."""
    qs = StockMove.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    if store_id:
        qs = qs.filter(store_id=store_id)
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    if item_id:
        qs = qs.filter(item_id=item_id)
    if kind:
        qs = qs.filter(kind=kind)
    if lot_no.strip():
        qs = qs.filter(lot_no=lot_no.strip())
    if date_from:
        qs = qs.filter(business_date__gte=date_from)
    if date_to:
        qs = qs.filter(business_date__lte=date_to)
    if reference:
        qs = qs.filter(reference=reference)
    return qs.select_related("warehouse", "item", "by").order_by("-created_at", "-id")


def receipts_for(scope: Scope) -> QuerySet[StockReceipt]:
    qs = StockReceipt.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    return qs.select_related("warehouse", "by")


def transfers_for(scope: Scope) -> QuerySet[StockTransfer]:
    """Transfers out of or into the caller's stores."""
    qs = StockTransfer.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(
            Q(from_warehouse__store_id__in=scope.store_ids)
            | Q(to_warehouse__store_id__in=scope.store_ids)
        )
    return qs.select_related("from_warehouse__store", "to_warehouse__store", "by")


def counts_for(scope: Scope) -> QuerySet[StockCount]:
    qs = StockCount.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    return qs.select_related("warehouse", "by")


def get_count(scope: Scope, pk: int) -> StockCount:
    return get_object_or_404(counts_for(scope).prefetch_related("lines__item"), pk=pk)


def count_sheet(warehouse: Warehouse) -> list[tuple[Item, Decimal]]:
    """The count sheet of a warehouse: the active stock items assigned to its store, and every
    item it has a stock level of, each with its book quantity."""
    on_hand = dict(
        StockLevel.objects.filter(warehouse=warehouse).values_list("item_id", "quantity")
    )
    assigned = StoreItem.objects.filter(
        item_id=OuterRef("pk"), store_id=warehouse.store_id, is_active=True
    )
    items = Item.objects.filter(org_id=warehouse.org_id, track_stock=True).filter(
        Q(Exists(assigned), is_active=True) | Q(pk__in=list(on_hand))
    )
    return [(item, on_hand.get(item.pk, Decimal(0))) for item in items.order_by("kind", "code")]


def ledger_mismatches(org_id: int | None = None) -> QuerySet[StockLevel]:
    """Stock levels that differ from the sum of their ledger rows, computed in the database in
    one query. Compared with a tolerance below the 0.001 quantum, because SQLite sums decimals
    as floating point."""
    ledger_sum = (
        StockMove.objects.filter(warehouse_id=OuterRef("warehouse_id"), item_id=OuterRef("item_id"))
        .order_by()
        .values("warehouse_id", "item_id")
        .annotate(total=Sum("delta"))
        .values("total")
    )
    quantity = DecimalField(max_digits=15, decimal_places=3)
    qs = StockLevel.objects.all() if org_id is None else StockLevel.objects.filter(org_id=org_id)
    return (
        qs.annotate(
            ledger=Coalesce(
                Subquery(ledger_sum, output_field=quantity), Value(0), output_field=quantity
            )
        )
        .annotate(difference=F("quantity") - F("ledger"))
        .filter(Q(difference__gt=Decimal("0.0005")) | Q(difference__lt=Decimal("-0.0005")))
        .select_related("warehouse__store", "item")
        .order_by("org_id", "warehouse_id", "item_id")
    )


def ledger_without_level(org_id: int | None = None) -> QuerySet[StockMove]:
    """(warehouse, item) pairs that have ledger rows but no stock level at all."""
    qs = StockMove.objects.all() if org_id is None else StockMove.objects.filter(org_id=org_id)
    has_level = StockLevel.objects.filter(
        warehouse_id=OuterRef("warehouse_id"), item_id=OuterRef("item_id")
    )
    return (
        qs.filter(~Exists(has_level))
        .order_by()
        .values("warehouse_id", "item_id")
        .annotate(total=Sum("delta"))
        .order_by("warehouse_id", "item_id")
    )
