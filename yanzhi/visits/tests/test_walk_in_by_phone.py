"""Finding a walk-in customer of another store by full phone on the arrival page is for the roles
that register arrivals; other roles find only the customers in their own scope (a leak the scope
walk, yanzhi/e2e/test_scope_walk.py, found)."""

import pytest

from yanzhi.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def store_b_customer(store_b, store_b_consultant):
    return make_customer(
        store_b,
        name="浦东客户",
        phone="18600001111",
        consultant=store_b_consultant,
        allergies="青霉素过敏",
    )


def test_front_desk_finds_a_walk_in_of_another_store_by_full_phone(
    client_for, store_a_front_desk, store_b_customer
):
    # when the front desk types the full phone on the arrival page
    page = client_for(store_a_front_desk).get("/visits/new/", {"phone": store_b_customer.phone})

    # then the customer is found, to register the arrival
    assert page.status_code == 200
    assert "浦东客户" in page.content.decode()


@pytest.mark.parametrize("role", ["store_a_online_consultant", "store_a_doctor", "store_a_cashier"])
def test_roles_that_do_not_register_arrivals_find_nobody_outside_their_scope(
    role, request, client_for, store_b_customer
):
    # given a role that may not register arrivals
    viewer = request.getfixturevalue(role)

    # when it types another store's customer's full phone on the arrival page and in its search
    by_phone = client_for(viewer).get("/visits/new/", {"phone": store_b_customer.phone})
    by_search = client_for(viewer).get("/visits/new/", {"q": store_b_customer.phone})

    # then neither shows the customer
    assert by_phone.status_code == 404
    for page in (by_phone, by_search):
        text = page.content.decode()
        assert "浦东客户" not in text
        assert "青霉素过敏" not in text
