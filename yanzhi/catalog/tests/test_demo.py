"""The demo catalogue: four-level categories, every kind, Thermage kept out of store C, and
store A's Thermage ¥1,000 below store B's."""

from decimal import Decimal

from yanzhi.catalog import queries
from yanzhi.catalog.demo import build_catalog
from yanzhi.catalog.models import Category, Item
from yanzhi.org.models import Department
from yanzhi.org.policy import scope_for


def test_build_catalog(chain, hq_admin, store_a, store_b, store_c):
    departments = {
        name: Department.objects.create(org=chain, name=name)
        for name in ("皮肤科", "微整科", "整形外科", "口腔科", "毛发")
    }
    stores = {"A": store_a, "B": store_b, "C": store_c}
    # when
    items = build_catalog(chain, stores, departments, by=hq_admin)
    # then
    assert Category.objects.filter(org=chain, level=4).exists()
    assert set(Item.objects.values_list("kind", flat=True)) == set(Item.Kind.values)
    thermage = items["S-THERMAGE"]
    scope = scope_for(hq_admin)
    assert thermage not in queries.sellable_items(scope, store_c)
    assert queries.price_for(store_b, thermage) - queries.price_for(store_a, thermage) == 1000
    assert items["C-SV10000"].card_value_amount == Decimal("11000.00")
    assert items["L-HYDRATE"].order_type == "生活美容"
    assert queries.sellable_items(scope, store_c).count() == len(items) - 1
