"""Lists issue a fixed number of queries however many customers they show."""

import pytest

from yanzhi.customers.models import SourceChannel, Tag
from yanzhi.customers.tests.factories import make_customer


@pytest.fixture
def many(store_a, store_a_consultant, store_a_doctor):
    channel = SourceChannel.objects.create(org=store_a.org, name="美团点评")
    tag = Tag.objects.create(org=store_a.org, name="VIP")
    for i in range(15):
        c = make_customer(
            store_a,
            name=f"王{i}",
            consultant=store_a_consultant,
            doctor=store_a_doctor,
            source_channel=channel,
        )
        c.tags.add(tag)
    store_a.search_fields = list(
        (
            "name",
            "phone",
            "member_no",
            "gender",
            "age",
            "consultant",
            "doctor",
            "source_channel",
            "last_visit_at",
            "tags",
            "store",
        )
    )
    store_a.save()


def test_list_page_query_count(client_for, store_a_front_desk, many, django_assert_max_num_queries):
    client = client_for(store_a_front_desk)
    client.get("/customers/")  # warm up session and caches
    with django_assert_max_num_queries(16):
        response = client.get("/customers/")
    assert response.content.decode().count("VIP") >= 15


def test_list_rows_partial_query_count(
    client_for, store_a_front_desk, many, django_assert_max_num_queries
):
    client = client_for(store_a_front_desk)
    with django_assert_max_num_queries(11):
        client.get("/customers/", {"q": "w"}, HTTP_HX_REQUEST="true")


def test_search_query_count(client_for, store_a_front_desk, many, django_assert_max_num_queries):
    client = client_for(store_a_front_desk)
    with django_assert_max_num_queries(10):
        response = client.get("/customers/search/", {"q": "wang"})
    assert response.content.decode().count("/customers/") >= 15


def test_api_list_query_count(client_for, store_a_front_desk, many, django_assert_max_num_queries):
    # In-process client: the live server's queries run on another connection and would not
    # be counted.
    client = client_for(store_a_front_desk)
    client.get("/api/v1/me")  # the signed-in staff's stores, read once
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/customers", {"limit": 100}).json()
    assert body["count"] == 15 and all(c["tags"] for c in body["items"])
