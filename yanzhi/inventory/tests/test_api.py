"""The stock API over real HTTP with API tokens."""

import pytest

from yanzhi.inventory.models import StockLevel, StockMove, StockTransfer
from yanzhi.inventory.tests.conftest import make_item

pytestmark = pytest.mark.django_db(transaction=True)


def test_warehouses_create_and_list(api_for, store_a_manager, store_a, store_b):
    api = api_for(store_a_manager)
    created = api.post("/warehouses", json={"name": "静安药房", "kind": "pharmacy"})
    assert created.status_code == 201, created.text
    assert created.json()["store_id"] == store_a.pk
    listed = api.get("/warehouses").json()
    assert [w["name"] for w in listed["items"]] == ["静安药房"]
    # another store of the chain is outside the manager's scope
    refused = api.post(
        "/warehouses", json={"store_id": store_b.pk, "name": "X", "kind": "warehouse"}
    )
    assert refused.status_code == 404


def test_receipt_levels_and_ledger(api_for, store_a_manager, warehouse_a, filler):
    api = api_for(store_a_manager)
    # when
    response = api.post(
        "/stock-receipts",
        json={
            "warehouse_id": warehouse_a.pk,
            "lines": [
                {
                    "item_id": filler.pk,
                    "quantity": "10.5",
                    "lot_no": "HA20261001",
                    "expires_on": "2027-10-01",
                    "unit_cost": "880",
                }
            ],
        },
    )
    # then
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["reference"].startswith("receipt:")
    (move,) = body["moves"]
    assert move["delta"] == "10.500" and move["lot_no"] == "HA20261001"
    assert move["unit_cost_amount"] == "880.00" and move["business_date"] == "2026-03-16"
    stock = api.get("/stock", params={"q": "WL-0001"}).json()
    assert stock["count"] == 1 and stock["items"][0]["quantity"] == "10.500"
    assert stock["items"][0]["item"]["material_no"] == "WL-0001"
    ledger = api.get("/stock-moves", params={"lot_no": "HA20261001"}).json()
    assert ledger["count"] == 1
    assert api.get("/stock-moves", params={"lot_no": "NOPE"}).json()["count"] == 0


def test_bad_input_is_a_field_error_and_changes_nothing(
    api_for, store_a_manager, warehouse_a, filler, chain
):
    api = api_for(store_a_manager)
    negative = api.post(
        "/stock-receipts",
        json={"warehouse_id": warehouse_a.pk, "lines": [{"item_id": filler.pk, "quantity": "-1"}]},
    )
    assert negative.status_code == 422
    assert negative.json()["code"] == "invalid_quantity"
    assert "lines.0.quantity" in negative.json()["fields"]
    untracked = make_item(chain, "SV", track_stock=False)
    refused = api.post(
        "/stock-receipts",
        json={
            "warehouse_id": warehouse_a.pk,
            "lines": [{"item_id": untracked.pk, "quantity": "1"}],
        },
    )
    assert refused.status_code == 422 and "lines.0.item_id" in refused.json()["fields"]
    assert not StockMove.objects.exists()


def test_transfer_and_insufficient_stock(
    api_for, store_a_manager, warehouse_a, warehouse_b, filler, stock
):
    stock(warehouse_a, filler, "3")
    api = api_for(store_a_manager)
    short = api.post(
        "/stock-transfers",
        json={
            "from_warehouse_id": warehouse_a.pk,
            "to_warehouse_id": warehouse_b.pk,
            "lines": [{"item_id": filler.pk, "quantity": "5"}],
        },
    )
    assert short.status_code == 409 and short.json()["code"] == "insufficient_stock"
    assert not StockTransfer.objects.exists()
    done = api.post(
        "/stock-transfers",
        json={
            "from_warehouse_id": warehouse_a.pk,
            "to_warehouse_id": warehouse_b.pk,
            "lines": [{"item_id": filler.pk, "quantity": "2"}],
        },
    )
    assert done.status_code == 201, done.text
    assert sorted(m["kind"] for m in done.json()["moves"]) == ["transfer_in", "transfer_out"]
    assert StockLevel.objects.get(warehouse=warehouse_b, item=filler).quantity == 2


def test_count(api_for, store_a_manager, warehouse_a, filler, stock):
    stock(warehouse_a, filler, "3")
    response = api_for(store_a_manager).post(
        "/stock-counts",
        json={
            "warehouse_id": warehouse_a.pk,
            "lines": [{"item_id": filler.pk, "counted_quantity": "2.5"}],
        },
    )
    assert response.status_code == 201, response.text
    (line,) = response.json()["lines"]
    assert (line["expected_quantity"], line["difference"]) == ("3.000", "-0.500")
    assert response.json()["moves"][0]["kind"] == "count_adjustment"


def test_scope_store_b_and_other_chain_get_404(
    api_for, store_b_manager, other_chain_admin, warehouse_a, filler, stock
):
    stock(warehouse_a, filler, "3")
    for staff in (store_b_manager, other_chain_admin):
        api = api_for(staff)
        receipt = api.post(
            "/stock-receipts",
            json={"warehouse_id": warehouse_a.pk, "lines": [{"item_id": filler.pk, "quantity": 1}]},
        )
        assert receipt.status_code == 404
        assert api.get("/stock").json()["count"] == 0
        assert api.get("/stock-moves").json()["count"] == 0
    assert StockLevel.objects.get(warehouse=warehouse_a).quantity == 3


def test_nurse_reads_but_cannot_receive(api_for, store_a_nurse, warehouse_a, filler, stock):
    stock(warehouse_a, filler, "3")
    api = api_for(store_a_nurse)
    assert api.get("/stock").json()["count"] == 1
    refused = api.post(
        "/stock-receipts",
        json={"warehouse_id": warehouse_a.pk, "lines": [{"item_id": filler.pk, "quantity": 1}]},
    )
    assert refused.status_code == 403


def test_stock_list_query_count_is_constant(
    api_for, chain, hq_admin, warehouse_a, stock, django_assert_max_num_queries
):
    from django.test import Client

    from yanzhi.org.services import create_api_token

    _token, key = create_api_token(hq_admin, name="t", by=hq_admin)
    client = Client(headers={"Authorization": f"Bearer {key}"})
    stock(warehouse_a, make_item(chain, "P0"), "1")
    with django_assert_max_num_queries(10) as few:
        client.get("/api/v1/stock")
    for n in range(1, 20):
        stock(warehouse_a, make_item(chain, f"P{n}"), "1")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/stock").json()["count"] == 20


def test_period_closings_api(api_for, store_a_manager, store_a, warehouse_a, filler):
    api = api_for(store_a_manager)
    closed = api.post("/period-closings", json={"store_id": store_a.pk, "month": "2026-02-01"})
    assert closed.status_code == 201, closed.text
    assert closed.json()["month"] == "2026-02-01"
    assert closed.json()["closed_by_name"] == store_a_manager.name
    again = api.post("/period-closings", json={"store_id": store_a.pk, "month": "2026-02-01"})
    assert again.status_code == 409 and again.json()["code"] == "period_already_closed"
    assert api.get("/period-closings").json()["count"] == 1
    back_dated = api.post(
        "/stock-receipts",
        json={
            "warehouse_id": warehouse_a.pk,
            "business_date": "2026-02-27",
            "lines": [{"item_id": filler.pk, "quantity": 1}],
        },
    )
    assert back_dated.status_code == 409 and back_dated.json()["code"] == "period_closed"
    assert "2026-02 已关账" in back_dated.json()["message"]
