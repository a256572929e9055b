"""/api/v1 endpoints of the stock: warehouses, stock levels, the stock ledger, receipts,
transfers and counts. Same services and scoped queries as the pages."""

from datetime import date

from django.utils.translation import gettext as _
from ninja import Router, Status

from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import store_today
from yanzhi.inventory import queries, services
from yanzhi.inventory.models import StockMove
from yanzhi.inventory.schemas import (
    StockCountIn,
    StockCountOut,
    StockDocumentOut,
    StockLevelPage,
    StockMovePage,
    StockReceiptIn,
    StockTransferIn,
    WarehouseIn,
    WarehouseOut,
    WarehousePage,
)
from yanzhi.org import policy
from yanzhi.org import queries as org_queries

router = Router(tags=["inventory"])
MAX_LIMIT = 100


def _page(qs, limit: int, offset: int) -> dict:
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
    return {"count": qs.count(), "items": list(qs[offset : offset + limit])}


def _items(request, ids: list[int]) -> dict:
    """The stock items named by the lines; an unknown id is a field error of its line."""
    found = {i.pk: i for i in queries.stock_items(request.scope).filter(pk__in=ids)}
    for n, pk in enumerate(ids):
        if pk not in found:
            message = _("物品不存在或不做库存管理")
            raise BusinessError(
                "invalid_item", message, fields={f"lines.{n}.item_id": [message]}, status=422
            )
    return found


def _document(document, *, warnings=()) -> dict:
    moves = list(
        StockMove.objects.filter(org_id=document.org_id, reference=document.reference).order_by(
            "id"
        )
    )
    return {
        "id": document.pk,
        "reference": document.reference,
        "business_date": document.business_date,
        "moves": moves,
        "warnings": list(warnings),
    }


# --- warehouses ---------------------------------------------------------------------------------
@router.get("/warehouses", response=WarehousePage, summary="Warehouses and pharmacies in scope")
def list_warehouses(request, store_id: int | None = None, limit: int = 50, offset: int = 0):
    policy.require(request.scope, "inventory.view")
    qs = queries.warehouses_for(request.scope).order_by("store_id", "kind", "name", "pk")
    if store_id:
        qs = qs.filter(store_id=store_id)
    return _page(qs, limit, offset)


@router.post("/warehouses", response={201: WarehouseOut})
def create_warehouse(request, data: WarehouseIn):
    store_id = data.store_id or request.scope.current_store_id
    if not store_id:
        message = _("请指定门店")
        raise BusinessError("store_required", message, fields={"store_id": [message]}, status=422)
    store = org_queries.get_store(request.scope, store_id)
    warehouse = services.create_warehouse(store, name=data.name, kind=data.kind, by=request.auth)
    return Status(201, warehouse)


# --- levels and ledger ----------------------------------------------------------------------------
@router.get("/stock", response=StockLevelPage, summary="Stock on hand per warehouse and item")
def list_stock(
    request,
    store_id: int | None = None,
    warehouse_id: int | None = None,
    item_id: int | None = None,
    q: str = "",
    negative_only: bool = False,
    limit: int = 50,
    offset: int = 0,
):
    policy.require(request.scope, "inventory.view")
    qs = queries.stock_levels(
        request.scope,
        store_id=store_id,
        warehouse_id=warehouse_id,
        item_id=item_id,
        q=q,
        negative_only=negative_only,
    )
    return _page(qs, limit, offset)


@router.get("/stock-moves", response=StockMovePage, summary="The stock ledger, newest first")
def list_stock_moves(
    request,
    store_id: int | None = None,
    warehouse_id: int | None = None,
    item_id: int | None = None,
    kind: str = "",
    lot_no: str = "",
    reference: str = "",
    date_from: str | None = None,
    date_to: str | None = None,
    limit: int = 50,
    offset: int = 0,
):
    policy.require(request.scope, "inventory.view")
    try:
        start = date.fromisoformat(date_from) if date_from else None
        end = date.fromisoformat(date_to) if date_to else None
    except ValueError as error:
        message = _("日期格式应为 YYYY-MM-DD")
        raise BusinessError("invalid_date", message, status=422) from error
    qs = queries.stock_moves(
        request.scope,
        store_id=store_id,
        warehouse_id=warehouse_id,
        item_id=item_id,
        kind=kind,
        lot_no=lot_no,
        reference=reference,
        date_from=start,
        date_to=end,
    )
    return _page(qs, limit, offset)


# --- documents ------------------------------------------------------------------------------------
@router.post("/stock-receipts", response={201: StockDocumentOut}, summary="Receive stock (入库)")
def create_receipt(request, data: StockReceiptIn):
    warehouse = queries.get_warehouse(request.scope, data.warehouse_id)
    items = _items(request, [line.item_id for line in data.lines])
    receipt = services.receive_stock(
        warehouse,
        lines=[
            services.ReceiptLine(
                items[line.item_id], line.quantity, line.lot_no, line.expires_on, line.unit_cost
            )
            for line in data.lines
        ],
        by=request.auth,
        business_date=data.business_date or store_today(warehouse.store),
        note=data.note,
    )
    return Status(201, _document(receipt))


@router.post(
    "/stock-transfers",
    response={201: StockDocumentOut},
    summary="Transfer stock between warehouses of the chain (调拨); all lines or none",
)
def create_transfer(request, data: StockTransferIn):
    source = queries.get_warehouse(request.scope, data.from_warehouse_id)
    target = queries.get_transfer_target(request.scope, data.to_warehouse_id)
    items = _items(request, [line.item_id for line in data.lines])
    transfer = services.transfer_stock(
        source,
        target,
        lines=[
            services.StockLine(items[line.item_id], line.quantity, line.lot_no)
            for line in data.lines
        ],
        by=request.auth,
        business_date=data.business_date or store_today(source.store),
        note=data.note,
    )
    return Status(201, _document(transfer, warnings=transfer.warnings))


@router.post(
    "/stock-counts",
    response={201: StockCountOut},
    summary="Post a stock count (盘点); differences become count adjustments",
)
def create_count(request, data: StockCountIn):
    warehouse = queries.get_warehouse(request.scope, data.warehouse_id)
    items = _items(request, [line.item_id for line in data.lines])
    count = services.count_stock(
        warehouse,
        counted=[(items[line.item_id], line.counted_quantity) for line in data.lines],
        by=request.auth,
        business_date=data.business_date or store_today(warehouse.store),
        note=data.note,
    )
    body = _document(count)
    body["lines"] = list(count.lines.all())
    return Status(201, body)
