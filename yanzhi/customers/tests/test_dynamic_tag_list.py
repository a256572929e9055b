"""The customer list and the API filter by dynamic tags (deal status, member activity, arrears,
combined with the last visit type and allergy) and show each customer's tags as badges."""

from decimal import Decimal

import pytest

from yanzhi.customers.models import Customer, CustomerSummary, MemberActivity, VisitType
from yanzhi.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db

# name, deal_count, activity, last_visit_type, arrears, allergies
PROFILES = [
    ("未成交甲", 0, MemberActivity.NON_MEMBER, VisitType.FIRST, "0", ""),
    ("首单乙", 1, MemberActivity.NEW, VisitType.FIRST, "0", "青霉素"),
    ("沉睡复查丙", 2, MemberActivity.SLEEPING, VisitType.CHECKUP, "0", ""),
    ("沉睡复诊丁", 3, MemberActivity.SLEEPING, VisitType.RETURN, "500.00", ""),
    ("活跃复查戊", 4, MemberActivity.ACTIVE, VisitType.CHECKUP, "0", ""),
]


@pytest.fixture
def tagged(store_a, store_a_consultant):
    ids = {}
    for name, deals, activity, last_type, arrears, allergies in PROFILES:
        customer = make_customer(store_a, name=name, consultant=store_a_consultant)
        Customer.objects.filter(pk=customer.pk).update(allergies=allergies)
        CustomerSummary.objects.filter(customer=customer).update(
            deal_count=deals,
            activity=activity,
            last_visit_type=last_type,
            arrears_amount=Decimal(arrears),
        )
        ids[name] = customer.pk
    return ids


def names_in(html: str) -> set[str]:
    return {name for name, *_rest in PROFILES if name in html}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"activity": "sleeping", "last_visit_type": "checkup"}, {"沉睡复查丙"}),
        ({"activity": "sleeping"}, {"沉睡复查丙", "沉睡复诊丁"}),
        ({"deal_status": "none"}, {"未成交甲"}),
        ({"deal_status": "first"}, {"首单乙"}),
        ({"deal_status": "repeat", "last_visit_type": "checkup"}, {"沉睡复查丙", "活跃复查戊"}),
        ({"deal_status": ["first", "none"]}, {"未成交甲", "首单乙"}),
        ({"arrears": "1"}, {"沉睡复诊丁"}),
        ({"arrears": "0", "activity": "sleeping"}, {"沉睡复查丙"}),
        ({"activity": "new", "allergy": "1"}, {"首单乙"}),
    ],
)
def test_list_filters_combine(client_for, store_a_front_desk, tagged, params, expected):
    # given five customers with different tags
    # when the list is filtered
    response = client_for(store_a_front_desk).get("/customers/", params, HTTP_HX_REQUEST="true")
    # then exactly the customers carrying every chosen tag are listed
    assert response.status_code == 200
    assert names_in(response.content.decode()) == expected


def test_unknown_filter_values_are_ignored_by_the_page(client_for, store_a_front_desk, tagged):
    response = client_for(store_a_front_desk).get("/customers/", {"activity": "bogus"})
    assert names_in(response.content.decode()) == {name for name, *_ in PROFILES}


def test_rows_and_profile_show_dynamic_tags(client_for, store_a_front_desk, tagged):
    client = client_for(store_a_front_desk)
    # when the list is filtered to one customer
    html = client.get("/customers/", {"arrears": "1"}).content.decode()
    # then the row carries the customer's badges
    assert 'dynamic-tag-deal text-bg-info me-1">多次成交' in html
    assert 'dynamic-tag-activity text-bg-warning me-1">沉睡会员' in html
    assert ">复诊</span>" in html
    assert 'dynamic-tag-arrears text-bg-danger me-1">有欠费' in html
    # and the 360° header shows them too
    profile = client.get(f"/customers/{tagged['首单乙']}/").content.decode()
    header = profile.split('id="dynamic-tags"')[1].split("</div>")[0]
    assert "首次成交" in header and "新会员" in header and "有过敏史" in header
    assert "有欠费" not in header


def test_list_query_count_does_not_grow_with_rows(
    client_for, store_a_front_desk, store_a, tagged, django_assert_num_queries
):
    client = client_for(store_a_front_desk)
    client.get("/customers/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/customers/", HTTP_HX_REQUEST="true")
    for index in range(12):
        make_customer(store_a, name=f"更多{index}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/customers/", HTTP_HX_REQUEST="true")
    assert response.content.decode().count("dynamic-tag-deal") == 17
    assert len(many.captured_queries) == len(few.captured_queries)


def test_api_filters_and_returns_dynamic_tags(api_for, store_a_front_desk, tagged):
    api = api_for(store_a_front_desk)
    # when the API is asked for sleeping members whose last visit was a check-up
    response = api.get("/customers", params={"activity": "sleeping", "last_visit_type": "checkup"})
    # then one customer comes back, with her dynamic tags
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0]["name"] == "沉睡复查丙"
    assert body["items"][0]["dynamic_tags"] == [
        {"kind": "deal", "label": "多次成交"},
        {"kind": "activity", "label": "沉睡会员"},
        {"kind": "last_visit", "label": "复查"},
    ]
    # repeated values are alternatives; has_arrears combines
    both = api.get("/customers", params=[("deal_status", "none"), ("deal_status", "first")])
    assert {c["name"] for c in both.json()["items"]} == {"未成交甲", "首单乙"}
    owing = api.get("/customers", params={"has_arrears": "true"})
    assert [c["name"] for c in owing.json()["items"]] == ["沉睡复诊丁"]


def test_api_refuses_unknown_tag_values_naming_the_field(api_for, store_a_front_desk, tagged):
    response = api_for(store_a_front_desk).get("/customers", params={"activity": "bogus"})
    assert response.status_code in (400, 422)
    assert list(response.json()["fields"]) == ["activity"]
