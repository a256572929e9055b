"""Stock business actions: warehouses, receipts (入库), transfers (调拨), consumption by treatment
execution (消耗), counts (盘点). Each is one transaction; every change of a stock level goes through
`move_stock`, a guarded UPDATE that also writes the ledger row (StockMove)."""

from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Round
from django.utils.translation import gettext as _

from yanzhi.catalog.models import Item, MaterialUsage
from yanzhi.core import audit
from yanzhi.core.errors import BusinessError, NotFound
from yanzhi.core.money import to_money
from yanzhi.core.scope import Scope
from yanzhi.inventory.models import (
    StockCount,
    StockCountLine,
    StockLevel,
    StockMove,
    StockReceipt,
    StockTransfer,
    StockTransferLine,
    Warehouse,
)
from yanzhi.inventory.queries import default_warehouse
from yanzhi.org import policy, settings_cache
from yanzhi.org.models import Staff, Store
from yanzhi.org.services import ensure_period_open

QUANTUM = Decimal("0.001")


class ReceiptLine(NamedTuple):
    item: Item
    quantity: Decimal
    lot_no: str = ""
    expires_on: date | None = None
    unit_cost: Decimal | None = None


class StockLine(NamedTuple):
    """A line of a transfer or a consumption."""

    item: Item
    quantity: Decimal
    lot_no: str = ""


# --- checks -------------------------------------------------------------------------------------
def _scope(by: Staff, action: str | None) -> Scope:
    scope = policy.scope_for(by)
    if action:
        policy.require(scope, action)
    return scope


def _require_warehouse(scope: Scope, warehouse: Warehouse, *, field: str = "warehouse_id"):
    """The warehouse must be in the caller's scope (otherwise it does not exist) and active."""
    if warehouse.org_id != scope.org_id or not scope.covers_store(warehouse.store_id):
        raise NotFound()
    if not warehouse.is_active:
        message = _("%(warehouse)s 已停用") % {"warehouse": warehouse.name}
        raise BusinessError("warehouse_inactive", message, fields={field: [message]})


def _quantity(value, *, field: str, allow_zero: bool = False) -> Decimal:
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError):
        quantity = None
    if quantity is None or not quantity.is_finite():
        message = _("请输入数量")
        raise BusinessError("invalid_quantity", message, fields={field: [message]}, status=422)
    if quantity < 0 or (quantity == 0 and not allow_zero):
        message = _("数量必须大于0") if not allow_zero else _("数量不能为负数")
        raise BusinessError("invalid_quantity", message, fields={field: [message]}, status=422)
    if quantity != quantity.quantize(QUANTUM) or abs(quantity) >= Decimal("1e9"):
        message = _("数量最多保留三位小数")
        raise BusinessError("invalid_quantity", message, fields={field: [message]}, status=422)
    return quantity.quantize(QUANTUM)


def _require_stock_item(item: Item, warehouse: Warehouse, *, field: str) -> None:
    if item.org_id != warehouse.org_id:
        raise BusinessError(
            "invalid_item", _("物品不存在"), fields={field: [_("物品不存在")]}, status=422
        )
    if not item.track_stock:
        message = _("%(item)s 不做库存管理,不能出入库") % {"item": item.name}
        raise BusinessError("item_not_stocked", message, fields={field: [message]}, status=422)


def _require_lines(lines) -> None:
    if not lines:
        message = _("请至少填写一行")
        raise BusinessError("no_lines", message, fields={"lines": [message]}, status=422)


# --- the one way a stock level changes ------------------------------------------------------------
def _level(warehouse: Warehouse, item: Item) -> StockLevel:
    """The level row, created at zero on first use. Race-safe: the unique (warehouse, item)
    constraint makes a concurrent creator fail and re-read (get_or_create's savepoint)."""
    level, _created = StockLevel.objects.get_or_create(
        warehouse=warehouse, item=item, defaults={"org_id": warehouse.org_id}
    )
    return level


def _insufficient(warehouse: Warehouse, item: Item, on_hand: Decimal, requested: Decimal):
    message = _("%(item)s 在 %(warehouse)s 库存不足:现有 %(on_hand)s,需要 %(requested)s") % {
        "item": item.name,
        "warehouse": warehouse.name,
        "on_hand": _plain(on_hand),
        "requested": _plain(requested),
    }
    return BusinessError("insufficient_stock", message, fields={"lines": [message]}, status=409)


def _plain(quantity: Decimal) -> str:
    """1.500 → "1.5", 3.000 → "3" (how staff write quantities)."""
    text = f"{quantity:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# Only inventory's services call it, each inside its own transaction or savepoint: no
