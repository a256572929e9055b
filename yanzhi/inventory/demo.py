"""Demo stock for the demo chain: a warehouse (仓库) and a pharmacy (药房) per store, and opening
stock of every stock-tracked item, received through the service with lot numbers and expiry.
The demo builder calls `build_inventory` after the catalogue is built."""

import random
from datetime import timedelta
from decimal import Decimal

from yanzhi.catalog.models import Item
from yanzhi.core.timeutil import store_today
from yanzhi.inventory import services
from yanzhi.inventory.models import Warehouse


def _lot(item: Item, day, n: int) -> str:
    prefix = "".join(ch for ch in item.code.upper() if ch.isalnum())[:2] or "LT"
    return f"{prefix}{day:%Y%m}{n:02d}"


def build_inventory(org, stores, by_store_manager: dict, *, seed: int = 7) -> list[Warehouse]:
    """Create each store's warehouse and pharmacy and receive opening stock (drugs into the
    pharmacy, everything else into the warehouse), dated today in the store's timezone.
    `by_store_manager` maps a store code to the manager who signs the receipts."""
    rng = random.Random(seed)
    items = list(Item.objects.filter(org=org, track_stock=True, is_active=True).order_by("code"))
    created = []
    for store in stores:
        manager = by_store_manager[store.code]
        warehouse = services.create_warehouse(
            store, name=f"{store.name}仓库", kind=Warehouse.Kind.WAREHOUSE, by=manager
        )
        pharmacy = services.create_warehouse(
            store, name=f"{store.name}药房", kind=Warehouse.Kind.PHARMACY, by=manager
        )
        created += [warehouse, pharmacy]
        today = store_today(store)
        lines = {warehouse.pk: [], pharmacy.pk: []}
        for n, item in enumerate(items, start=1):
            target = pharmacy if item.kind == Item.Kind.DRUG else warehouse
            quantity = Decimal(rng.choice([10, 20, 30, 50, 100]))
            expires = today + timedelta(days=rng.choice([365, 540, 730]))
            cost = (item.price_amount * Decimal("0.3")).quantize(Decimal("0.01"))
            lines[target.pk].append(
                services.ReceiptLine(item, quantity, _lot(item, today, n), expires, cost)
            )
        for target in (warehouse, pharmacy):
            if lines[target.pk]:
                services.receive_stock(
                    target,
                    lines=lines[target.pk],
                    by=manager,
                    business_date=today,
                    note="期初库存",
                )
    return created
