"""Referrals (老带新): the tree under a customer (three levels, only customers in scope) and the
counts per referrer, per the referrer's consultant and doctor, and per first-deal item."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from yanzhi.customers.tests.factories import make_customer
from yanzhi.marketing import queries
from yanzhi.marketing.tests.conftest import at
from yanzhi.org.policy import scope_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(store_a, store_a_consultant, store_a_consultant_2, store_a_doctor, hydra, deal):
    """r0 brought r1 and r2 (r2 is consultant 2's); r1 brought r3, r3 brought r4, r4 brought r5
    (level 4: beyond the tree). Registered on 2026-03-03; r1 bought 水光针 on 03-04."""
    mine = {"consultant": store_a_consultant, "doctor": store_a_doctor}
    with time_machine.travel(at(2026, 3, 3), tick=False):
        r0 = make_customer(store_a, name="老客", **mine)
        r1 = make_customer(store_a, name="新客一", referrer=r0, **mine)
        r2 = make_customer(store_a, name="新客二", referrer=r0, consultant=store_a_consultant_2)
        r3 = make_customer(store_a, name="新客三", referrer=r1, **mine)
        r4 = make_customer(store_a, name="新客四", referrer=r3, **mine)
        r5 = make_customer(store_a, name="新客五", referrer=r4, **mine)
    deal(r1, at(2026, 3, 4), hydra)
    return [r0, r1, r2, r3, r4, r5]


def names(nodes):
    return [(n.customer.name, names(n.children)) for n in nodes]


def test_the_tree_three_levels_deep(family, store_a_manager, django_assert_num_queries):
    scope = scope_for(store_a_manager)
    with django_assert_num_queries(3):
        tree = queries.referral_tree(scope, family[0])
    assert names(tree.nodes) == [("新客一", [("新客三", [("新客四", [])])]), ("新客二", [])]
    assert (tree.count, tree.deal_count, tree.spend_amount) == (4, 1, Decimal("1000.00"))


def test_a_consultant_sees_only_their_customers_in_the_tree(family, store_a_consultant):
    tree = queries.referral_tree(scope_for(store_a_consultant), family[0])
    assert names(tree.nodes) == [("新客一", [("新客三", [("新客四", [])])])]


def test_counts_per_referrer_consultant_doctor_and_item(
    family, store_a_manager, store_a_consultant, store_a_doctor, hydra, django_assert_num_queries
):
    scope = scope_for(store_a_manager)
    with django_assert_num_queries(4):
        stats = queries.referral_stats(scope, start=date(2026, 3, 1), end=date(2026, 3, 31))
    by_referrer = {r["referrer__name"]: (r["referred"], r["dealt"]) for r in stats["by_referrer"]}
    assert by_referrer == {"老客": (2, 1), "新客一": (1, 0), "新客三": (1, 0), "新客四": (1, 0)}
    assert [
        (r["referrer__consultant_id"], r["referred"], r["dealt"]) for r in stats["by_consultant"]
    ] == [(store_a_consultant.pk, 5, 1)]
    assert [(r["referrer__doctor_id"], r["referred"]) for r in stats["by_doctor"]] == [
        (store_a_doctor.pk, 5)
    ]
    assert [
        (r["item_id"], r["customers"], r["quantity"], r["amount"]) for r in stats["by_item"]
    ] == [(hydra.pk, 1, 1, Decimal("1000.00"))]
    # a period before the registrations counts nothing
    empty = queries.referral_stats(scope, start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert not empty["by_referrer"] and not empty["by_item"]


def test_tree_page_scope(
    family, client_for, store_a_consultant, store_a_consultant_2, store_b_consultant
):
    mine = client_for(store_a_consultant).get(f"/customers/{family[0].pk}/referrals/")
    assert mine.status_code == 200
    html = mine.content.decode()
    assert "新客四" in html and "新客二" not in html and "新客五" not in html
    assert (
        client_for(store_a_consultant_2).get(f"/customers/{family[0].pk}/referrals/").status_code
        == 404
    )
    assert (
        client_for(store_b_consultant).get(f"/customers/{family[0].pk}/referrals/").status_code
        == 404
    )


def test_referral_stats_page(family, client_for, store_a_manager, store_a_consultant):
    page = client_for(store_a_manager).get(
        "/marketing/referrals/", {"start": "2026-03-01", "end": "2026-03-31"}
    )
    assert page.status_code == 200 and "老客" in page.content.decode()
    assert client_for(store_a_consultant).get("/marketing/referrals/").status_code == 403