# savepoint of its own (an error fails the whole service anyway).
@transaction.atomic(savepoint=False)
def move_stock(
    warehouse: Warehouse,
    item: Item,
    delta: Decimal,
    *,
    kind: str,
    by: Staff,
    business_date: date,
    lot_no: str = "",
    expires_on: date | None = None,
    unit_cost_amount: Decimal | None = None,
    reference: str = "",
    note: str = "",
    enforce_on_hand: bool = True,
) -> StockMove:
    """Change one stock level by `delta` and write its ledger row. A decrease is a guarded
    UPDATE (… WHERE quantity >= n) under the store's "block" policy, so concurrent moves can
    never overdraw; under "warn" it may go negative and the move is flagged `went_negative`.
    Counts pass enforce_on_hand=False: a count sets reality."""
    ensure_period_open(warehouse.store_id, business_date, org_id=warehouse.org_id)
    delta = Decimal(delta).quantize(QUANTUM)
    if delta == 0:
        raise BusinessError("invalid_quantity", _("数量必须大于0"), status=422)
    level = _level(warehouse, item)
    levels = StockLevel.objects.filter(pk=level.pk)
    store = warehouse.store
    block = enforce_on_hand and store.negative_stock == Store.NegativeStock.BLOCK
    if delta < 0 and block:
        updated = levels.filter(quantity__gte=-delta).update(
            quantity=Round(F("quantity") + delta, 3)
        )
        if not updated:
            on_hand = levels.values_list("quantity", flat=True).get()
            raise _insufficient(warehouse, item, on_hand, -delta)
    else:
        levels.update(quantity=Round(F("quantity") + delta, 3))
    after = levels.values_list("quantity", flat=True).get()
    return StockMove.objects.create(
        org_id=warehouse.org_id,
        store_id=warehouse.store_id,
        warehouse=warehouse,
        item=item,
        kind=kind,
        delta=delta,
        quantity_after=after,
        went_negative=delta < 0 and after < 0 and enforce_on_hand,
        lot_no=lot_no.strip(),
        expires_on=expires_on,
        unit_cost_amount=unit_cost_amount,
        business_date=business_date,
        reference=reference,
        note=note[:200],
        by=by,
    )


def _lock_levels(pairs) -> None:
    """Create the (warehouse, item) levels that do not exist yet and lock them all in pk order,
    so two documents touching the same levels cannot deadlock (a no-op on SQLite, where the
    transaction already holds the write lock)."""
    pks = sorted({_level(warehouse, item).pk for warehouse, item in pairs})
    list(StockLevel.objects.select_for_update().filter(pk__in=pks).order_by("pk"))


def _warnings(moves: list[StockMove]) -> list[str]:
    return [
        _("%(item)s 在 %(warehouse)s 的库存已为负数:%(after)s")
        % {"item": m.item.name, "warehouse": m.warehouse.name, "after": _plain(m.quantity_after)}
        for m in moves
        if m.went_negative
    ]


