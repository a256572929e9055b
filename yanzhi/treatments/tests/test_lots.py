"""A product lot is traceable: every customer treated with it, across the chain or the scope."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yanzhi.org.policy import scope_for
from yanzhi.treatments.queries import customers_treated_with_lot
from yanzhi.treatments.services import execute_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def treated(customer_a, customer_b, hydra, grant, store_a_nurse, store_b_nurse, store_b):
    """Customer A treated in store A and customer B in store B with lot HA-77; another lot too."""
    a = execute_session(grant(customer_a, hydra), by=store_a_nurse, lot_no="HA-77")
    b = execute_session(grant(customer_b, hydra, store=store_b), by=store_b_nurse, lot_no="HA-77")
    execute_session(grant(customer_a, hydra), by=store_a_nurse, lot_no="HA-78")
    return a, b


def test_hq_sees_every_store_in_one_query(treated, hq_admin):
    with CaptureQueriesContext(connection) as queries:
        rows = [
            (x.customer.name, x.store.name, x.item.name, x.performed_by.name)
            for x in customers_treated_with_lot(scope_for(hq_admin), "ha-77")
        ]
    assert len(queries) == 1
    assert sorted(rows) == [
        ("李丽", "浦东店", "水光针", "B护士"),
        ("王小美", "静安店", "水光针", "A护士孙丽"),
    ]


def test_a_store_user_sees_only_their_scope(treated, store_a_manager, client_for):
    a, b = treated
    assert list(customers_treated_with_lot(scope_for(store_a_manager), "HA-77")) == [a]
    page = client_for(store_a_manager).get("/treatments/lots/", {"lot": "HA-77"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "王小美" in html and "李丽" not in html and "139****1111" in html
    assert "13900001111" not in html


def test_a_consultant_sees_only_their_customers(treated, store_a_consultant_2):
    assert list(customers_treated_with_lot(scope_for(store_a_consultant_2), "HA-77")) == []


def test_the_lot_endpoint(treated, hq_admin, other_chain_admin, api_for):
    body = api_for(hq_admin).get("/lots/HA-77/customers").json()
    assert body["count"] == 2
    assert {row["store"]["name"] for row in body["items"]} == {"静安店", "浦东店"}
    assert all("****" in row["customer"]["masked_phone"] for row in body["items"])
    assert api_for(other_chain_admin).get("/lots/HA-77/customers").json()["count"] == 0
