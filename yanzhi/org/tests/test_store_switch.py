"""Switching the current store in the user menu: one form for all the stores a staff member
may switch to, HQ's read from the process's copy of the chain's stores."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yanzhi.org import settings_cache
from yanzhi.org.middleware import STORE_KEY
from yanzhi.org.models import Store

pytestmark = pytest.mark.django_db


def test_hq_switches_to_a_store_and_its_name_shows(client_for, hq_admin, store_a, store_b):
    hq = client_for(hq_admin)
    page = hq.get("/customers/").content.decode()
    assert page.count('form="switch-store"') == 2 and page.count('id="switch-store"') == 1
    assert f'value="{store_b.pk}"' in page
    response = hq.post("/accounts/store/", {"store_id": store_b.pk, "next": "/customers/"})
    assert response.status_code == 302 and response["Location"] == "/customers/"
    page = hq.get("/customers/").content.decode()
    assert f"· {store_b.name}" in page and f"· {store_a.name}" not in page


def test_a_store_outside_the_scope_or_bad_input_switches_nothing(
    client_for, store_a_front_desk, store_b, other_chain
):
    desk = client_for(store_a_front_desk)
    before = desk.session.get(STORE_KEY)
    foreign = Store.objects.filter(org=other_chain).first()
    for store_id in [store_b.pk, foreign.pk if foreign else 999_999, "abc", "-1", ""]:
        assert desk.post("/accounts/store/", {"store_id": store_id}).status_code == 404
    assert desk.session.get(STORE_KEY) == before


def test_the_return_address_must_be_this_site(client_for, hq_admin, store_a):
    hq = client_for(hq_admin)
    for next_url in ["https://evil.example/", "//evil.example/x", ""]:
        response = hq.post("/accounts/store/", {"store_id": store_a.pk, "next": next_url})
        assert response.status_code == 302 and response["Location"] == "/"


def test_hq_reads_the_chain_stores_once_until_one_changes(client_for, hq_admin, store_a, store_b):
    settings_cache.clear()
    hq = client_for(hq_admin)
    hq.get("/followups/")
    with CaptureQueriesContext(connection) as queries:
        page = hq.get("/followups/").content.decode()
    assert "\"org_store\"" not in " ".join(q["sql"] for q in queries.captured_queries)
    assert store_b.name in page
    store_b.name = "乙店(新址)"
    store_b.save()
    assert "乙店(新址)" in hq.get("/followups/").content.decode()
