from datetime import date
from decimal import Decimal

import pytest
import time_machine

from yanzhi.catalog.models import Item, StoreItem
from yanzhi.inventory.models import Warehouse
from yanzhi.inventory.services import ReceiptLine, receive_stock
from yanzhi.org.tests.factories import make_staff

TODAY = date(2026, 3, 16)


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Mid-March 2026 in Shanghai: February has ended, March is the open period."""
    with time_machine.travel("2026-03-16 10:00:00+08:00", tick=True):
        yield


def make_item(
    org, code, *, name=None, kind=Item.Kind.PRODUCT, track_stock=True, material_no="", stores=None
):
    """An item of the chain, assigned (as HQ distributes it) to `stores` — by default to every
    store the chain has so far: a store only stocks items assigned to it."""
    item = Item.objects.create(
        org=org,
        kind=kind,
        code=code,
        name=name or f"物品{code}",
        price_amount=Decimal("100.00"),
        material_no=material_no or f"M-{code}",
        track_stock=track_stock,
        unit="支",
    )
    for store in org.stores.all() if stores is None else stores:
        StoreItem.objects.create(org=org, store=store, item=item)
    return item


@pytest.fixture
def filler(chain, store_a, store_b):
    return make_item(chain, "HA1", name="玻尿酸1ml", kind=Item.Kind.DRUG, material_no="WL-0001")


@pytest.fixture
def mask(chain, store_a, store_b):
    return make_item(chain, "MASK", name="修复面膜", material_no="WL-0002")


@pytest.fixture
def service_item(chain, store_a, store_b):
    return make_item(chain, "SVC", name="水光针", kind=Item.Kind.SERVICE, track_stock=False)


@pytest.fixture
def warehouse_a(store_a):
    return Warehouse.objects.create(
        org=store_a.org, store=store_a, name="静安仓库", kind=Warehouse.Kind.WAREHOUSE
    )


@pytest.fixture
def pharmacy_a(store_a):
    return Warehouse.objects.create(
        org=store_a.org, store=store_a, name="静安药房", kind=Warehouse.Kind.PHARMACY
    )


@pytest.fixture
def warehouse_b(store_b):
    return Warehouse.objects.create(
        org=store_b.org, store=store_b, name="浦东仓库", kind=Warehouse.Kind.WAREHOUSE
    )


@pytest.fixture
def other_warehouse(other_chain):
    store = other_chain.stores.get()
    return Warehouse.objects.create(
        org=other_chain, store=store, name="别家仓库", kind=Warehouse.Kind.WAREHOUSE
    )


@pytest.fixture
def store_b_manager(chain, store_b):
    return make_staff(chain, "store_manager", [store_b], name="B店长", username="b_manager")


@pytest.fixture
def stock(hq_admin):
    """stock(warehouse, item, quantity, lot_no="LOT1") receives stock dated today (by HQ)."""

    def receive(warehouse, item, quantity, lot_no="LOT1"):
        return receive_stock(
            warehouse,
            lines=[ReceiptLine(item, Decimal(quantity), lot_no)],
            by=hq_admin,
            business_date=TODAY,
        )

    return receive
