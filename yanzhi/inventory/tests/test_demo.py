import pytest
from django.core.management import call_command

from yanzhi.inventory.demo import build_inventory
from yanzhi.inventory.models import StockLevel, StockMove, Warehouse
from yanzhi.inventory.tests.conftest import make_item

pytestmark = pytest.mark.django_db


def test_build_inventory_stocks_every_tracked_item(
    chain, store_a, store_b, store_a_manager, store_b_manager, capsys
):
    # given
    drug = make_item(chain, "HA1", kind="drug")
    product = make_item(chain, "MK1")
    make_item(chain, "SV1", kind="service", track_stock=False)
    # when
    build_inventory(chain, [store_a, store_b], {"A": store_a_manager, "B": store_b_manager})
    # then
    assert Warehouse.objects.filter(org=chain).count() == 4
    assert StockLevel.objects.filter(item=drug, warehouse__kind="pharmacy").count() == 2
    assert StockLevel.objects.filter(item=product, warehouse__kind="warehouse").count() == 2
    assert StockLevel.objects.count() == 4
    assert all(
        m.lot_no.startswith(("HA", "MK")) and len(m.lot_no) == 10 for m in StockMove.objects.all()
    )
    call_command("check_balances")
    assert "stock: ok" in capsys.readouterr().out
