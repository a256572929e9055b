"""The stock pages over HTTP: scope, forms through the services, fixed query counts."""

from decimal import Decimal

import pytest

from yanzhi.inventory.models import StockCount, StockLevel, StockMove, StockTransfer, Warehouse
from yanzhi.inventory.tests.conftest import TODAY, make_item

pytestmark = pytest.mark.django_db


def test_overview_lists_levels_and_highlights_negative_stock(
    client_for, store_a, warehouse_a, filler, mask, stock, store_a_nurse
):
    # given
    stock(warehouse_a, filler, "4.5")
    stock(warehouse_a, mask, "1")
    StockLevel.objects.filter(item=mask).update(quantity=Decimal("-2"))
    # when
    response = client_for(store_a_nurse).get("/inventory/")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "玻尿酸1ml" in html and "WL-0001" in html and "4.5" in html
    assert "table-danger" in html and "负库存" in html


def test_overview_query_count_does_not_grow_with_rows(
    client_for, chain, warehouse_a, stock, store_a_manager, django_assert_max_num_queries
):
    client = client_for(store_a_manager)
    for n in range(3):
        stock(warehouse_a, make_item(chain, f"P{n}"), "1")
    with django_assert_max_num_queries(15) as few:
        client.get("/inventory/")
    for n in range(3, 25):
        stock(warehouse_a, make_item(chain, f"P{n}"), "1")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/inventory/")
    assert response.content.decode().count("<tr") == 26  # header + 25 rows


def test_store_b_sees_only_its_own_stock(
    client_for, warehouse_a, warehouse_b, filler, stock, store_b_front_desk, store_b_manager
):
    stock(warehouse_a, filler, "4")
    html = client_for(store_b_manager).get("/inventory/").content.decode()
    assert "玻尿酸1ml" not in html
    # another store's page, warehouse and count are not found
    client = client_for(store_b_manager)
    assert client.get(f"/inventory/?store={warehouse_a.store_id}").status_code == 404
    assert client.get(f"/inventory/counts/new/?warehouse={warehouse_a.pk}").status_code == 404
    assert client.post(f"/inventory/warehouses/{warehouse_a.pk}/toggle/").status_code == 404


def test_roles_without_inventory_view_are_refused(client_for, store_a_front_desk, warehouse_a):
    assert client_for(store_a_front_desk).get("/inventory/").status_code == 403


def test_other_chain_gets_404(client_for, other_chain_admin, warehouse_a):
    client = client_for(other_chain_admin)
    assert client.get(f"/inventory/counts/new/?warehouse={warehouse_a.pk}").status_code == 404
    assert client.post(f"/inventory/warehouses/{warehouse_a.pk}/toggle/").status_code == 404


def _lines(*rows, extra=5):
    data = {"lines-TOTAL_FORMS": str(extra), "lines-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{i}-{key}"] = value
    return data


def test_receipt_form_receives_stock(client_for, store_a_manager, warehouse_a, filler):
    response = client_for(store_a_manager).post(
        "/inventory/receipts/new/",
        {
            "warehouse": warehouse_a.pk,
            "business_date": TODAY.isoformat(),
            "note": "到货",
            **_lines({"item": filler.pk, "quantity": "6", "lot_no": "HA20261001"}),
        },
    )
    assert response.status_code == 302
    move = StockMove.objects.get()
    assert (move.delta, move.lot_no, move.note) == (6, "HA20261001", "到货")


def test_receipt_form_does_not_take_untracked_items(
    client_for, store_a_manager, warehouse_a, chain
):
    plain = make_item(chain, "SV", name="面诊服务", track_stock=False)
    response = client_for(store_a_manager).post(
        "/inventory/receipts/new/",
        {
            "warehouse": warehouse_a.pk,
            "business_date": TODAY.isoformat(),
            **_lines({"item": plain.pk, "quantity": "1"}),
        },
    )
    # the item is not offered at all (only stock-tracked items are)
    assert response.status_code == 422 and not StockMove.objects.exists()


