"""API shapes for warehouses, stock levels, the stock ledger and stock documents (In/Out pairs).
Quantities are decimal strings with up to three places ("1.5"); money as "880.00"."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema


class Ref(Schema):
    id: int
    name: str


class WarehouseIn(Schema):
    store_id: int | None = Field(None, description="default: the caller's current store")
    name: str = Field(..., max_length=50)
    kind: str = Field(..., description="warehouse (仓库) | pharmacy (药房)")


class WarehouseOut(Schema):
    id: int
    store_id: int
    name: str
    kind: str
    is_active: bool


class WarehousePage(Schema):
    count: int
    items: list[WarehouseOut]


class ItemRef(Schema):
    id: int
    code: str
    name: str
    material_no: str
    unit: str


class StockLevelOut(Schema):
    id: int
    store_id: int
    warehouse: Ref
    item: ItemRef
    quantity: Decimal

    @staticmethod
    def resolve_store_id(obj) -> int:
        return obj.warehouse.store_id


class StockLevelPage(Schema):
    count: int
    items: list[StockLevelOut]


class StockMoveOut(Schema):
    id: int
    store_id: int
    warehouse_id: int
    item_id: int
    kind: str
    delta: Decimal
    quantity_after: Decimal
    went_negative: bool = Field(..., description="the move took stock below zero (warn policy)")
    lot_no: str
    expires_on: date | None
    unit_cost_amount: Decimal | None
    business_date: date
    reference: str
    note: str
    by_id: int
    created_at: datetime


class StockMovePage(Schema):
    count: int
    items: list[StockMoveOut]


class ReceiptLineIn(Schema):
    item_id: int
    quantity: Decimal
    lot_no: str = Field("", max_length=40)
    expires_on: date | None = None
    unit_cost: Decimal | None = None


class StockReceiptIn(Schema):
    warehouse_id: int
    business_date: date | None = Field(None, description="default: the store's today")
    note: str = Field("", max_length=200)
    lines: list[ReceiptLineIn]


class StockDocumentOut(Schema):
    id: int
    reference: str
    business_date: date
    moves: list[StockMoveOut]
    warnings: list[str] = Field(..., description="negative stock let through by the warn policy")


class TransferLineIn(Schema):
    item_id: int
    quantity: Decimal
    lot_no: str = Field("", max_length=40)


class StockTransferIn(Schema):
    from_warehouse_id: int
    to_warehouse_id: int = Field(..., description="any active warehouse of the chain")
    business_date: date | None = None
    note: str = Field("", max_length=200)
    lines: list[TransferLineIn]


class CountLineIn(Schema):
    item_id: int
    counted_quantity: Decimal


class StockCountIn(Schema):
    warehouse_id: int
    business_date: date | None = None
    note: str = Field("", max_length=200)
    lines: list[CountLineIn]


class CountLineOut(Schema):
    item_id: int
    expected_quantity: Decimal
    counted_quantity: Decimal
    difference: Decimal


class StockCountOut(StockDocumentOut):
    lines: list[CountLineOut]
