"""The one module of sales that talks to the inventory app: sold goods leave stock when their
order becomes paid (销售出库), refunded goods come back (销售退货). Both use the reference
"order:<id>", so the stock ledger shows which order moved what.

Only product and drug lines whose item tracks stock move (a package's parts and services do
not: materials used by a treatment leave stock at execution). Goods leave the store's default
warehouse for their kind (drugs: the pharmacy). Under the store's "block" policy a shortage
refuses the whole payment; under "warn" it goes through and the warnings are returned.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Sum, prefetch_related_objects
from django.utils.translation import gettext as _

from yanzhi.catalog.models import Item
from yanzhi.core.errors import BusinessError
from yanzhi.inventory import services as inventory
from yanzhi.inventory.models import StockMove, Warehouse
from yanzhi.inventory.queries import default_warehouse
from yanzhi.org.models import Staff
from yanzhi.sales.models import OrderLine

STOCK_KINDS = (Item.Kind.PRODUCT, Item.Kind.DRUG)


def reference(order) -> str:
    return f"order:{order.pk}"


def _stocked(line) -> bool:
    return line.kind in STOCK_KINDS and line.item.track_stock


def take_sold_goods(order, *, day: date, by: Staff) -> list[str]:
    """Issue the paid order's stock-tracked goods from the store's default warehouses; returns
    the negative-stock warnings ("warn" policy). Raises (and so refuses the payment) on a
    shortage under "block" or when the store has no warehouse."""
    by_warehouse: dict[int, list] = defaultdict(list)
    warehouses: dict[int, Warehouse] = {}
    prefetch_related_objects(  # the payment has read them already
        [order], Prefetch("lines", queryset=OrderLine.objects.select_related("item").order_by("pk"))
    )
    for line in order.lines.all():
        if not _stocked(line):
            continue
        warehouse = default_warehouse(order.store, line.kind)
        if warehouse is None:
            message = _("%(store)s 没有可用的仓库或药房,不能出库 %(item)s") % {
                "store": order.store.name,
                "item": line.item.name,
            }
            raise BusinessError("no_warehouse", message, fields={"lines": [message]}, status=409)
        warehouses[warehouse.pk] = warehouse
        by_warehouse[warehouse.pk].append(inventory.StockLine(line.item, line.quantity))
    moves = []
    for pk in sorted(by_warehouse):
        moves += inventory.issue_for_sale(
            warehouses[pk],
            lines=by_warehouse[pk],
            by=by,
            business_date=day,
            reference=reference(order),
        )
    return inventory.stock_warnings(moves)


def return_refunded_goods(order, refunded: list[tuple], *, day: date, by: Staff) -> None:
    """Put refunded units of stock-tracked goods back into the warehouse they left, never more
    than the order took out (an order paid before goods were tracked took nothing)."""
    wanted = {}
    for line, units in refunded:
        if _stocked(line):
            wanted[line.item_id] = wanted.get(line.item_id, 0) + units
    if not wanted:
        return
    out = (
        StockMove.objects.filter(
            org_id=order.org_id,
            reference=reference(order),
            kind__in=[StockMove.Kind.SALE, StockMove.Kind.SALE_RETURN],
            item_id__in=list(wanted),
        )
        .order_by()
        .values("warehouse_id", "item_id")
        .annotate(net=Sum("delta"))
    )
    items = {line.item_id: line.item for line, _units in refunded}
    by_warehouse: dict[int, list] = defaultdict(list)
    for row in sorted(out, key=lambda r: (r["warehouse_id"], r["item_id"])):
        taken = -row["net"]
        quantity = min(Decimal(wanted[row["item_id"]]), taken)
        if quantity <= 0:
            continue
        wanted[row["item_id"]] -= int(quantity)
        by_warehouse[row["warehouse_id"]].append(
            inventory.StockLine(items[row["item_id"]], quantity)
        )
    warehouses = Warehouse.objects.in_bulk(list(by_warehouse))
    for pk in sorted(by_warehouse):
        inventory.return_from_sale(
            warehouses[pk],
            lines=by_warehouse[pk],
            by=by,
            business_date=day,
            reference=reference(order),
        )
