"""The stock ledger of what the generated orders sold (销售出库) and took back (销售退货), with
goods receipts (入库) whenever a warehouse would otherwise run short, and the stock levels at the
end — so `check_balances` finds every level equal to its moves. Runs after the history, over the
order lines in time order per warehouse and item (a stream: memory stays flat)."""

from yanzhi.demo.generator.clock import MINUTE
from yanzhi.demo.generator.tables import RECEIPT, STOCK_LEVEL, STOCK_MOVE
from yanzhi.sales.models import Order, OrderLine

BATCH = 20_000


def build_stock(world, clock, writer, ids: dict, *, progress=None) -> int:
    c = clock
    money, quantity = c.money, c.quantity  # → column values (numeric(12, 2) and (12, 3))
    org = world.org_id
    stores = {s.id: s for s in world.stores}
    items = {i.id: i for i in world.items.values()}
    lines = (
        OrderLine.objects.filter(
            order__org_id=org,
            order__status__in=[Order.Status.PAID, Order.Status.REFUNDED],
            item__track_stock=True,
            kind__in=["product", "drug"],
        )
        .order_by("order__store_id", "item_id", "order__paid_at", "pk")
        .values_list(
            "order__store_id",
            "item_id",
            "kind",
            "quantity",
            "refunded_quantity",
            "order_id",
            "order__paid_at",
            "order__updated_at",
            "order__business_date",
        )
    )
    receipts, moves, levels = [], [], []
    written = 0

    def flush(final=False):
        nonlocal written
        if final or len(moves) >= BATCH:
            writer.write(RECEIPT, receipts)
            writer.write(STOCK_MOVE, moves)
            written += len(receipts) + len(moves)
            receipts.clear()
            moves.clear()
            if progress:
                progress(written)

    def nid(name):
        value = ids[name]
        ids[name] = value + 1
        return value

    key, balance, last_ts, events = None, 0, 0, []

    def close(key, balance, last_ts):
        if key is None:
            return
        store_id, item_id, warehouse_id = key
        levels.append(
            (nid("stock_level"), org, warehouse_id, item_id, quantity(balance), c.ts(last_ts))
        )

    def process(key, events):
        """Moves of one warehouse and item, in time order, receipts where needed."""
        store_id, item_id, warehouse_id = key
        store, item = stores[store_id], items[item_id]
        manager = store.staff["store_manager"][0]
        cashier = store.staff.get("cashier", [manager])[0]
        balance, last_ts, batch_no = 0, 0, 0
        for ts, delta, kind, reference, day in sorted(events):
            if delta < 0 and balance + delta < 0:
                batch_no += 1
                at = max(last_ts + 1, ts - 30 * MINUTE)
                size = max(-delta - balance, 10 if item.price > 100000 else 40)
                rid = nid("receipt")
                receipts.append(
                    (rid, org, store_id, warehouse_id, c.day(c.day_of(at)), "", manager, c.ts(at))
                )
                balance += size
                moves.append(
                    (nid("stock_move"), org, store_id, warehouse_id, item_id, "receipt",
                     quantity(size), quantity(balance), False,
                     f"B{c.date(c.day_of(at)):%y%m}{batch_no:03d}",
                     c.day(c.day_of(at) + 730), money(item.price * 4 // 10), c.day(c.day_of(at)),
                     f"receipt:{rid}", "", manager, c.ts(at))
                )  # fmt: skip
                last_ts = at
            balance += delta
            moves.append(
                (nid("stock_move"), org, store_id, warehouse_id, item_id, kind, quantity(delta),
                 quantity(balance), False, "", None, None, c.day(day), reference, "", cashier,
                 c.ts(ts))
            )  # fmt: skip
            last_ts = max(last_ts, ts)
        return balance, last_ts

    for (
        store_id,
        item_id,
        kind,
        qty,
        refunded,
        order_id,
        paid_at,
        updated_at,
        business_date,
    ) in lines.iterator(chunk_size=BATCH):
        store = stores[store_id]
        warehouse_id = store.pharmacy_id if kind == "drug" else store.warehouse_id
        this = (store_id, item_id, warehouse_id)
        if this != key:
            if key is not None:
                balance, last_ts = process(key, events)
                close(key, balance, last_ts)
                flush()
            key, events = this, []
        sold = int(paid_at.timestamp())
        events.append((sold, -qty, "sale", f"order:{order_id}", c.day_number(business_date)))
        if refunded:
            back = int(updated_at.timestamp())
            events.append((back, refunded, "sale_return", f"order:{order_id}", c.day_of(back)))
    if key is not None:
        balance, last_ts = process(key, events)
        close(key, balance, last_ts)
    flush(final=True)
    writer.write(STOCK_LEVEL, levels)
    return written + len(levels)
