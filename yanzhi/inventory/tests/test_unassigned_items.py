"""A store only stocks the items HQ assigned to it: an item assigned only to another store does
not exist for it on the stock pages, the count sheet or the API (as in the catalogue)."""

import pytest

from yanzhi.inventory.models import StockLevel, StockMove
from yanzhi.inventory.tests.conftest import make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def b_only_tip(chain, store_a, store_b):
    return make_item(
        chain, "TIP-B", name="热玛吉探头B店专用", material_no="WL-B-TIP", stores=[store_b]
    )


def test_store_pages_do_not_offer_an_item_assigned_only_to_another_store(
    client_for, store_a_manager, warehouse_a, filler, b_only_tip
):
    # given an item assigned only to store B, and one assigned to store A
    client = client_for(store_a_manager)
    # when store A's manager opens the stock forms, the ledger and the count sheet
    pages = [
        "/inventory/receipts/new/",
        "/inventory/transfers/new/",
        "/inventory/moves/",
        f"/inventory/counts/new/?warehouse={warehouse_a.pk}",
    ]
    for url in pages:
        html = client.get(url).content.decode()
        # then store A's item is offered, store B's is not
        assert "玻尿酸1ml" in html, url
        assert "热玛吉探头B店专用" not in html and "WL-B-TIP" not in html, url


def test_hq_still_sees_every_stock_item(client_for, hq_admin, warehouse_a, b_only_tip):
    html = client_for(hq_admin).get("/inventory/receipts/new/").content.decode()
    assert "热玛吉探头B店专用" in html


def test_store_cannot_receive_an_item_assigned_only_to_another_store(
    api_for, store_a_manager, warehouse_a, b_only_tip
):
    # when store A's manager receives store B's item over the API
    response = api_for(store_a_manager).post(
        "/stock-receipts",
        json={"warehouse_id": warehouse_a.pk, "lines": [{"item_id": b_only_tip.pk, "quantity": 1}]},
    )
    # then it is an unknown item of the line, and nothing moved
    assert response.status_code == 422
    assert "lines.0.item_id" in response.json()["fields"]
    assert not StockMove.objects.exists() and not StockLevel.objects.exists()


def test_count_sheet_keeps_an_item_the_warehouse_holds_even_if_unassigned(
    client_for, store_a_manager, warehouse_a, b_only_tip, stock
):
    # given stock of store B's item in store A's warehouse (e.g. received before a withdrawal)
    stock(warehouse_a, b_only_tip, "3")
    # when store A counts that warehouse
    html = client_for(store_a_manager).get(f"/inventory/counts/new/?warehouse={warehouse_a.pk}")
    # then the held item is on the sheet, so the count can correct it
    assert f'name="counted_{b_only_tip.pk}"' in html.content.decode()
