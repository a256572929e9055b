"""Sales fixtures: a small catalogue assigned to store A, a customer of consultant 张敏, and
helpers to get an order to the state a test needs."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from yanzhi.catalog.models import Item, PackageComponent, StoreItem
from yanzhi.customers.tests.factories import make_customer
from yanzhi.sales import services
from yanzhi.sales.services import PaymentLine

TODAY = date(2026, 3, 16)


@pytest.fixture(autouse=True)
def _frozen_clock():
    """Mid-March 2026 in Shanghai: February has ended, March is the open period."""
    with time_machine.travel("2026-03-16 10:00:00+08:00", tick=True):
        yield


def make_item(org, code, name, price, kind=Item.Kind.SERVICE, **extra):
    return Item.objects.create(
        org=org,
        kind=kind,
        code=code,
        name=name,
        price_amount=Decimal(price),
        order_type=extra.pop("order_type", "医美"),
        **extra,
    )


def assign(item, *stores, price=None):
    for store in stores:
        StoreItem.objects.create(
            org_id=store.org_id,
            store=store,
            item=item,
            free_pricing=price is not None,
            price_amount=Decimal(price) if price else None,
        )
    return item


@pytest.fixture
def hydra(chain, store_a):
    return assign(make_item(chain, "S01", "水光针", "1000.00"), store_a)


@pytest.fixture
def cream(chain, store_a):
    return assign(make_item(chain, "P01", "修复霜", "200.00", kind=Item.Kind.PRODUCT), store_a)


@pytest.fixture
def sv_card(chain, store_a):
    """A ¥10,000 stored-value card worth ¥11,000."""
    return assign(
        make_item(
            chain,
            "C01",
            "万元储值卡",
            "10000.00",
            kind=Item.Kind.CARD,
            card_type=Item.CardType.STORED_VALUE,
            card_value_amount=Decimal("11000.00"),
            valid_days=365,
        ),
        store_a,
    )


@pytest.fixture
def session_card(chain, store_a, hydra):
    return assign(
        make_item(
            chain,
            "C02",
            "水光5次卡",
            "4000.00",
            kind=Item.Kind.CARD,
            card_type=Item.CardType.SESSIONS,
            card_sessions=5,
            card_service=hydra,
        ),
        store_a,
    )


@pytest.fixture
def package(chain, store_a, hydra):
    laser = make_item(chain, "S02", "激光点痣", "300.00")
    package = make_item(chain, "K01", "新年福袋", "79.00", kind=Item.Kind.PACKAGE)
    PackageComponent.objects.create(package=package, item=hydra, quantity=1)
    PackageComponent.objects.create(package=package, item=laser, quantity=2)
    return assign(package, store_a)


@pytest.fixture
def unassigned(chain, store_b):
    return assign(make_item(chain, "S09", "热玛吉", "19800.00"), store_b)


@pytest.fixture
def customer(store_a, store_a_consultant):
    return make_customer(store_a, name="王小美", consultant=store_a_consultant)


@pytest.fixture
def open_pending(store_a, store_a_consultant, customer):
    """open_pending(lines, customer=…) -> a submitted order at store A."""

    def make(lines, cust=None, order_type="医美"):
        order = services.open_order(
            cust or customer,
            store=store_a,
            by=store_a_consultant,
            lines=lines,
            order_type=order_type,
        )
        return services.submit_order(order, by=store_a_consultant)

    return make


@pytest.fixture
def card_with(open_pending, store_a_cashier, sv_card, customer):
    """card_with() -> the customer's stored-value card (¥11,000) bought and paid in cash."""

    def make(cust=None):
        order = open_pending([(sv_card.pk, 1, 0)], cust=cust)
        services.pay_order(order, payments=[cash(order.payable_amount)], by=store_a_cashier)
        return order.customer.stored_value_cards.get()

    return make


def cash(amount):
    return PaymentLine("cash", Decimal(amount))


def card_line(card, amount):
    return PaymentLine("stored_value", Decimal(amount), card_id=card.pk)


def use_session(line, n=1):
    """Execute n sessions of what the line granted, through the treatments service (a nurse of
    the order's store performs them)."""
    from yanzhi.org.tests.factories import make_staff
    from yanzhi.treatments.models import Entitlement
    from yanzhi.treatments.services import execute_session

    store = line.order.store
    nurse = make_staff(store.org, "nurse", [store])
    entitlement = Entitlement.objects.filter(source_line_id=line.pk).order_by("pk").first()
    return execute_session(entitlement, by=nurse, sessions=n)
