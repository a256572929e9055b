"""The stock check of `manage.py check_balances`: every StockLevel against its StockMove sum."""

from yanzhi.core.balances import Mismatch, register
from yanzhi.inventory.queries import ledger_mismatches, ledger_without_level


@register("stock")
def check_stock():
    for level in ledger_mismatches():
        yield Mismatch(
            ledger="stock",
            key=f"{level.warehouse.store.name} {level.warehouse.name} / {level.item.name} "
            f"(stock level {level.pk})",
            stored=level.quantity,
            recomputed=level.ledger,
        )
    for row in ledger_without_level():
        yield Mismatch(
            ledger="stock",
            key=f"warehouse {row['warehouse_id']} / item {row['item_id']} (no stock level)",
            stored=None,
            recomputed=row["total"],
        )
