"""Catalogue fixtures: a third store C without a Thermage device, departments, and a small
chain catalogue built through the services."""

from decimal import Decimal

import pytest

from yanzhi.catalog import services
from yanzhi.catalog.models import Item
from yanzhi.org.tests.factories import DepartmentFactory, StoreFactory, make_staff


@pytest.fixture
def store_c(chain):
    return StoreFactory(org=chain, name="西湖店", code="C")


@pytest.fixture
def store_c_consultant(chain, store_c):
    return make_staff(chain, "consultant", [store_c], name="C咨询师田甜", username="c_consultant")


@pytest.fixture
def store_b_manager(chain, store_b):
    return make_staff(chain, "store_manager", [store_b], name="B店长", username="b_manager")


@pytest.fixture
def skin(chain):
    return DepartmentFactory(org=chain, name="皮肤科")


@pytest.fixture
def make_service(chain, hq_admin, skin):
    def make(code, name, price, **extra):
        return services.create_item(
            chain,
            kind=Item.Kind.SERVICE,
            code=code,
            name=name,
            price_amount=Decimal(price),
            department=extra.pop("department", skin),
            by=hq_admin,
            **extra,
        )

    return make


@pytest.fixture
def make_stocked(chain, hq_admin):
    def make(code, name, price, *, kind=Item.Kind.DRUG, material_no=None, **extra):
        return services.create_item(
            chain,
            kind=kind,
            code=code,
            name=name,
            price_amount=Decimal(price),
            unit=extra.pop("unit", "支"),
            track_stock=True,
            material_no=material_no or f"M-{code}",
            by=hq_admin,
            **extra,
        )

    return make


@pytest.fixture
def ipl(make_service):
    return make_service("S001", "光子嫩肤", "1280.00")


@pytest.fixture
def thermage(make_service):
    return make_service("S002", "热玛吉 全脸", "19800.00")


@pytest.fixture
def seed_chain(chain, hq_admin, store_a, store_b, store_c, ipl, thermage):
    """The seed's scenario: IPL to all three stores, Thermage only to A and B (C has no
    device), both with free pricing on."""
    services.assign_items(
        chain, item_ids=[ipl.pk], store_ids=[store_a.pk, store_b.pk, store_c.pk], by=hq_admin
    )
    services.assign_items(
        chain,
        item_ids=[thermage.pk],
        store_ids=[store_a.pk, store_b.pk],
        free_pricing=True,
        by=hq_admin,
    )
    return chain
