"""Treatment execution consumes a service's materials from the store's default warehouses."""

from decimal import Decimal

import pytest
from django.db import transaction

from yanzhi.catalog.models import MaterialUsage
from yanzhi.core.errors import BusinessError
from yanzhi.inventory.models import StockLevel, StockMove
from yanzhi.inventory.queries import default_warehouse
from yanzhi.inventory.services import consume_materials
from yanzhi.inventory.tests.conftest import TODAY
from yanzhi.org import settings_cache

pytestmark = pytest.mark.django_db


def test_default_warehouse_by_item_kind(store_a, warehouse_a, pharmacy_a):
    assert default_warehouse(store_a, "drug") == pharmacy_a
    assert default_warehouse(store_a, "product") == warehouse_a


def test_default_warehouse_falls_back_to_the_only_one(store_a, warehouse_a):
    assert default_warehouse(store_a, "drug") == warehouse_a


def test_a_request_keeps_the_stores_warehouses_until_one_changes(
    store_a, warehouse_a, pharmacy_a, django_assert_num_queries
):
    org = store_a.org

    def request():  # a signed-in request binds the chain's settings version
        org.refresh_from_db(fields=["settings_version"])
        return settings_cache.bound(org.pk, org.settings_version)

    settings_cache.clear()
    with request(), django_assert_num_queries(1):
        assert default_warehouse(store_a, "drug") == pharmacy_a
        assert default_warehouse(store_a, "product") == warehouse_a
    with request(), django_assert_num_queries(0):
        assert default_warehouse(store_a, "drug").store.name == store_a.name
    pharmacy_a.is_active = False
    pharmacy_a.save()  # in another process, say: the next request sees it
    with request():
        assert default_warehouse(store_a, "drug") == warehouse_a


def test_materials_times_sessions_from_the_right_warehouses(
    store_a, warehouse_a, pharmacy_a, filler, mask, service_item, stock, store_a_nurse
):
    # given: one session uses 0.5 filler (a drug) and 1 mask (a product)
    MaterialUsage.objects.create(service=service_item, material=filler, quantity=Decimal("0.5"))
    MaterialUsage.objects.create(service=service_item, material=mask, quantity=Decimal("1"))
    stock(pharmacy_a, filler, "5")
    stock(warehouse_a, mask, "5")
    # when: two sessions are executed
    moves = consume_materials(
        store_a,
        service=service_item,
        sessions=2,
        by=store_a_nurse,
        business_date=TODAY,
        reference="execution:42",
    )
    # then
    assert len(moves) == 2
    assert StockLevel.objects.get(warehouse=pharmacy_a, item=filler).quantity == 4
    assert StockLevel.objects.get(warehouse=warehouse_a, item=mask).quantity == 3
    assert set(
        StockMove.objects.filter(kind="consumption").values_list("reference", flat=True)
    ) == {"execution:42"}


def test_materials_short_in_one_warehouse_consume_nothing(
    store_a, warehouse_a, pharmacy_a, filler, mask, service_item, stock, store_a_nurse
):
    MaterialUsage.objects.create(service=service_item, material=filler, quantity=Decimal("1"))
    MaterialUsage.objects.create(service=service_item, material=mask, quantity=Decimal("1"))
    stock(pharmacy_a, filler, "5")  # no masks at all
    # (as inside an execution: the caller's change fails as a whole)
    with pytest.raises(BusinessError, match="insufficient_stock"), transaction.atomic():
        consume_materials(
            store_a,
            service=service_item,
            sessions=1,
            by=store_a_nurse,
            business_date=TODAY,
            reference="execution:43",
        )
    assert StockLevel.objects.get(warehouse=pharmacy_a, item=filler).quantity == 5
    assert not StockMove.objects.filter(kind="consumption").exists()
