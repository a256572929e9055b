"""The generated chain's catalogue: a four-level category tree and items of every kind (services
of five departments, stock-tracked products and drugs, packages, stored-value and session cards),
created through the catalogue services so they are exactly what HQ would configure."""

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from yanzhi.catalog import services
from yanzhi.catalog.models import Item

DEPARTMENTS = ["皮肤科", "微整科", "整形外科", "口腔科", "毛发"]
SURGICAL = ("整形外科", "微整科")  # the default post-op follow-up rule covers these

SKIN = ("医疗美容", "皮肤美容", "光电项目")
INJECT = ("医疗美容", "注射美容")
SURGERY = ("医疗美容", "整形手术")
HAIR = ("医疗美容", "毛发管理")

# (kind, code, name, price, category path, department, order type, extra); weight = how often
# it is sold among items of its kind.
ITEMS = [
    ("service", "S-IPL", "光子嫩肤", "1280", SKIN + ("光子嫩肤",), "皮肤科", "医美", {}, 30),
    ("service", "S-PICO", "超皮秒", "3980", SKIN + ("祛斑美白",), "皮肤科", "医美", {}, 14),
    ("service", "S-THERMAGE", "热玛吉 全脸", "19800", SKIN + ("紧致提升",), "皮肤科", "医美",
     {"valid_days": 365}, 4),
    ("service", "S-THERMALIFT", "热拉提", "6800", SKIN + ("紧致提升",), "皮肤科", "医美", {}, 6),
    ("service", "S-MICRONEEDLE", "黄金微针", "2980", SKIN + ("焕肤",), "皮肤科", "医美", {}, 8),
    ("service", "S-FRACTIONAL", "点阵激光", "1880", SKIN + ("祛斑美白",), "皮肤科", "医美", {}, 8),
    ("service", "S-PEEL", "果酸焕肤", "680", SKIN + ("焕肤",), "皮肤科", "医美", {}, 14),
    ("service", "S-BUBBLE", "小气泡清洁", "298", SKIN + ("焕肤",), "皮肤科", "医美", {}, 24),
    ("service", "S-RF", "射频紧致", "2580", SKIN + ("紧致提升",), "皮肤科", "医美", {}, 6),
    ("service", "S-HYDRA", "水光针", "1680", INJECT + ("补水注射", "水光针"), "微整科", "医美",
     {}, 6),
    ("service", "S-BTX", "肉毒素除皱", "3280", INJECT + ("除皱注射", "肉毒素"), "微整科", "医美",
     {}, 4),
    ("service", "S-FILLER", "玻尿酸填充", "4800", INJECT + ("填充注射", "玻尿酸"), "微整科",
     "医美", {}, 2),
    ("service", "S-SLIM", "瘦脸针", "2980", INJECT + ("塑形注射", "瘦脸"), "微整科", "医美", {}, 2),
    ("service", "S-LIPO-INJ", "溶脂针", "1980", INJECT + ("塑形注射", "溶脂"), "微整科", "医美",
     {}, 2),
    ("service", "S-NECK", "嗨体颈纹", "3600", INJECT + ("除皱注射", "颈纹"), "微整科", "医美",
     {}, 2),
    ("service", "S-SCULPTRA", "童颜针", "12800", INJECT + ("填充注射", "童颜针"), "微整科",
     "医美", {}, 1),
    ("service", "S-EYELID", "双眼皮(全切)", "8800", SURGERY + ("眼部整形", "双眼皮"),
     "整形外科", "医美", {}, 2),
    ("service", "S-EYEBAG", "眼袋去除", "7800", SURGERY + ("眼部整形", "眼袋"), "整形外科",
     "医美", {}, 1),
    ("service", "S-NOSE", "隆鼻(假体)", "18800", SURGERY + ("鼻部整形", "隆鼻"), "整形外科",
     "医美", {}, 1),
    ("service", "S-LIPO", "吸脂(腰腹)", "16800", SURGERY + ("形体雕塑", "吸脂"), "整形外科",
     "医美", {}, 1),
    ("service", "S-FAT", "自体脂肪填充", "12800", SURGERY + ("形体雕塑", "脂肪填充"),
     "整形外科", "医美", {}, 1),
    ("service", "O-WHITEN", "冷光美白", "1980", ("口腔", "口腔美容", "牙齿美白"), "口腔科",
     "口腔", {}, 6),
    ("service", "O-ALIGN", "隐形矫正", "29800", ("口腔", "口腔美容", "正畸"), "口腔科", "口腔",
     {}, 1),
    ("service", "O-CLEAN", "超声波洁牙", "298", ("口腔", "口腔治疗", "洁牙"), "口腔科", "口腔",
     {}, 12),
    ("service", "O-IMPLANT", "种植牙(单颗)", "9800", ("口腔", "口腔治疗", "种植"), "口腔科",
     "口腔", {}, 2),
    ("service", "H-ARMPIT", "激光脱毛(腋下)", "680", HAIR + ("激光脱毛",), "毛发", "医美", {}, 10),
    ("service", "H-LEGS", "激光脱毛(全腿)", "2680", HAIR + ("激光脱毛",), "毛发", "医美", {}, 4),
    ("service", "H-TRANSPLANT", "植发(500单位)", "15800", HAIR + ("植发",), "毛发", "医美", {}, 1),
    ("service", "L-HYDRATE", "深层补水护理", "398", ("生活美容", "面部护理", "补水护理"),
     "皮肤科", "生活美容", {}, 18),
    ("service", "L-EYE", "眼部护理", "268", ("生活美容", "面部护理", "眼部护理"), "皮肤科",
     "生活美容", {}, 8),
    ("service", "L-NECK", "肩颈舒缓理疗", "298", ("生活美容", "身体护理", "肩颈理疗"), "皮肤科",
     "生活美容", {}, 10),
    ("service", "L-SPA", "背部SPA", "358", ("生活美容", "身体护理", "SPA"), "皮肤科",
     "生活美容", {}, 6),
    ("product", "P-MASK", "医用面膜", "98", ("商品", "护肤品", "面膜"), "皮肤科", "医美",
     {"unit": "盒", "spec": "5片/盒", "track_stock": True, "material_no": "MAT-MASK-5"}, 30),
    ("product", "P-SERUM", "修护精华", "380", ("商品", "护肤品", "精华"), "皮肤科", "医美",
     {"unit": "瓶", "spec": "30ml", "track_stock": True, "material_no": "MAT-SERUM-30"}, 12),
    ("product", "P-SUN", "医用防晒霜", "198", ("商品", "护肤品", "防晒"), "皮肤科", "医美",
     {"unit": "支", "spec": "50g", "track_stock": True, "material_no": "MAT-SUN-50"}, 16),
    ("product", "P-CREAM", "修复霜", "268", ("商品", "护肤品", "修复"), "皮肤科", "医美",
     {"unit": "支", "spec": "30g", "track_stock": True, "material_no": "MAT-CREAM-30"}, 14),
    ("product", "P-CLEANSER", "氨基酸洁面乳", "128", ("商品", "护肤品", "洁面"), "皮肤科", "医美",
     {"unit": "支", "spec": "120ml", "track_stock": True, "material_no": "MAT-CLEAN-120"}, 10),
    ("product", "P-SPRAY", "补水喷雾", "88", ("商品", "护肤品", "喷雾"), "皮肤科", "医美",
     {"unit": "瓶", "spec": "150ml", "track_stock": True, "material_no": "MAT-SPRAY-150"}, 8),
    ("product", "P-COLLAGEN", "胶原蛋白饮", "580", ("商品", "口服美容"), None, "医美",
     {"unit": "盒", "spec": "10瓶/盒", "track_stock": True, "material_no": "MAT-COLL-10"}, 6),
    ("product", "P-GEL", "冷凝胶", "30", ("商品", "耗材"), "皮肤科", "医美",
     {"unit": "支", "spec": "300ml", "track_stock": True, "material_no": "MAT-GEL-300"}, 4),
    ("drug", "D-HA1", "玻尿酸 1ml", "3800", ("药品", "注射药品"), "微整科", "医美",
     {"unit": "支", "spec": "1ml/支", "track_stock": True, "material_no": "MAT-HA-1ML"}, 20),
    ("drug", "D-BTX100", "肉毒素 100U", "2980", ("药品", "注射药品"), "微整科", "医美",
     {"unit": "瓶", "spec": "100U/瓶", "track_stock": True, "material_no": "MAT-BTX-100U"}, 16),
    ("drug", "D-LIDO", "复方利多卡因乳膏", "58", ("药品", "外用药"), "微整科", "医美",
     {"unit": "支", "spec": "10g", "track_stock": True, "material_no": "MAT-LIDO-10"}, 14),
    ("drug", "D-TXA", "氨甲环酸片", "68", ("药品", "口服药"), "皮肤科", "医美",
     {"unit": "盒", "spec": "0.25g×24片", "track_stock": True, "material_no": "MAT-TXA-24"}, 12),
    ("drug", "D-TRET", "维A酸乳膏", "45", ("药品", "外用药"), "皮肤科", "医美",
     {"unit": "支", "spec": "15g", "track_stock": True, "material_no": "MAT-TRET-15"}, 10),
    ("drug", "D-MUPI", "莫匹罗星软膏", "35", ("药品", "外用药"), "整形外科", "医美",
     {"unit": "支", "spec": "5g", "track_stock": True, "material_no": "MAT-MUPI-5"}, 10),
    ("package", "K-IPL3", "光子嫩肤3次+面膜套餐", "3480", ("卡项", "套餐"), "皮肤科", "医美",
     {"components": [("S-IPL", 3), ("P-MASK", 2)], "valid_days": 365}, 30),
    ("package", "K-GLOW", "水光焕颜套餐", "4680", ("卡项", "套餐"), "微整科", "医美",
     {"components": [("S-HYDRA", 2), ("S-BUBBLE", 2), ("P-MASK", 1)], "valid_days": 365}, 6),
    ("package", "K-LIFT", "紧致抗衰套餐", "24800", ("卡项", "套餐"), "皮肤科", "医美",
     {"components": [("S-THERMALIFT", 2), ("S-RF", 3)], "valid_days": 365}, 8),
    ("package", "K-CARE10", "补水护理10次套餐", "2980", ("卡项", "套餐"), "皮肤科", "生活美容",
     {"components": [("L-HYDRATE", 10)], "valid_days": 365}, 25),
    ("card", "C-SV5000", "储值卡 5000(赠300)", "5000", ("卡项", "储值卡"), None, "医美",
     {"card_type": "stored_value", "card_value_amount": "5300"}, 40),
    ("card", "C-SV10000", "储值卡 10000(赠1000)", "10000", ("卡项", "储值卡"), None, "医美",
     {"card_type": "stored_value", "card_value_amount": "11000"}, 30),
    ("card", "C-SV20000", "储值卡 20000(赠3000)", "20000", ("卡项", "储值卡"), None, "医美",
     {"card_type": "stored_value", "card_value_amount": "23000"}, 12),
    ("card", "C-SV50000", "储值卡 50000(赠10000)", "50000", ("卡项", "储值卡"), None, "医美",
     {"card_type": "stored_value", "card_value_amount": "60000"}, 3),
    ("card", "C-HYDRA6", "水光针6次卡", "8800", ("卡项", "次卡"), "微整科", "医美",
     {"card_type": "sessions", "card_sessions": 6, "card_service": "S-HYDRA",
      "valid_days": 365}, 3),
    ("card", "C-IPL5", "光子嫩肤5次卡", "5200", ("卡项", "次卡"), "皮肤科", "医美",
     {"card_type": "sessions", "card_sessions": 5, "card_service": "S-IPL",
      "valid_days": 365}, 12),
    ("card", "C-BUBBLE10", "小气泡10次卡", "1980", ("卡项", "次卡"), "皮肤科", "医美",
     {"card_type": "sessions", "card_sessions": 10, "card_service": "S-BUBBLE",
      "valid_days": 365}, 14),
    ("card", "C-NECK10", "肩颈理疗10次卡", "2380", ("卡项", "次卡"), "皮肤科", "生活美容",
     {"card_type": "sessions", "card_sessions": 10, "card_service": "L-NECK",
      "valid_days": 365}, 10),
    ("card", "C-HAIR6", "腋下脱毛6次卡", "2980", ("卡项", "次卡"), "毛发", "医美",
     {"card_type": "sessions", "card_sessions": 6, "card_service": "H-ARMPIT",
      "valid_days": 730}, 8),
]  # fmt: skip