# --- warehouses ---------------------------------------------------------------------------------
def _check_warehouse_name(store: Store, name: str, *, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        message = _("请填写名称")
        raise BusinessError("invalid_name", message, fields={"name": [message]}, status=422)
    taken = Warehouse.objects.filter(store=store, name=name).exclude(pk=exclude_pk).exists()
    if taken:
        message = _("本门店已有同名仓库")
        raise BusinessError("duplicate_name", message, fields={"name": [message]}, status=422)
    return name


@transaction.atomic
def create_warehouse(store: Store, *, name: str, kind: str, by: Staff) -> Warehouse:
    """A new warehouse or pharmacy of a store in the caller's scope; names unique per store."""
    scope = _scope(by, "inventory.manage")
    if store.org_id != scope.org_id or not scope.covers_store(store.pk):
        raise NotFound()
    if kind not in Warehouse.Kind.values:
        message = _("请选择类型")
        raise BusinessError("invalid_kind", message, fields={"kind": [message]}, status=422)
    name = _check_warehouse_name(store, name)
    warehouse = Warehouse.objects.create(org_id=store.org_id, store=store, name=name, kind=kind)
    audit.record(by, "warehouse.created", warehouse, after=audit.snapshot(warehouse))
    return warehouse


@transaction.atomic
def update_warehouse(
    warehouse: Warehouse, *, by: Staff, name: str | None = None, is_active: bool | None = None
) -> Warehouse:
    """Rename or (de)activate a warehouse; its stock and ledger stay."""
    scope = _scope(by, "inventory.manage")
    if warehouse.org_id != scope.org_id or not scope.covers_store(warehouse.store_id):
        raise NotFound()
    warehouse = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
    before = audit.snapshot(warehouse, ["name", "is_active"])
    if name is not None:
        warehouse.name = _check_warehouse_name(warehouse.store, name, exclude_pk=warehouse.pk)
    if is_active is not None:
        warehouse.is_active = is_active
    warehouse.save()
    old, new = audit.changed(before, audit.snapshot(warehouse, ["name", "is_active"]))
    if new:
        audit.record(by, "warehouse.updated", warehouse, before=old, after=new)
    return warehouse


# --- receipts, transfers, consumption, counts -----------------------------------------------------
@transaction.atomic
def receive_stock(
    warehouse: Warehouse,
    *,
    lines: list[ReceiptLine],
    by: Staff,
    business_date: date,
    note: str = "",
) -> StockReceipt:
    """Goods in (入库): positive quantities of stock-tracked items of the chain, with lot numbers,
    expiry and unit cost; all lines or none."""
    scope = _scope(by, "inventory.manage")
    _require_warehouse(scope, warehouse)
    ensure_period_open(warehouse.store_id, business_date, org_id=warehouse.org_id)
    _require_lines(lines)
    checked = []
    for i, line in enumerate(ReceiptLine(*line) for line in lines):
        _require_stock_item(line.item, warehouse, field=f"lines.{i}.item_id")
        quantity = _quantity(line.quantity, field=f"lines.{i}.quantity")
        cost = None
        if line.unit_cost not in (None, ""):
            cost = to_money(Decimal(str(line.unit_cost)))
            if cost < 0:
                message = _("成本不能为负数")
                raise BusinessError(
                    "invalid_cost", message, fields={f"lines.{i}.unit_cost": [message]}, status=422
                )
        checked.append(line._replace(quantity=quantity, unit_cost=cost))
    receipt = StockReceipt.objects.create(
        org_id=warehouse.org_id,
        store_id=warehouse.store_id,
        warehouse=warehouse,
        business_date=business_date,
        note=note[:200],
        by=by,
    )
    for line in sorted(checked, key=lambda line: line.item.pk):
        move_stock(
            warehouse,
            line.item,
            line.quantity,
            kind=StockMove.Kind.RECEIPT,
            by=by,
            business_date=business_date,
            lot_no=line.lot_no or "",
            expires_on=line.expires_on,
            unit_cost_amount=line.unit_cost,
            reference=receipt.reference,
            note=note,
        )
    audit.record(
        by,
        "stock.received",
        receipt,
        after={
            "warehouse_id": warehouse.pk,
            "business_date": business_date.isoformat(),
            "lines": [[line.item.pk, str(line.quantity), line.lot_no] for line in checked],
        },
    )
    return receipt


@transaction.atomic
def transfer_stock(
    from_warehouse: Warehouse,
    to_warehouse: Warehouse,
    *,
    lines: list[StockLine],
    by: Staff,
    business_date: date,
    note: str = "",
) -> StockTransfer:
    """Move stock between two warehouses of the chain (also between stores): both sides in one
    transaction, so either every line moves or nothing does. `.warnings` lists negative levels
    the sending store's "warn" policy let through."""
    scope = _scope(by, "inventory.manage")
    _require_warehouse(scope, from_warehouse, field="from_warehouse_id")
    if to_warehouse.org_id != from_warehouse.org_id:
        raise NotFound()
    if to_warehouse.pk == from_warehouse.pk:
        message = _("调出仓和调入仓不能相同")
        raise BusinessError(
            "same_warehouse", message, fields={"to_warehouse_id": [message]}, status=422
        )
    if not to_warehouse.is_active:
        message = _("%(warehouse)s 已停用") % {"warehouse": to_warehouse.name}
        raise BusinessError("warehouse_inactive", message, fields={"to_warehouse_id": [message]})
    ensure_period_open(from_warehouse.store_id, business_date, org_id=from_warehouse.org_id)
    ensure_period_open(to_warehouse.store_id, business_date, org_id=to_warehouse.org_id)
    _require_lines(lines)
    checked = []
    for i, line in enumerate(StockLine(*line) for line in lines):
        _require_stock_item(line.item, from_warehouse, field=f"lines.{i}.item_id")
        checked.append(
            line._replace(quantity=_quantity(line.quantity, field=f"lines.{i}.quantity"))
        )
    _lock_levels(
        [(from_warehouse, line.item) for line in checked]
        + [(to_warehouse, line.item) for line in checked]
    )
    transfer = StockTransfer.objects.create(
        org_id=from_warehouse.org_id,
        from_warehouse=from_warehouse,
        to_warehouse=to_warehouse,
        business_date=business_date,
        note=note[:200],
        by=by,
    )
    moves = []
    for line in checked:
        StockTransferLine.objects.create(
            transfer=transfer, item=line.item, quantity=line.quantity, lot_no=line.lot_no or ""
        )
        common = {
            "by": by,
            "business_date": business_date,
            "lot_no": line.lot_no or "",
            "reference": transfer.reference,
            "note": note,
        }
        moves.append(
            move_stock(
                from_warehouse,
                line.item,
                -line.quantity,
                kind=StockMove.Kind.TRANSFER_OUT,
                **common,
            )
        )
        move_stock(
            to_warehouse, line.item, line.quantity, kind=StockMove.Kind.TRANSFER_IN, **common
        )
    audit.record(
        by,
        "stock.transferred",
        transfer,
        after={
            "from_warehouse_id": from_warehouse.pk,
            "to_warehouse_id": to_warehouse.pk,
            "business_date": business_date.isoformat(),
            "lines": [[line.item.pk, str(line.quantity), line.lot_no] for line in checked],
        },
        store_id=from_warehouse.store_id,
    )
    transfer.warnings = _warnings(moves)
    return transfer


def _move_lines(
    warehouse: Warehouse,
    *,
    lines,
    sign: int,
    kind: str,
    action: str,
    by: Staff,
    business_date: date,
    reference: str,
    note: str = "",
) -> list[StockMove]:
    """Post document-less lines (consumption, sale, sale return) to one warehouse of the
    caller's stores, item by item in pk order, and audit them as `action`."""
    scope = _scope(by, None)
    _require_warehouse(scope, warehouse)
    ensure_period_open(warehouse.store_id, business_date, org_id=warehouse.org_id)
    _require_lines(lines)
    checked = []
    for i, line in enumerate(StockLine(*line) for line in lines):
        _require_stock_item(line.item, warehouse, field=f"lines.{i}.item_id")
        checked.append(
            line._replace(quantity=_quantity(line.quantity, field=f"lines.{i}.quantity"))
        )
    moves = [
        move_stock(
            warehouse,
            line.item,
            sign * line.quantity,
            kind=kind,
            by=by,
            business_date=business_date,
            lot_no=line.lot_no or "",
            reference=reference,
            note=note,
        )
        for line in sorted(checked, key=lambda line: line.item.pk)
    ]
    audit.record(
        by,
        action,
        warehouse,
        after={
            "reference": reference,
            "business_date": business_date.isoformat(),
            "lines": [[line.item.pk, str(line.quantity), line.lot_no] for line in checked],
        },
    )
    return moves


@transaction.atomic
def consume_stock(
    warehouse: Warehouse,
    *,
    lines: list[StockLine],
    by: Staff,
    business_date: date,
    reference: str,
    note: str = "",
) -> list[StockMove]:
    """Materials used up (消耗), e.g. by a treatment execution (reference "execution:<id>").
    The calling service checks its own permission (a nurse executing a session); here the
    warehouse must be in the caller's stores. Returns the moves; any with `went_negative` must
    be shown to the user."""
    return _consume(
        warehouse, lines=lines, by=by, business_date=business_date, reference=reference, note=note
    )


def _consume(warehouse, *, lines, by, business_date, reference, note="") -> list[StockMove]:
    return _move_lines(
        warehouse,
        lines=lines,
        sign=-1,
        kind=StockMove.Kind.CONSUMPTION,
        action="stock.consumed",
        by=by,
        business_date=business_date,
        reference=reference,
        note=note,
    )


@transaction.atomic
def issue_for_sale(
    warehouse: Warehouse, *, lines: list[StockLine], by: Staff, business_date: date, reference: str
) -> list[StockMove]:
    """Goods sold (销售出库) leave the warehouse when their order is paid (reference
    "order:<id>"). The sales service checks its own permission (taking payment). Under the
    store's "block" policy a shortage raises `insufficient_stock` (naming the item and what is
    on hand); under "warn" the returned moves carry `went_negative`."""
    return _move_lines(
        warehouse,
        lines=lines,
        sign=-1,
        kind=StockMove.Kind.SALE,
        action="stock.sold",
        by=by,
        business_date=business_date,
        reference=reference,
    )


@transaction.atomic
def return_from_sale(
    warehouse: Warehouse, *, lines: list[StockLine], by: Staff, business_date: date, reference: str
) -> list[StockMove]:
    """Refunded goods (销售退货) go back to the warehouse they were sold from."""
    return _move_lines(
        warehouse,
        lines=lines,
        sign=1,
        kind=StockMove.Kind.SALE_RETURN,
        action="stock.sale_returned",
        by=by,
        business_date=business_date,
        reference=reference,
    )


def stock_warnings(moves: list[StockMove]) -> list[str]:
    """The messages to show for moves that took a level below zero ("warn" policy)."""
    return _warnings(moves)


def material_lines(service: Item, *, sessions: int = 1) -> list[StockLine]:
    """What `sessions` sessions of a service consume, from its configured materials."""

    def load():
        usages = MaterialUsage.objects.filter(service=service).select_related("material")
        return tuple((u.material, u.quantity) for u in usages)

    usages = settings_cache.cached(service.org_id, ("materials", service.pk), load)
    return [StockLine(material, quantity * sessions) for material, quantity in usages]


@transaction.atomic(savepoint=False)  # part of the execution's change: no savepoint of its own
def consume_materials(
    store: Store,
    *,
    service: Item,
    sessions: int,
    by: Staff,
    business_date: date,
    reference: str,
) -> list[StockMove]:
    """Consume a service's configured materials × sessions from the store's default warehouses
    (drugs from the pharmacy, everything else from the warehouse). For treatment execution."""
    by_warehouse: dict[int, list[StockLine]] = defaultdict(list)
    warehouses: dict[int, Warehouse] = {}
    for line in material_lines(service, sessions=sessions):
        if not line.item.track_stock:
            continue
        warehouse = default_warehouse(store, line.item.kind)
        if warehouse is None:
            message = _("%(store)s 没有可用的仓库或药房") % {"store": store.name}
            raise BusinessError("no_warehouse", message)
        warehouses[warehouse.pk] = warehouse
        by_warehouse[warehouse.pk].append(line)
    moves = []
    for pk in sorted(by_warehouse):
        moves += _consume(
            warehouses[pk],
            lines=by_warehouse[pk],
            by=by,
            business_date=business_date,
            reference=reference,
        )
    return moves


@transaction.atomic
def count_stock(
    warehouse: Warehouse,
    *,
    counted: dict[Item, Decimal],
    by: Staff,
    business_date: date,
    note: str = "",
) -> StockCount:
    """Post a stock count (盘点): for each counted item the difference to the book quantity
    becomes a count-adjustment move. A count sets reality, so it skips the negative check."""
    scope = _scope(by, "inventory.manage")
    _require_warehouse(scope, warehouse)
    ensure_period_open(warehouse.store_id, business_date, org_id=warehouse.org_id)
    pairs = list(counted.items()) if isinstance(counted, dict) else list(counted)
    _require_lines(pairs)
    if len({item.pk for item, _q in pairs}) != len(pairs):
        message = _("同一物品只能盘点一次")
        raise BusinessError("duplicate_item", message, fields={"counted": [message]}, status=422)
    checked = []
    for item, quantity in pairs:
        _require_stock_item(item, warehouse, field=f"counted.{item.pk}")
        checked.append((item, _quantity(quantity, field=f"counted.{item.pk}", allow_zero=True)))
    _lock_levels([(warehouse, item) for item, _q in checked])
    count = StockCount.objects.create(
        org_id=warehouse.org_id,
        store_id=warehouse.store_id,
        warehouse=warehouse,
        business_date=business_date,
        note=note[:200],
        by=by,
    )
    on_hand = dict(
        StockLevel.objects.filter(
            warehouse=warehouse, item__in=[item for item, _q in checked]
        ).values_list("item_id", "quantity")
    )
    for item, quantity in sorted(checked, key=lambda pair: pair[0].pk):
        expected = on_hand.get(item.pk, Decimal(0))
        StockCountLine.objects.create(
            count=count, item=item, expected_quantity=expected, counted_quantity=quantity
        )
        if quantity != expected:
            move_stock(
                warehouse,
                item,
                quantity - expected,
                kind=StockMove.Kind.COUNT_ADJUSTMENT,
                by=by,
                business_date=business_date,
                reference=count.reference,
                note=note,
                enforce_on_hand=False,
            )
    audit.record(
        by,
        "stock.counted",
        count,
        after={
            "warehouse_id": warehouse.pk,
            "business_date": business_date.isoformat(),
            "lines": [
                [item.pk, str(on_hand.get(item.pk, Decimal(0))), str(quantity)]
                for item, quantity in checked
            ],
        },
    )
    return count
