"""Demo catalogue of a three-store chain, built through the services (audited like real use).

Called by the demo builder: `build_catalog(org, stores, departments, by=hq)` with `stores` and
`departments` as the dicts it already has ({"A": Store, …}, {"皮肤科": Department, …}).
HQ assigns everything to every store except Thermage, which store C (no device) never gets; for
Thermage free pricing is on and store A sells it ¥1,000 below store B (the seed's example).
"""

from decimal import Decimal

from yanzhi.catalog import services
from yanzhi.catalog.models import Item, StoreItem

# path of category names (≤ 4 levels)
CATEGORIES = [
    ("医疗美容", "皮肤美容", "光电项目", "光子嫩肤"),
    ("医疗美容", "皮肤美容", "光电项目", "紧致提升"),
    ("医疗美容", "皮肤美容", "光电项目", "祛斑美白"),
    ("医疗美容", "注射美容", "补水注射", "水光针"),
    ("医疗美容", "注射美容", "除皱注射", "肉毒素"),
    ("医疗美容", "药品耗材", "注射药品"),
    ("医疗美容", "毛发管理", "激光脱毛"),
    ("生活美容", "面部护理", "补水护理"),
    ("生活美容", "身体护理", "肩颈理疗"),
    ("口腔", "口腔美容", "牙齿美白"),
    ("口腔", "口腔治疗", "洁牙"),
    ("商品", "护肤品", "医用面膜"),
    ("商品", "耗材"),
    ("卡项", "储值卡"),
    ("卡项", "次卡"),
    ("卡项", "套餐"),
]

# (kind, code, name, price, category path, department, order type, extra)
ITEMS = [
    ("product", "P-MASK", "医用面膜", "98", ("商品", "护肤品", "医用面膜"), "皮肤科", "医美",
     {"unit": "盒", "spec": "5片/盒", "track_stock": True, "material_no": "MAT-MASK-5"}),
    ("product", "P-GEL", "冷凝胶", "30", ("商品", "耗材"), "皮肤科", "医美",
     {"unit": "支", "spec": "300ml", "track_stock": True, "material_no": "MAT-GEL-300"}),
    ("drug", "D-HA1", "玻尿酸 1ml", "3800", ("医疗美容", "药品耗材", "注射药品"), "微整科", "医美",
     {"unit": "支", "spec": "1ml/支", "track_stock": True, "material_no": "MAT-HA-1ML"}),
    ("drug", "D-BTX100", "肉毒素 100U", "2980", ("医疗美容", "药品耗材", "注射药品"), "微整科",
     "医美", {"unit": "瓶", "spec": "100U/瓶", "track_stock": True, "material_no": "MAT-BTX-100U"}),
    ("service", "S-IPL", "光子嫩肤", "1280", ("医疗美容", "皮肤美容", "光电项目", "光子嫩肤"),
     "皮肤科", "医美", {"materials": [("P-GEL", "0.1")]}),
    ("service", "S-THERMAGE", "热玛吉 全脸", "19800",
     ("医疗美容", "皮肤美容", "光电项目", "紧致提升"), "皮肤科", "医美", {"valid_days": 365}),
    ("service", "S-PICO", "超皮秒", "3980", ("医疗美容", "皮肤美容", "光电项目", "祛斑美白"),
     "皮肤科", "医美", {"materials": [("P-GEL", "0.1")]}),
    ("service", "S-HYDRA", "水光针", "1680", ("医疗美容", "注射美容", "补水注射", "水光针"),
     "微整科", "医美", {"materials": [("D-HA1", "1")]}),
    ("service", "S-BTX", "肉毒素除皱", "3280", ("医疗美容", "注射美容", "除皱注射", "肉毒素"),
     "微整科", "医美", {"materials": [("D-BTX100", "0.5")]}),
    ("service", "S-HAIR", "激光脱毛(腋下)", "680", ("医疗美容", "毛发管理", "激光脱毛"), "毛发",
     "医美", {}),
    ("service", "L-HYDRATE", "深层补水护理", "398", ("生活美容", "面部护理", "补水护理"),
     "皮肤科", "生活美容", {"materials": [("P-MASK", "0.2")]}),
    ("service", "L-NECK", "肩颈舒缓理疗", "298", ("生活美容", "身体护理", "肩颈理疗"), "皮肤科",
     "生活美容", {}),
    ("service", "O-WHITEN", "冷光美白", "1980", ("口腔", "口腔美容", "牙齿美白"), "口腔科", "口腔",
     {}),
    ("service", "O-CLEAN", "超声波洁牙", "298", ("口腔", "口腔治疗", "洁牙"), "口腔科", "口腔", {}),
    ("package", "K-IPL3", "光子嫩肤 3次+面膜 套餐", "3480", ("卡项", "套餐"), "皮肤科", "医美",
     {"components": [("S-IPL", 3), ("P-MASK", 2)], "valid_days": 365}),
    ("card", "C-SV10000", "储值卡 10000(赠1000)", "10000", ("卡项", "储值卡"), None, "医美",
     {"card_type": "stored_value", "card_value_amount": "11000", "valid_days": 730}),
    ("card", "C-HYDRA6", "水光针 6次卡", "8800", ("卡项", "次卡"), "微整科", "医美",
     {"card_type": "sessions", "card_sessions": 6, "card_service": "S-HYDRA",
      "valid_days": 365}),
]  # fmt: skip

THERMAGE = "S-THERMAGE"
# Free-pricing store prices of Thermage: A is ¥1,000 below B (B keeps the HQ price).
STORE_PRICES = {"A": Decimal("18800.00")}


def build_catalog(org, stores: dict, departments: dict, by) -> dict[str, Item]:
    """Categories, items, packages, cards and their distribution; returns the items by code."""
    categories = {}
    for path in CATEGORIES:
        for depth in range(1, len(path) + 1):
            key = path[:depth]
            if key not in categories:
                categories[key] = services.create_category(
                    org, name=key[-1], parent=categories.get(key[:-1]), by=by
                )
    items: dict[str, Item] = {}
    for kind, code, name, price, path, department, order_type, extra in ITEMS:
        extra = dict(extra)
        if "materials" in extra:
            extra["materials"] = [(items[c], q) for c, q in extra["materials"]]
        if "components" in extra:
            extra["components"] = [(items[c], q) for c, q in extra["components"]]
        if "card_service" in extra:
            extra["card_service"] = items[extra["card_service"]]
        items[code] = services.create_item(
            org,
            kind=kind,
            code=code,
            name=name,
            price_amount=Decimal(price),
            category=categories[path],
            department=departments.get(department) if department else None,
            order_type=order_type,
            by=by,
            **extra,
        )
    everywhere = [i.pk for code, i in items.items() if code != THERMAGE]
    services.assign_items(
        org, item_ids=everywhere, store_ids=[s.pk for s in stores.values()], by=by
    )
    with_device = [s.pk for code, s in stores.items() if code != "C"]
    services.assign_items(
        org, item_ids=[items[THERMAGE].pk], store_ids=with_device, free_pricing=True, by=by
    )
    for store_code, price in STORE_PRICES.items():
        row = StoreItem.objects.get(store=stores[store_code], item=items[THERMAGE])
        services.set_store_price(row, price_amount=price, by=by)
    return items
