"""A store's whole customer list (no search, no filter) read from its two indexes
(queries.StoreCustomerIds): the same customers, count and order as the scope's rule
(customers_for, newest first), page by page, for one store and for a scope of two stores."""

import random
import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from yanzhi.customers import queries, services
from yanzhi.customers.models import Customer, CustomerStoreLink
from yanzhi.customers.tests.factories import make_customer
from yanzhi.org.policy import scope_for
from yanzhi.org.tests.factories import StoreFactory, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def store_c(chain):
    return StoreFactory(org=chain, name="徐汇店", code="C")


@pytest.fixture
def customers(store_a, store_b, store_c):
    """Own customers of three stores created at shuffled times (ties included), some linked
    to one or two other stores."""
    rng = random.Random(7)
    base = timezone.now() - timedelta(days=400)
    made = []
    for n in range(45):
        home = (store_a, store_b, store_c)[n % 3]
        customer = make_customer(home, name=f"客户{n}")
        moment = base + timedelta(days=rng.randrange(60))  # ties: 45 customers, 60 days
        Customer.objects.filter(pk=customer.pk).update(created_at=moment)
        customer.created_at = moment
        made.append(customer)
    for customer in made:
        for store in rng.sample((store_a, store_b, store_c), rng.randrange(3)):
            services.link_customer_to_store(customer, store_id=store.pk)
    return made


def rule_ids(scope) -> list[int]:
    """The list by the scope's rule, as the ORM asks it."""
    qs = queries.customers_for(scope).order_by("-created_at", "-pk")
    return list(qs.values_list("pk", flat=True))


@pytest.mark.parametrize("stores", ["a", "ab"])
def test_the_indexes_give_the_rules_customers_in_the_rules_order(
    chain, store_a, store_b, customers, stores
):
    staff = make_staff(
        chain, "store_manager", [store_a, store_b][: len(stores)], name="店长", username="m"
    )
    scope = scope_for(staff)
    expected = rule_ids(scope)
    ids = queries.customer_list_ids(scope, queries.ListFilters(), None)
    assert isinstance(ids, queries.StoreCustomerIds)
    assert ids.count() == len(expected) > 20
    # page by page, as the list pages it
    pages = [ids[start : start + 7] for start in range(0, len(expected) + 7, 7)]
    assert [pk for page in pages for pk in page] == expected


def test_the_list_page_shows_the_same_customers(client_for, store_a_front_desk, customers):
    scope = scope_for(store_a_front_desk)
    expected = rule_ids(scope)
    client = client_for(store_a_front_desk)
    html = client.get("/customers/", {"page": 2}).content.decode()
    shown = [int(pk) for pk in re.findall(r'<tr><td><a href="/customers/(\d+)/">', html)]
    assert shown == expected[20:40]
    assert f"共{len(expected)}位客户" in html


def test_the_balance_check_finds_a_link_to_the_customers_own_store(customers, store_a):
    call_command("check_balances", "--only", "store_links")
    own = next(c for c in customers if c.store_id == store_a.pk)
    CustomerStoreLink.objects.create(
        org_id=own.org_id, customer=own, store=store_a, customer_created_at=own.created_at
    )
    with pytest.raises(CommandError):
        call_command("check_balances", "--only", "store_links")


def test_a_store_without_customers_lists_nobody(chain, client_for):
    empty = StoreFactory(org=chain, name="新开店", code="N")
    desk = make_staff(chain, "front_desk", [empty], name="新店前台", username="nd")
    for filters in (queries.ListFilters(), queries.ListFilters(phone_verified=True)):
        ids = queries.customer_list_ids(scope_for(desk), filters, None)
        assert ids.count() == 0 and ids[0:0] == [] and ids[0:20] == []
    html = client_for(desk).get("/customers/", {"verified": "1"}).content.decode()
    assert "没有符合条件的客户" in html
