"""Marketing fixtures: a clock frozen at 2026-03-16 10:00 in Shanghai, an item, channels, and
helpers that make deals, arrivals and refunds happen at a chosen moment through the real
services (so the customer summaries are what production keeps)."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from yanzhi.catalog.models import Item, StoreItem
from yanzhi.customers.models import SourceChannel
from yanzhi.sales import services as sales
from yanzhi.sales.services import PaymentLine

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 16, 10, 0, tzinfo=SHANGHAI)


def at(y, m, d, hour=10):
    return datetime(y, m, d, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hydra(chain, store_a, store_b):
    item = Item.objects.create(
        org=chain,
        kind=Item.Kind.SERVICE,
        code="S01",
        name="水光针",
        price_amount=Decimal("1000.00"),
        order_type="医美",
    )
    for store in (store_a, store_b):
        StoreItem.objects.create(org_id=chain.pk, store=store, item=item)
    return item


@pytest.fixture
def cream(chain, store_a):
    item = Item.objects.create(
        org=chain,
        kind=Item.Kind.PRODUCT,
        code="P01",
        name="修复霜",
        price_amount=Decimal("200.00"),
        order_type="医美",
    )
    StoreItem.objects.create(org_id=chain.pk, store=store_a, item=item)
    return item


@pytest.fixture
def meituan(chain):
    return SourceChannel.objects.create(org=chain, name="美团点评", kind="ecommerce")


@pytest.fixture
def soyoung(chain):
    return SourceChannel.objects.create(org=chain, name="新氧", kind="ecommerce")


@pytest.fixture
def deal(store_a_cashier, store_a_consultant):
    """deal(customer, when, item, cashier=…) -> a paid order at `when`, paid in cash."""

    def make(customer, when, item, *, store=None, seller=None, cashier=None):
        store = store or customer.store
        with time_machine.travel(when, tick=False):
            order = sales.open_order(
                customer,
                store=store,
                by=seller or store_a_consultant,
                lines=[(item.pk, 1, "0")],
                order_type="医美",
            )
            order = sales.submit_order(order, by=seller or store_a_consultant)
            return sales.pay_order(
                order,
                payments=[PaymentLine("cash", order.payable_amount)],
                by=cashier or store_a_cashier,
            )

    return make


@pytest.fixture
def refund(store_a_manager):
    def make(order, when):
        with time_machine.travel(when, tick=False):
            return sales.refund_order(order, full=True, by=store_a_manager, reason="不满意")

    return make


@pytest.fixture
def arrive(store_a_front_desk):
    def make(customer, when):
        from yanzhi.visits.services import leave, register_arrival

        with time_machine.travel(when, tick=False):
            visit = register_arrival(customer.store, customer=customer, by=store_a_front_desk)
            return leave(visit, by=store_a_front_desk)

    return make
