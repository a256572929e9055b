"""Who sees which customer, over HTTP (pages and API)."""

import pytest

from yanzhi.customers.tests.factories import make_customer


@pytest.fixture
def mine(store_a, store_a_consultant):
    return make_customer(store_a, name="王小美", phone="13800000001", consultant=store_a_consultant)


@pytest.fixture
def theirs(store_a, store_a_consultant_2):
    return make_customer(store_a, name="李丽", phone="13800000002", consultant=store_a_consultant_2)


def test_consultant_sees_only_own_customers(client_for, store_a_consultant, mine, theirs):
    client = client_for(store_a_consultant)
    page = client.get("/customers/").content.decode()
    assert "王小美" in page and "李丽" not in page
    assert client.get(f"/customers/{mine.pk}/").status_code == 200
    assert client.get(f"/customers/{theirs.pk}/").status_code == 404
    assert client.get("/customers/search/", {"q": "ll"}).content.decode().count("李丽") == 0


def test_consultant_api_sees_only_own(api_for, store_a_consultant, mine, theirs):
    api = api_for(store_a_consultant)
    body = api.get("/customers").json()
    assert [c["id"] for c in body["items"]] == [mine.pk] and body["count"] == 1
    assert api.get(f"/customers/{theirs.pk}").status_code == 404
    assert api.patch(f"/customers/{theirs.pk}", json={"notes": "x"}).status_code == 404


def test_consultant_can_look_up_someone_elses_phone(
    api_for, client_for, store_a_consultant, theirs
):
    # when: by full phone number
    body = (
        api_for(store_a_consultant).get("/customers/lookup", params={"phone": theirs.phone}).json()
    )
    # then: existence and owner only, never the profile
    assert body == {
        "exists": True,
        "masked_phone": "138****0002",
        "name_initial": "李*",
        "store_name": "静安店",
        "consultant_name": "A咨询师刘芳",
        "customer_id": None,
    }
    html = (
        client_for(store_a_consultant)
        .get("/customers/phone-check/", {"phone": theirs.phone})
        .content.decode()
    )
    assert "该手机号已是静安店A咨询师刘芳的客户" in html and "李丽" not in html
    assert f"/customers/{theirs.pk}/" not in html


def test_lookup_of_a_new_phone(api_for, client_for, store_a_front_desk):
    body = api_for(store_a_front_desk).get("/customers/lookup", params={"phone": "13912340000"})
    assert body.json()["exists"] is False
    html = (
        client_for(store_a_front_desk)
        .get("/customers/phone-check/", {"phone": "13912340000"})
        .content.decode()
    )
    assert "可以新建" in html
    bad = api_for(store_a_front_desk).get("/customers/lookup", params={"phone": "12345678901"})
    assert bad.status_code == 400 and "phone" in bad.json()["fields"]


def test_other_store_and_other_chain_get_404(
    client_for, api_for, store_b_front_desk, other_chain_admin, mine
):
    for staff in (store_b_front_desk, other_chain_admin):
        assert client_for(staff).get(f"/customers/{mine.pk}/").status_code == 404
        assert client_for(staff).get(f"/customers/{mine.pk}/edit/").status_code == 404
        assert client_for(staff).post(f"/customers/{mine.pk}/unmask/").status_code == 404
        assert api_for(staff).get(f"/customers/{mine.pk}").status_code == 404
        assert api_for(staff).get(f"/customers/{mine.pk}/consents").status_code == 404
    # and another chain does not learn that the phone exists
    body = api_for(other_chain_admin).get("/customers/lookup", params={"phone": mine.phone}).json()
    assert body["exists"] is False


def test_store_b_sees_a_linked_customer(client_for, store_b, store_b_front_desk, mine):
    from yanzhi.customers.services import link_customer_to_store

    link_customer_to_store(mine, store_id=store_b.pk)
    assert client_for(store_b_front_desk).get(f"/customers/{mine.pk}/").status_code == 200


def test_hq_sees_the_chain(client_for, hq_admin, store_b, mine):
    other = make_customer(store_b, name="赵敏")
    page = client_for(hq_admin).get("/customers/").content.decode()
    assert "王小美" in page and "赵敏" in page
    assert client_for(hq_admin).get(f"/customers/{other.pk}/").status_code == 200
