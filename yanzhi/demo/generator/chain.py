"""The chain itself: organization, stores, departments, staff of every role with consultant
groups and leaders, channels, tags, membership levels, consent documents, the deal definition,
the catalogue with its distribution to stores, warehouses and the default follow-up rules.

Small (a few thousand rows), written through the ORM and the catalogue / follow-up services.
Staff share one password hash computed once, so 1,500 accounts take no time."""

import random
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal

from django.contrib.auth.hashers import make_password

from yanzhi.catalog import services as catalog_services
from yanzhi.catalog.models import StoreItem
from yanzhi.customers.models import (
    ConsentDocument,
    MembershipLevel,
    SourceChannel,
    Tag,
)
from yanzhi.demo.generator import people
from yanzhi.demo.generator.catalogue import (
    DENTAL_DEPARTMENT,
    DEPARTMENTS,
    DEVICE_ITEMS,
    FREE_PRICE_DISCOUNT,
    FREE_PRICE_ITEM,
    ItemInfo,
    build_catalogue,
)
from yanzhi.followups.models import FollowupRule
from yanzhi.followups.services import install_default_rules
from yanzhi.inventory.models import Warehouse
from yanzhi.org.models import Department, Organization, Staff, StaffGroup, Store
from yanzhi.sales.models import DealDefinition

BENCH_PASSWORD = "Yanzhi-bench-2026"
ORG_CODE = "liren"
ORG_NAME = "丽人医美连锁"
USER_PREFIX = "lr"

CITIES = [
    ("上海", ["静安", "徐汇", "长宁", "浦东", "黄浦", "闵行", "普陀", "杨浦", "宝山", "松江"]),
    ("杭州", ["西湖", "上城", "拱墅", "滨江", "萧山"]),
    ("南京", ["鼓楼", "玄武", "秦淮", "建邺"]),
    ("苏州", ["姑苏", "工业园区", "吴中"]),
    ("宁波", ["海曙", "鄞州"]),
    ("无锡", ["梁溪", "滨湖"]),
]
STREETS = ["南京西路", "淮海中路", "世纪大道", "文三路", "中山路", "人民路", "解放路", "建设路"]

# Per store: (role, how many, title, department of each).
STORE_STAFF = [
    ("store_manager", 1, "店长", None),
    ("front_desk", 2, "导医", None),
    ("consultant", 4, "咨询师", None),
    ("online_consultant", 1, "网电咨询师", None),
    ("doctor", 2, "主治医师", ["皮肤科", "微整科"]),
    ("nurse", 3, "护士", ["皮肤科", "微整科", "皮肤科"]),
    ("customer_service", 1, "客服专员", None),
    ("cashier", 1, "收银员", None),
]
# Flagship stores (every fourth) also have a plastic surgeon.
FLAGSHIP_EXTRA = [("doctor", 1, "主任医师", ["整形外科"])]
HQ_STAFF = [
    ("hq", "总经理"),
    ("hq-ops", "运营总监"),
    ("hq-finance", "财务总监"),
]

CHANNELS = [
    ("美团点评", "ecommerce", 15),
    ("新氧", "ecommerce", 10),
    ("抖音", "influencer", 10),
    ("小红书达人", "influencer", 5),
    ("老带新", "referral", 10),
    ("百度推广", "online", 8),
    ("400电话", "online", 5),
    ("微信公众号", "online", 12),
    ("自然到店", "walk_in", 20),
    ("异业合作", "other", 5),
]
TAGS = [
    ("VIP", "#d63384", 6),
    ("敏感肌", "#fd7e14", 10),
    ("怕疼", "#6f42c1", 8),
    ("价格敏感", "#6c757d", 10),
    ("高消费潜力", "#198754", 5),
    ("瘢痕体质", "#dc3545", 2),
    ("备孕", "#0dcaf0", 2),
    ("学生", "#0d6efd", 4),
    ("投诉过", "#343a40", 1),
    ("喜欢周末", "#20c997", 6),
]
LEVELS = [("普通会员", 0, 1), ("银卡会员", 5000, 2), ("金卡会员", 20000, 3), ("钻石会员", 80000, 4)]
CONSENTS = [
    (
        "medical",
        "医疗数据与照片使用知情同意书",
        "本人同意诊所为诊疗目的记录和保存本人的病历与照片。",
    ),
    ("marketing", "营销信息接收同意书", "本人同意接收诊所的活动、节日问候等营销信息,可随时撤回。"),
]