def test_transfer_form_refuses_short_stock_with_the_message(
    client_for, store_a_manager, warehouse_a, warehouse_b, filler, stock
):
    stock(warehouse_a, filler, "1")
    response = client_for(store_a_manager).post(
        "/inventory/transfers/new/",
        {
            "from_warehouse": warehouse_a.pk,
            "to_warehouse": warehouse_b.pk,
            "business_date": TODAY.isoformat(),
            **_lines({"item": filler.pk, "quantity": "2"}),
        },
    )
    assert response.status_code == 422
    assert "库存不足" in response.content.decode()
    assert not StockTransfer.objects.exists()


def test_transfer_form_moves_stock(
    client_for, store_a_manager, warehouse_a, warehouse_b, filler, stock
):
    stock(warehouse_a, filler, "3")
    response = client_for(store_a_manager).post(
        "/inventory/transfers/new/",
        {
            "from_warehouse": warehouse_a.pk,
            "to_warehouse": warehouse_b.pk,
            "business_date": TODAY.isoformat(),
            **_lines({"item": filler.pk, "quantity": "2"}),
        },
    )
    assert response.status_code == 302
    assert StockLevel.objects.get(warehouse=warehouse_b, item=filler).quantity == 2


def test_count_page_posts_a_count(client_for, store_a_manager, warehouse_a, filler, mask, stock):
    stock(warehouse_a, filler, "5")
    client = client_for(store_a_manager)
    sheet = client.get(f"/inventory/counts/new/?warehouse={warehouse_a.pk}").content.decode()
    assert f'name="counted_{filler.pk}"' in sheet and f'name="counted_{mask.pk}"' in sheet
    response = client.post(
        "/inventory/counts/new/",
        {
            "warehouse": warehouse_a.pk,
            "business_date": TODAY.isoformat(),
            f"counted_{filler.pk}": "4",
            f"counted_{mask.pk}": "",
        },
    )
    count = StockCount.objects.get()
    assert response.status_code == 302 and response.url == f"/inventory/counts/{count.pk}/"
    assert StockLevel.objects.get(warehouse=warehouse_a, item=filler).quantity == 4
    detail = client.get(response.url).content.decode()
    assert "玻尿酸1ml" in detail and "-1" in detail


def test_ledger_filters_by_lot(client_for, store_a_nurse, warehouse_a, filler, mask, stock):
    stock(warehouse_a, filler, "5", lot_no="HA20261001")
    stock(warehouse_a, mask, "5", lot_no="MK1")
    html = client_for(store_a_nurse).get("/inventory/moves/?lot_no=HA20261001").content.decode()
    assert "HA20261001" in html and "MK1" not in html


def test_ledger_partial_for_htmx(client_for, store_a_nurse, warehouse_a, filler, stock):
    stock(warehouse_a, filler, "5")
    response = client_for(store_a_nurse).get("/inventory/moves/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ledger">') and "入库" in html


def test_warehouses_page_adds_a_pharmacy(client_for, store_a_manager, store_a):
    response = client_for(store_a_manager).post(
        "/inventory/warehouses/", {"store": store_a.pk, "name": "静安药房", "kind": "pharmacy"}
    )
    assert response.status_code == 302
    assert Warehouse.objects.get(store=store_a).kind == "pharmacy"


def test_nurse_cannot_add_warehouses(client_for, store_a_nurse, store_a):
    response = client_for(store_a_nurse).post(
        "/inventory/warehouses/", {"store": store_a.pk, "name": "X", "kind": "warehouse"}
    )
    assert response.status_code == 403 and not Warehouse.objects.exists()


def test_negative_stock_under_the_warn_policy_is_shown(
    client_for, store_a, store_a_manager, warehouse_a, warehouse_b, filler, stock
):
    store_a.negative_stock = "warn"
    store_a.save()
    stock(warehouse_a, filler, "1")
    response = client_for(store_a_manager).post(
        "/inventory/transfers/new/",
        {
            "from_warehouse": warehouse_a.pk,
            "to_warehouse": warehouse_b.pk,
            "business_date": TODAY.isoformat(),
            **_lines({"item": filler.pk, "quantity": "3"}),
        },
        follow=True,
    )
    html = response.content.decode()
    assert "玻尿酸1ml 在 静安仓库 的库存已为负数:-2" in html
    assert "badge text-bg-danger" in html  # the ledger row is flagged too
