"""The catalogue pages: scope over HTTP, forms, distribution, store prices, query counts."""

from decimal import Decimal

import pytest

from yanzhi.catalog import services
from yanzhi.catalog.models import Category, Item, StoreItem


def test_item_list_with_tree_for_hq(client_for, hq_admin, seed_chain, thermage):
    top = services.create_category(seed_chain, name="医疗美容", by=hq_admin)
    services.create_category(seed_chain, name="皮肤美容", parent=top, by=hq_admin)
    response = client_for(hq_admin).get("/catalog/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "热玛吉 全脸" in html and "皮肤美容" in html and "¥19,800.00" in html


def test_store_c_pages_never_show_thermage(client_for, store_c_consultant, seed_chain, thermage):
    client = client_for(store_c_consultant)
    assert "热玛吉" not in client.get("/catalog/").content.decode()
    assert "光子嫩肤" in client.get("/catalog/").content.decode()
    assert client.get(f"/catalog/items/{thermage.pk}/").status_code == 404
    store_page = client.get("/catalog/store/").content.decode()
    assert "光子嫩肤" in store_page and "热玛吉" not in store_page


def test_other_chain_gets_404(client_for, other_chain_admin, seed_chain, ipl, store_a):
    client = client_for(other_chain_admin)
    assert client.get(f"/catalog/items/{ipl.pk}/").status_code == 404
    assert client.get(f"/catalog/store/?store={store_a.pk}").status_code == 404
    row = StoreItem.objects.get(store=store_a, item=ipl)
    assert (
        client.post(f"/catalog/store/items/{row.pk}/price/", {"price_amount": "1"}).status_code
        == 404
    )
    assert "光子嫩肤" not in client.get("/catalog/").content.decode()


def test_store_roles_cannot_open_master_data_forms(client_for, store_a_manager, ipl):
    client = client_for(store_a_manager)
    assert client.get("/catalog/items/new/").status_code == 403
    assert client.get("/catalog/distribution/").status_code == 403
    assert client.post("/catalog/categories/", {"name": "x"}).status_code == 403
    assert not Category.objects.exists()


def test_create_a_package_through_the_form(client_for, hq_admin, ipl):
    client = client_for(hq_admin)
    assert client.get("/catalog/items/new/?kind=package").status_code == 200
    response = client.post(
        "/catalog/items/new/?kind=package",
        {
            "code": "K001",
            "name": "光子嫩肤3次套餐",
            "price_amount": "3500",
            "component_item": [str(ipl.pk), ""],
            "component_qty": ["3", "1"],
        },
    )
    package = Item.objects.get(code="K001")
    assert response.status_code == 302 and response.url == f"/catalog/items/{package.pk}/"
    assert [(c.item_id, c.quantity) for c in package.components.all()] == [(ipl.pk, 3)]
    assert "光子嫩肤 × 3" in client.get(response.url).content.decode()


def test_bad_form_input_is_422_with_the_message_and_changes_nothing(client_for, hq_admin, ipl):
    response = client_for(hq_admin).post(
        "/catalog/items/new/?kind=card",
        {"code": "C1", "name": "次卡", "price_amount": "6000", "card_type": "sessions",
         "card_sessions": "6", "card_service": ""},
    )  # fmt: skip
    assert response.status_code == 422
    assert "请选择次卡适用的服务项目" in response.content.decode()
    assert not Item.objects.filter(code="C1").exists()


def test_edit_a_service_with_materials(client_for, hq_admin, ipl, skin, make_stocked):
    gel = make_stocked("P1", "冷凝胶", "20", kind="product", unit="ml")
    client = client_for(hq_admin)
    assert client.get(f"/catalog/items/{ipl.pk}/edit/").status_code == 200
    response = client.post(
        f"/catalog/items/{ipl.pk}/edit/",
        {"code": "S001", "name": "光子嫩肤", "price_amount": "1380", "unit": "次",
         "department": str(skin.pk), "material_item": [str(gel.pk)], "material_qty": ["0.5"]},
    )  # fmt: skip
    assert response.status_code == 302
    ipl.refresh_from_db()
    assert ipl.price_amount == Decimal("1380.00")
    assert [(m.material_id, m.quantity) for m in ipl.materials.all()] == [(gel.pk, Decimal("0.5"))]


def test_category_page_refuses_a_fifth_level(client_for, hq_admin, chain):
    client = client_for(hq_admin)
    parent = None
    for name in ("医疗美容", "皮肤美容", "光电项目", "光子嫩肤"):
        client.post("/catalog/categories/", {"name": name, "parent": parent.pk if parent else ""})
        parent = Category.objects.get(name=name)
    response = client.post("/catalog/categories/", {"name": "第五级", "parent": parent.pk})
    assert response.status_code == 422
    assert "分类最多四级" in response.content.decode()
    assert Category.objects.count() == 4
    assert "光电项目" in client.get("/catalog/categories/").content.decode()


def test_distribution_screen_assigns_and_shows_the_matrix(
    client_for, hq_admin, store_a, store_b, store_c, ipl, thermage
):
    client = client_for(hq_admin)
    response = client.post(
        "/catalog/distribution/",
        {"action": "assign", "item": [ipl.pk, thermage.pk], "store": [store_a.pk, store_b.pk],
         "free_pricing": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    assert StoreItem.objects.filter(free_pricing=True, is_active=True).count() == 4
    client.post(
        "/catalog/distribution/",
        {"action": "assign", "item": [ipl.pk], "store": [store_c.pk]},
    )
    html = client.get("/catalog/distribution/").content.decode()
    assert html.count('data-store="C"><i class="bi bi-check') == 1  # only IPL in C
    refused = client.post("/catalog/distribution/", {"action": "assign", "item": [ipl.pk]})
    assert refused.status_code == 422 and "请至少选择一家门店" in refused.content.decode()


def test_store_manager_edits_the_price_inline(
    client_for, store_a_manager, seed_chain, store_a, thermage, ipl
):
    client = client_for(store_a_manager)
    row = StoreItem.objects.get(store=store_a, item=thermage)
    page = client.get("/catalog/store/").content.decode()
    assert f"/catalog/store/items/{row.pk}/price/" in page
    fixed = StoreItem.objects.get(store=store_a, item=ipl)
    assert f"/catalog/store/items/{fixed.pk}/price/" not in page  # no free pricing → no input
    response = client.post(
        f"/catalog/store/items/{row.pk}/price/", {"price_amount": "18800"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "¥18,800.00" in response.content.decode()
    bad = client.post(
        f"/catalog/store/items/{fixed.pk}/price/", {"price_amount": "1"}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 422 and "总部未对该项目开启自由定价" in bad.content.decode()
    fixed.refresh_from_db()
    assert fixed.price_amount is None


@pytest.fixture
def many_items(seed_chain, hq_admin, store_a, make_service, ipl):
    def make(count):
        items = [make_service(f"X{i:03d}", f"项目{i}", "100") for i in range(count)]
        package = services.create_item(
            seed_chain, kind="package", code=f"K{count}", name="套餐", price_amount="1",
            components=[(ipl, 1), (items[0], 2)], by=hq_admin,
        )  # fmt: skip
        services.assign_items(
            seed_chain, item_ids=[i.pk for i in items] + [package.pk], store_ids=[store_a.pk],
            by=hq_admin,
        )  # fmt: skip

    return make


@pytest.mark.parametrize("count", [2, 15])
def test_list_pages_issue_a_fixed_number_of_queries(
    count, many_items, client_for, hq_admin, store_a_manager, django_assert_max_num_queries
):
    many_items(count)
    hq, manager = client_for(hq_admin), client_for(store_a_manager)
    hq.get("/catalog/")
    with django_assert_max_num_queries(14):
        assert hq.get("/catalog/").status_code == 200
    with django_assert_max_num_queries(10):
        assert hq.get("/catalog/", HTTP_HX_REQUEST="true").status_code == 200
    manager.get("/catalog/store/")
    with django_assert_max_num_queries(12):
        assert manager.get("/catalog/store/").status_code == 200
    with django_assert_max_num_queries(14):
        assert hq.get("/catalog/distribution/").status_code == 200


def test_hq_picks_a_store_on_the_store_page(client_for, hq_admin, seed_chain, store_c):
    client = client_for(hq_admin)
    assert "请选择一家门店" in client.get("/catalog/store/").content.decode()
    html = client.get(f"/catalog/store/?store={store_c.pk}").content.decode()
    assert "光子嫩肤" in html and "热玛吉" not in html


def test_pages_in_english(client_for, hq_admin, seed_chain):
    client = client_for(hq_admin)
    client.post("/i18n/setlang/", {"language": "en", "next": "/catalog/"})
    html = client.get("/catalog/").content.decode()
    assert "Catalogue" in html and "HQ price" in html