@dataclass
class StoreInfo:
    id: int
    code: str
    name: str
    phone: str
    weight: float
    staff: dict = field(default_factory=dict)  # role → [staff id]
    items: list = field(default_factory=list)  # ItemInfo sold here
    warehouse_id: int = 0
    pharmacy_id: int = 0


@dataclass
class RuleNode:
    id: int
    label: str
    value: int
    unit: str
    owner_role: str
    channel: str
    script: str


@dataclass
class RuleInfo:
    id: int
    name: str
    trigger: str
    wait_days: int
    nodes: list
    dates: list
    deal_statuses: list
    is_active: bool


@dataclass
class World:
    """Everything the history builder needs about the chain, as plain values."""

    org_id: int
    stores: list[StoreInfo]
    staff_names: dict[int, str]
    staff_role: dict[int, str]
    staff_stores: dict[int, set]
    hq_ids: list[int]
    items: dict[str, ItemInfo]
    channels: list  # (id, kind, weight)
    tags: list  # (id, weight)
    levels: list  # (id, min fen), lowest first
    rules: dict  # trigger → [RuleInfo]
    deal_definition_id: int
    consent_documents: dict  # kind → id


def _store_names(count: int, rng) -> list[tuple[str, str]]:
    names = []
    for n in range(count):
        city, districts = CITIES[n % len(CITIES)]
        district = districts[(n // len(CITIES)) % len(districts)]
        round_no = n // sum(len(d) for _c, d in CITIES)
        suffix = "" if round_no == 0 else f"{round_no + 1}号"
        name = f"{city}{district}{suffix}店"
        address = f"{city}市{district}区{rng.choice(STREETS)}{rng.randrange(1, 2000)}号"
        names.append((name, address))
    return names


def build_chain(*, stores: int, seed: int, start, log=lambda message: None) -> World:
    rng = random.Random(f"chain:{seed}")
    org = Organization.objects.create(name=ORG_NAME, code=ORG_CODE)
    departments = {name: Department.objects.create(org=org, name=name) for name in DEPARTMENTS}

    store_rows = []
    for n, (name, address) in enumerate(_store_names(stores, rng)):
        store_rows.append(
            Store(
                org=org,
                code=f"S{n + 1:03d}",
                name=name,
                address=address,
                phone=f"021-6{rng.randrange(10**6, 10**7)}",
                opens_at=time(10, 0),
                closes_at=time(21, 0),
            )
        )
    Store.objects.bulk_create(store_rows)
    store_objs = list(Store.objects.filter(org=org).order_by("code"))

    # --- staff --------------------------------------------------------------------------------
    password = make_password(BENCH_PASSWORD)
    staff_rows, memberships = [], []  # memberships: (username, store index or None)
    for username, title in HQ_STAFF:
        staff_rows.append(
            Staff(
                org=org,
                username=f"{USER_PREFIX}-{username}",
                name=people.name(rng, rng.choice(("female", "male"))),
                role="hq",
                title=title,
                can_unmask=True,
                password=password,
            )
        )
    for index, store in enumerate(store_objs):
        plan = STORE_STAFF + (FLAGSHIP_EXTRA if index % 4 == 0 else [])
        counters: dict[str, int] = {}
        for role, count, title, depts in plan:
            for k in range(count):
                counters[role] = counters.get(role, 0) + 1
                username = f"{USER_PREFIX}-{store.code.lower()}-{role.replace('_', '')}"
                username += str(counters[role])
                gender = "female" if role in ("front_desk", "nurse", "consultant") else None
                gender = gender or rng.choice(("female", "male"))
                department = departments[depts[k]] if depts else None
                staff_rows.append(
                    Staff(
                        org=org,
                        username=username,
                        name=people.name(rng, gender),
                        mobile=f"13{rng.randrange(10**9):09d}",
                        role=role,
                        title=title,
                        department=department,
                        can_unmask=role in ("store_manager",),
                        password=password,
                    )
                )
                memberships.append((username, index))
    for row in staff_rows:
        row.password_changed_at = start
    Staff.objects.bulk_create(staff_rows)
    by_username = {s.username: s for s in Staff.objects.filter(org=org)}
    Through = Staff.stores.through
    Through.objects.bulk_create(
        Through(staff_id=by_username[u].pk, store_id=store_objs[i].pk) for u, i in memberships
    )

    # One consultant group per store, led by its first (senior) consultant.
    store_staff: dict[int, dict[str, list[int]]] = {}
    for username, index in memberships:
        staff = by_username[username]
        store_staff.setdefault(index, {}).setdefault(staff.role, []).append(staff.pk)
    groups = []
    for index, store in enumerate(store_objs):
        consultants = store_staff[index]["consultant"]
        groups.append(
            StaffGroup(org=org, store=store, name=f"{store.name}咨询一组", leader_id=consultants[0])
        )
    StaffGroup.objects.bulk_create(groups)
    for index, group in enumerate(StaffGroup.objects.filter(org=org).order_by("pk")):
        Staff.objects.filter(pk__in=store_staff[index]["consultant"]).update(group=group)
        Staff.objects.filter(pk=store_staff[index]["consultant"][0]).update(title="高级咨询师")
    hq = by_username[f"{USER_PREFIX}-hq"]
    log(f"{len(store_objs)} stores, {len(staff_rows)} staff")

    # --- reference data -------------------------------------------------------------------------
    SourceChannel.objects.bulk_create(
        SourceChannel(org=org, name=name, kind=kind) for name, kind, _w in CHANNELS
    )
    channel_ids = dict(SourceChannel.objects.filter(org=org).values_list("name", "pk"))
    Tag.objects.bulk_create(Tag(org=org, name=name, color=color) for name, color, _w in TAGS)
    tag_ids = dict(Tag.objects.filter(org=org).values_list("name", "pk"))
    MembershipLevel.objects.bulk_create(
        MembershipLevel(org=org, name=name, min_spend_amount=Decimal(amount), rank=rank)
        for name, amount, rank in LEVELS
    )
    levels = [
        (pk, int(amount * 100))
        for pk, amount in MembershipLevel.objects.filter(org=org)
        .order_by("min_spend_amount")
        .values_list("pk", "min_spend_amount")
    ]
    for kind, title, body in CONSENTS:
        ConsentDocument.objects.create(org=org, kind=kind, version=1, title=title, body=body)
    consent_documents = dict(ConsentDocument.objects.filter(org=org).values_list("kind", "pk"))
    definition = DealDefinition.objects.create(
        org=org, order_types=[], min_amount=Decimal("0.00"), effective_from=start, created_by=hq
    )

    # --- catalogue and its distribution -------------------------------------------------------------
    items = build_catalogue(org, departments, by=hq)
    store_ids = [s.pk for s in store_objs]
    with_device = [s.pk for i, s in enumerate(store_objs) if i % 5 < 3]
    with_dental = [s.pk for i, s in enumerate(store_objs) if i % 2 == 0]
    general = [
        i.id for i in items.values() if i.code not in DEVICE_ITEMS and i.department != "口腔科"
    ]
    catalog_services.assign_items(org, item_ids=general, store_ids=store_ids, by=hq)
    catalog_services.assign_items(
        org,
        item_ids=[i.id for i in items.values() if i.code in DEVICE_ITEMS],
        store_ids=with_device,
        free_pricing=True,
        by=hq,
    )
    catalog_services.assign_items(
        org,
        item_ids=[i.id for i in items.values() if i.department == DENTAL_DEPARTMENT],
        store_ids=with_dental,
        by=hq,
    )
    # With free pricing on, a store without its own price sells at the HQ price; flagship
    # stores set theirs lower.
    free = items[FREE_PRICE_ITEM]
    flagship_ids = [s.pk for i, s in enumerate(store_objs) if i % 4 == 0 and s.pk in with_device]
    StoreItem.objects.filter(store_id__in=flagship_ids, item_id=free.id).update(
        price_amount=Decimal(free.price) / 100 - FREE_PRICE_DISCOUNT
    )
    sold = {}
    for store_id, item_id, free_pricing, price in StoreItem.objects.filter(org=org).values_list(
        "store_id", "item_id", "free_pricing", "price_amount"
    ):
        sold.setdefault(store_id, {})[item_id] = (
            int(price * 100) if free_pricing and price is not None else None
        )

    # --- warehouses ------------------------------------------------------------------------------
    Warehouse.objects.bulk_create(
        Warehouse(org=org, store=s, name=f"{s.name}{label}", kind=kind)
        for s in store_objs
        for label, kind in (("仓库", "warehouse"), ("药房", "pharmacy"))
    )
    warehouses = {
        (store_id, kind): pk
        for pk, store_id, kind in Warehouse.objects.filter(org=org).values_list(
            "pk", "store_id", "kind"
        )
    }

    # --- follow-up rules (the shipped defaults) --------------------------------------------------
    install_default_rules(org, by=None)
    rules: dict[str, list[RuleInfo]] = {}
    for rule in FollowupRule.objects.filter(org=org).prefetch_related("nodes").order_by("pk"):
        rules.setdefault(rule.trigger, []).append(
            RuleInfo(
                id=rule.pk,
                name=rule.name,
                trigger=rule.trigger,
                wait_days=rule.wait_days,
                nodes=[
                    RuleNode(
                        n.pk,
                        n.label,
                        n.offset_value,
                        n.offset_unit,
                        n.owner_role,
                        n.channel,
                        n.script,
                    )
                    for n in rule.nodes.all()
                ],
                dates=list(rule.dates),
                deal_statuses=list(rule.deal_statuses),
                is_active=rule.is_active,
            )
        )

    # --- the world as plain values ---------------------------------------------------------------
    by_id = {item.id: item for item in items.values()}
    store_infos = []
    for index, store in enumerate(store_objs):
        # Bigger stores in big cities: weights between 0.5 and 1.5.
        weight = 1.5 - (index % len(CITIES)) * 0.18 + rng.random() * 0.2
        info = StoreInfo(
            id=store.pk,
            code=store.code,
            name=store.name,
            phone=store.phone,
            weight=weight,
            staff=store_staff[index],
            warehouse_id=warehouses[(store.pk, "warehouse")],
            pharmacy_id=warehouses[(store.pk, "pharmacy")],
        )
        for item_id, own_price in sorted(sold.get(store.pk, {}).items()):
            item = by_id[item_id]
            if own_price is not None and own_price != item.price:
                item = _priced(item, own_price)
            info.items.append(item)
        store_infos.append(info)
    staff_stores: dict[int, set] = {}
    for username, index in memberships:
        staff_stores.setdefault(by_username[username].pk, set()).add(store_objs[index].pk)
    return World(
        org_id=org.pk,
        stores=store_infos,
        staff_names={s.pk: s.name for s in by_username.values()},
        staff_role={s.pk: s.role for s in by_username.values()},
        staff_stores=staff_stores,
        hq_ids=sorted(s.pk for s in by_username.values() if s.role == "hq"),
        items=items,
        channels=[(channel_ids[name], kind, w) for name, kind, w in CHANNELS],
        tags=[(tag_ids[name], w) for name, _c, w in TAGS],
        levels=levels,
        rules=rules,
        deal_definition_id=definition.pk,
        consent_documents=consent_documents,
    )


def _priced(item: ItemInfo, price: int) -> ItemInfo:
    from dataclasses import replace

    return replace(item, price=price)
