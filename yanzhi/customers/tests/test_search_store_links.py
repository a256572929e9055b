"""A store's search finds its linked customers (customers of another store served here) by the
search keys their store links carry, and only those; the keys follow the customer."""

import pytest

from yanzhi.customers import queries, services
from yanzhi.customers.models import CustomerStoreLink
from yanzhi.customers.tests.factories import make_customer
from yanzhi.org.policy import scope_for


@pytest.fixture
def scope(store_a_front_desk):
    return scope_for(store_a_front_desk)


def found(scope, q, store) -> set[str]:
    return {c.name for c in queries.search_customers(scope, q, store)}


def test_a_linked_customer_is_found_by_every_key(store_a, store_b, scope):
    # given: 朱志强 of store B, served in store A
    linked = make_customer(store_b, name="朱志强", phone="13712345678")
    services.link_customer_to_store(linked, store_id=store_a.pk)
    # then: by name, given name, pinyin, initials and phone tail
    for q in ("朱志强", "朱志", "志强", "强", "zhuzhiqiang", "zzq", "ZZQ", "5678"):
        assert found(scope, q, store_a) == {"朱志强"}, q


def test_a_customer_of_another_store_is_not_found_unless_linked(store_a, store_b, scope):
    # given: two customers of store B with the same keys, one of them linked to store A
    make_customer(store_b, name="王芳", phone="13700001111")
    linked = make_customer(store_b, name="王芳", phone="13700002111")
    services.link_customer_to_store(linked, store_id=store_a.pk)
    own = make_customer(store_a, name="王芳", phone="13700003111")
    # then: store A finds its own and its linked 王芳, not store B's other one
    for q in ("王芳", "芳", "wf", "wangfang", "1111", "2111", "3111"):
        ids = {c.pk for c in queries.search_customers(scope, q, store_a)}
        assert ids <= {own.pk, linked.pk}, q
    assert {c.pk for c in queries.search_customers(scope, "王芳", store_a)} == {own.pk, linked.pk}
    assert queries.search_customers(scope, "1111", store_a) == []


def test_a_long_name_is_found_by_its_end(store_a, store_b, scope):
    # given: a four-character name, linked, and one of the store's own
    linked = make_customer(store_b, name="欧阳娜娜")
    services.link_customer_to_store(linked, store_id=store_a.pk)
    make_customer(store_a, name="司马娜娜")
    # then: the text after the second character finds both, ranked after the prefix matches
    make_customer(store_a, name="娜娜")
    assert [c.name for c in queries.search_customers(scope, "娜娜", store_a)][0] == "娜娜"
    assert found(scope, "娜娜", store_a) == {"娜娜", "欧阳娜娜", "司马娜娜"}


def test_the_link_keys_follow_a_rename_and_a_new_phone(store_a, store_b, scope, hq_admin):
    # given: a linked customer
    customer = make_customer(store_b, name="李娜", phone="13755550001")
    services.link_customer_to_store(customer, store_id=store_a.pk)
    # when: the name and the phone change
    services.update_customer(customer, by=hq_admin, name="赵敏", phone="13755559999")
    # then: the link carries the new keys, and store A finds the customer by them only
    link = CustomerStoreLink.objects.get(customer=customer, store=store_a)
    assert (link.name, link.name_rest, link.name_pinyin, link.name_initials, link.phone_tail) == (
        "赵敏",
        "敏",
        "zhaomin",
        "zm",
        "9999",
    )
    for q in ("赵敏", "敏", "zm", "zhaomin", "9999"):
        assert found(scope, q, store_a) == {"赵敏"}, q
    for q in ("李娜", "ln", "0001"):
        assert found(scope, q, store_a) == set(), q


def test_a_new_link_takes_the_stored_keys_not_a_stale_instance(store_a, store_b, hq_admin):
    # given: an instance read before a rename
    customer = make_customer(store_b, name="李娜")
    stale = type(customer).objects.get(pk=customer.pk)
    services.update_customer(customer, by=hq_admin, name="赵敏")
    # when: the link is written from the stale instance
    services.link_customer_to_store(stale, store_id=store_a.pk)
    # then
    assert CustomerStoreLink.objects.get(customer=customer, store=store_a).name == "赵敏"


def test_hq_finds_customers_of_every_store(store_a, store_b, hq_admin):
    make_customer(store_a, name="朱志强", phone="13712340001")
    make_customer(store_b, name="朱志强", phone="13712340002")
    hq = scope_for(hq_admin)
    for q in ("朱志强", "志强", "zzq", "0001"):
        expected = 1 if q == "0001" else 2
        assert len(queries.search_customers(hq, q, None)) == expected, q
