"""The catalogue API over real HTTP."""

import pytest

from yanzhi.catalog.models import Category, Item, StoreItem
from yanzhi.core.models import AuditLog


def test_hq_creates_an_item_and_a_package(api_for, hq_admin, skin):
    api = api_for(hq_admin)
    created = api.post(
        "/items",
        json={
            "kind": "service",
            "code": "S001",
            "name": "光子嫩肤",
            "price_amount": "1280.00",
            "department_id": skin.pk,
            "order_type": "医美",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["price_amount"] == "1280.00" and body["department_name"] == "皮肤科"
    package = api.post(
        "/items",
        json={
            "kind": "package",
            "code": "K001",
            "name": "光子嫩肤3次套餐",
            "price_amount": "3500",
            "components": [{"item_id": body["id"], "quantity": 3}],
        },
    )
    assert package.status_code == 201, package.text
    assert package.json()["components"] == [
        {"item_id": body["id"], "item_name": "光子嫩肤", "item_kind": "service", "quantity": 3}
    ]
    patched = api.patch(f"/items/{body['id']}", json={"price_amount": "1380"})
    assert patched.status_code == 200 and patched.json()["price_amount"] == "1380.00"
    deactivated = api.post(f"/items/{body['id']}/deactivate")
    assert deactivated.status_code == 200 and deactivated.json()["is_active"] is False


def test_bad_item_is_a_clear_chinese_error_and_changes_nothing(api_for, hq_admin):
    response = api_for(hq_admin).post(
        "/items",
        json={"kind": "card", "code": "C1", "name": "储值卡", "price_amount": "10000",
              "card_type": "stored_value", "card_value_amount": "0"},
    )  # fmt: skip
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "card_value_required"
    assert body["fields"]["card_value_amount"] == ["储值卡的储值金额须大于0"]
    assert not Item.objects.exists()


def test_error_in_english_when_asked(api_for, hq_admin, seed_chain, store_c, thermage):
    response = api_for(hq_admin).post(
        "/items",
        json={"kind": "package", "code": "K1", "name": "Bundle", "price_amount": "1",
              "components": []},
        headers={"Accept-Language": "en"},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["message"] == "A package must contain at least one item"
    assert not Item.objects.filter(code="K1").exists()


def test_store_manager_cannot_create_items(api_for, store_a_manager, skin):
    response = api_for(store_a_manager).post(
        "/items",
        json={"kind": "service", "code": "S1", "name": "光子嫩肤", "price_amount": "1",
              "department_id": skin.pk},
    )  # fmt: skip
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert not Item.objects.exists()


def test_consultant_cannot_assign(api_for, store_a_consultant, store_a, ipl):
    response = api_for(store_a_consultant).post(
        "/item-assignments", json={"item_ids": [ipl.pk], "store_ids": [store_a.pk]}
    )
    assert response.status_code == 403
    assert not StoreItem.objects.exists()


def test_bulk_assignment_and_removal(api_for, hq_admin, store_a, store_b, store_c, ipl, thermage):
    api = api_for(hq_admin)
    payload = {"item_ids": [ipl.pk, thermage.pk], "store_ids": [store_a.pk, store_b.pk]}
    first = api.post("/item-assignments", json=payload)
    assert first.status_code == 200 and first.json() == {"created": 4, "updated": 0, "unchanged": 0}
    assert api.post("/item-assignments", json=payload).json()["unchanged"] == 4
    removed = api.post(
        "/item-assignments/remove", json={"item_ids": [thermage.pk], "store_ids": [store_b.pk]}
    )
    assert removed.json() == {"withdrawn": 1}
    assert StoreItem.objects.filter(is_active=True).count() == 3


def test_store_c_api_omits_thermage(
    api_for, seed_chain, hq_admin, store_c, store_c_consultant, thermage, ipl
):
    # HQ asks for C's sellable items
    listed = api_for(hq_admin).get(f"/stores/{store_c.pk}/items")
    assert listed.status_code == 200
    assert [row["name"] for row in listed.json()["items"]] == ["光子嫩肤"]
    # a store-C user lists the catalogue: no Thermage, and its detail is 404
    api = api_for(store_c_consultant)
    items = api.get("/items").json()
    assert [row["name"] for row in items["items"]] == ["光子嫩肤"] and items["count"] == 1
    assert api.get("/items", params={"q": "rmj"}).json()["count"] == 0
    assert api.get(f"/items/{thermage.pk}").status_code == 404


def test_sellable_items_carry_effective_prices(
    api_for, seed_chain, store_a, store_b, store_a_manager, thermage
):
    row_a = StoreItem.objects.get(store=store_a, item=thermage)
    api = api_for(store_a_manager)
    patched = api.patch(f"/store-items/{row_a.pk}", json={"price_amount": "18800.00"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["effective_price"] == "18800.00"
    assert patched.json()["hq_price_amount"] == "19800.00"
    listed = {r["code"]: r for r in api.get(f"/stores/{store_a.pk}/items").json()["items"]}
    assert listed["S002"]["effective_price"] == "18800.00" and listed["S002"]["free_pricing"]
    assert listed["S001"]["effective_price"] == "1280.00"
    # store A's manager cannot read store B's list, nor price B's row
    assert api.get(f"/stores/{store_b.pk}/items").status_code == 404
    row_b = StoreItem.objects.get(store=store_b, item=thermage)
    assert api.patch(f"/store-items/{row_b.pk}", json={"price_amount": "1"}).status_code == 404


def test_store_price_without_free_pricing_is_refused(
    api_for, seed_chain, store_a, store_a_manager, ipl
):
    row = StoreItem.objects.get(store=store_a, item=ipl)
    response = api_for(store_a_manager).patch(
        f"/store-items/{row.pk}", json={"price_amount": "999"}
    )
    assert response.status_code == 400 and response.json()["code"] == "free_pricing_off"
    row.refresh_from_db()
    assert row.price_amount is None


def test_categories_over_http(api_for, hq_admin):
    api = api_for(hq_admin)
    ids = []
    parent = None
    for name in ("医疗美容", "皮肤美容", "光电项目", "光子嫩肤"):
        response = api.post("/categories", json={"name": name, "parent_id": parent})
        assert response.status_code == 201, response.text
        parent = response.json()["id"]
        ids.append(parent)
    too_deep = api.post("/categories", json={"name": "第五级", "parent_id": parent})
    assert too_deep.status_code == 400 and too_deep.json()["code"] == "category_too_deep"
    assert Category.objects.count() == 4
    renamed = api.patch(f"/categories/{ids[3]}", json={"name": "光子嫩肤 OPT"})
    assert renamed.json()["name"] == "光子嫩肤 OPT"
    moved = api.patch(f"/categories/{ids[2]}", json={"parent_id": None})
    assert moved.json()["level"] == 1
    assert Category.objects.get(pk=ids[3]).level == 2
    assert api.delete(f"/categories/{ids[2]}").status_code == 400  # not empty
    assert api.delete(f"/categories/{ids[3]}").status_code == 204
    assert [c["id"] for c in api.get("/categories").json()] == [ids[0], ids[2], ids[1]]
    assert AuditLog.objects.filter(action__startswith="category.").count() == 7


def test_other_chain_gets_404(api_for, other_chain_admin, seed_chain, store_a, ipl):
    api = api_for(other_chain_admin)
    assert api.get(f"/items/{ipl.pk}").status_code == 404
    assert api.get(f"/stores/{store_a.pk}/items").status_code == 404
    assert api.get("/items").json()["count"] == 0
    row = StoreItem.objects.get(store=store_a, item=ipl)
    assert api.patch(f"/store-items/{row.pk}", json={"price_amount": "1"}).status_code == 404
    assert api.patch(f"/items/{ipl.pk}", json={"name": "x"}).status_code == 404
    response = api.post("/item-assignments", json={"item_ids": [ipl.pk], "store_ids": [store_a.pk]})
    assert response.status_code == 400
    assert StoreItem.objects.filter(store=store_a, item=ipl, is_active=True).count() == 1


@pytest.mark.parametrize("count", [3, 12])
def test_list_endpoints_issue_a_fixed_number_of_queries(
    count, client_for, hq_admin, store_a, make_service, django_assert_max_num_queries
):
    from yanzhi.catalog import services

    items = [make_service(f"S{i:03d}", f"项目{i}", "100") for i in range(count)]
    services.assign_items(
        hq_admin.org, item_ids=[i.pk for i in items], store_ids=[store_a.pk], by=hq_admin
    )
    client = client_for(hq_admin)  # the browser-session auth of the same API
    client.get("/api/v1/items")
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/items?limit=100").json()["count"] == count
    with django_assert_max_num_queries(9):
        assert client.get(f"/api/v1/stores/{store_a.pk}/items").json()["count"] == count
