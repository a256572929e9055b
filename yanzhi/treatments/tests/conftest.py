from datetime import date
from decimal import Decimal

import pytest
import time_machine

from yanzhi.catalog.models import Item, MaterialUsage
from yanzhi.customers.tests.factories import make_customer
from yanzhi.inventory.models import Warehouse
from yanzhi.inventory.services import ReceiptLine, receive_stock
from yanzhi.org.tests.factories import make_staff
from yanzhi.treatments.services import grant_entitlement

TODAY = date(2026, 3, 16)


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Mid-March 2026 in Shanghai: February has ended, March is the open period."""
    with time_machine.travel("2026-03-16 10:00:00+08:00", tick=True):
        yield


def make_item(org, code, *, name=None, kind=Item.Kind.SERVICE, track_stock=False, price="980"):
    return Item.objects.create(
        org=org,
        kind=kind,
        code=code,
        name=name or f"项目{code}",
        price_amount=Decimal(price),
        material_no=f"M-{code}" if track_stock else "",
        track_stock=track_stock,
        unit="次" if kind == Item.Kind.SERVICE else "支",
    )


@pytest.fixture
def hydra(chain):
    """水光针: a service item that uses 1 ml of filler per session."""
    return make_item(chain, "SGZ", name="水光针")


@pytest.fixture
def filler(chain, hydra):
    drug = make_item(chain, "HA1", name="玻尿酸1ml", kind=Item.Kind.DRUG, track_stock=True)
    MaterialUsage.objects.create(service=hydra, material=drug, quantity=Decimal("1"))
    return drug


@pytest.fixture
def pharmacy_a(store_a):
    return Warehouse.objects.create(
        org=store_a.org, store=store_a, name="静安药房", kind=Warehouse.Kind.PHARMACY
    )


@pytest.fixture
def pharmacy_b(store_b):
    return Warehouse.objects.create(
        org=store_b.org, store=store_b, name="浦东药房", kind=Warehouse.Kind.PHARMACY
    )


@pytest.fixture
def stock(hq_admin):
    def receive(warehouse, item, quantity, lot_no="LOT1"):
        return receive_stock(
            warehouse,
            lines=[ReceiptLine(item, Decimal(quantity), lot_no)],
            by=hq_admin,
            business_date=TODAY,
        )

    return receive


@pytest.fixture
def customer_a(store_a, store_a_consultant):
    return make_customer(store_a, name="王小美", phone="13900001111", consultant=store_a_consultant)


@pytest.fixture
def customer_b(store_b, store_b_consultant):
    return make_customer(store_b, name="李丽", phone="13900002222", consultant=store_b_consultant)


@pytest.fixture
def store_b_nurse(chain, store_b):
    return make_staff(chain, "nurse", [store_b], name="B护士", username="b_nurse")


@pytest.fixture
def grant(store_a_cashier):
    """grant(customer, item, sessions=3, value="300.00", **kw) opens a course as a paid line."""

    def make(customer, item, sessions=3, value="300.00", **kwargs):
        kwargs.setdefault("source_kind", "purchase")
        kwargs.setdefault("store", customer.store)
        return grant_entitlement(
            customer=customer,
            item=item,
            sessions=sessions,
            unit_value_amount=Decimal(value),
            by=kwargs.pop("by", store_a_cashier),
            **kwargs,
        )

    return make