DEVICE_ITEMS = {"S-THERMAGE"}  # only stores with the device (about 60 %)
DENTAL_DEPARTMENT = "口腔科"  # only stores with a dental clinic (about half)
# Free pricing (门店自由定价): flagship stores sell Thermage ¥1,000 below the HQ price.
FREE_PRICE_ITEM, FREE_PRICE_DISCOUNT = "S-THERMAGE", Decimal("1000.00")


@dataclass
class ItemInfo:
    id: int
    kind: str
    code: str
    name: str
    price: int  # fen
    department: str | None
    order_type: str
    valid_days: int | None
    track_stock: bool
    card_type: str
    card_value: int | None
    card_sessions: int
    card_service_id: int | None
    weight: int
    components: list = field(default_factory=list)  # [(ItemInfo, quantity)]

    @cached_property
    def surgical(self) -> bool:
        return self.kind == Item.Kind.SERVICE and self.department in SURGICAL


def build_catalogue(org, departments: dict, *, by) -> dict[str, ItemInfo]:
    """Categories and items through the catalogue services; returns ItemInfo by code."""
    categories = {}
    for row in ITEMS:
        path = row[4]
        for depth in range(1, len(path) + 1):
            key = path[:depth]
            if key not in categories:
                categories[key] = services.create_category(
                    org, name=key[-1], parent=categories.get(key[:-1]), by=by
                )
    created: dict[str, Item] = {}
    infos: dict[str, ItemInfo] = {}
    for kind, code, name, price, path, department, order_type, extra, weight in ITEMS:
        extra = dict(extra)
        if "components" in extra:
            extra["components"] = [(created[c], q) for c, q in extra["components"]]
        if "card_service" in extra:
            extra["card_service"] = created[extra["card_service"]]
        if "card_value_amount" in extra:
            extra["card_value_amount"] = Decimal(extra["card_value_amount"])
        item = services.create_item(
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
        created[code] = item
        infos[code] = ItemInfo(
            id=item.pk,
            kind=kind,
            code=code,
            name=item.name,
            price=int(item.price_amount * 100),
            department=department,
            order_type=order_type,
            valid_days=item.valid_days,
            track_stock=item.track_stock,
            card_type=item.card_type,
            card_value=int(item.card_value_amount * 100) if item.card_value_amount else None,
            card_sessions=item.card_sessions or 0,
            card_service_id=item.card_service_id,
            weight=weight,
            components=[(infos[c.code], q) for c, q in extra.get("components", [])],
        )
    return infos
