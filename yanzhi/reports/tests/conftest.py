"""A small fixed chain history for the reports, built through the real services (docs/reports.md
has the hand-computed figures the tests compare with).

Store A, March 2026 (the period 2026-03-01 … 2026-03-16, "today" is Monday 16 March):
- 10 Feb: 王一 (consultant 张敏 = store_a_consultant, online consultant = store_a_online_consultant)
  buys 修复霜 ¥200 (o0), pays ¥100 cash → ¥100 arrears; the arrears are paid in cash on 16 Mar.
- 16 Mar, four visits (arrival → stages → leaving, in minutes):
  v1 王一 初诊 consultant 张敏, doctor: 09:00 →10 接待 →20 面诊 →30 治疗 →60 术后 →30 离店 (150)
  v2 李二 复诊 consultant 2:         10:00 →20 接待 → left 30 later (50)
  v3 赵三 复查 consultant 张敏:      13:00 →4 接待 →30 面诊 → left 26 later (60)
  v4 钱四 再消费 consultant 2:       14:30 → left 15:00 (30), no order
- o1 王一 (v1, by 张敏): 水光针 ×2 ¥2,000 + 修复霜 ×1 ¥200 = ¥2,200; cash ¥1,000 + WeChat ¥500
  → ¥700 arrears; 修复霜 refunded (¥200 cancels arrears, no money back) → arrears ¥500.
- o2 赵三 (by 张敏): 储值卡 ¥10,000 cash (card worth ¥11,000).
- o3 赵三 (by 张敏): 水光针 ×1 ¥1,000 = stored value ¥500 + cash ¥500; refunded in full (cash −500,
  stored value −500) → status refunded.
- o4 李二 (by consultant 2): 水光针 ×1 ¥1,000 = deposit ¥300 (taken today in cash) + Alipay ¥700.
- one session of o1's 水光针 course performed by the doctor (assistant: the nurse) in v1.
- consultations: 张敏 for 王一, consultant 2 for 李二; the doctor's diagnosis of 王一.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from yanzhi.catalog.models import Category, Item, StoreItem
from yanzhi.customers.models import Customer
from yanzhi.customers.tests.factories import make_customer
from yanzhi.sales import services as sales
from yanzhi.sales.models import Order
from yanzhi.sales.services import PaymentLine

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: str, hm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel("2026-03-16 20:00:00+08:00", tick=True):
        yield


def _item(org, store, code, name, price, kind=Item.Kind.SERVICE, **extra):
    item = Item.objects.create(
        org=org, kind=kind, code=code, name=name, price_amount=Decimal(price), **extra
    )
    StoreItem.objects.create(org_id=org.pk, store=store, item=item)
    return item


@dataclass
class World:
    hydra: Item
    cream: Item
    card: Item
    aesthetic: Category
    injection: Category
    hydro: Category
    goods: Category
    customers: list
    visits: list
    orders: dict


def pay(order, by, *lines):
    return sales.pay_order(order, payments=list(lines), by=by)


@pytest.fixture
def world(
    chain,
    store_a,
    store_b,
    store_a_consultant,
    store_a_consultant_2,
    store_a_online_consultant,
    store_a_front_desk,
    store_a_doctor,
    store_a_nurse,
    store_a_cashier,
    store_a_manager,
):
    from yanzhi.clinical import services as clinical
    from yanzhi.treatments.models import Entitlement
    from yanzhi.treatments.services import execute_session
    from yanzhi.visits import services as visits

    aesthetic = Category.objects.create(org=chain, name="医美", level=1)
    injection = Category.objects.create(org=chain, name="注射", level=2, parent=aesthetic)
    hydro = Category.objects.create(org=chain, name="水光", level=3, parent=injection)
    goods = Category.objects.create(org=chain, name="商品", level=1)
    hydra = _item(chain, store_a, "S01", "水光针", "1000.00", category=hydro)
    cream = _item(chain, store_a, "P01", "修复霜", "200.00", Item.Kind.PRODUCT, category=goods)
    card = _item(
        chain,
        store_a,
        "C01",
        "万元储值卡",
        "10000.00",
        Item.Kind.CARD,
        card_type=Item.CardType.STORED_VALUE,
        card_value_amount=Decimal("11000.00"),
        valid_days=365,
    )
    consultant, consultant_2 = store_a_consultant, store_a_consultant_2

    def order(customer, by, lines, visit=None):
        o = sales.open_order(customer, store=store_a, by=by, lines=lines, visit=visit)
        return sales.submit_order(o, by=by)

    # February: 王一 buys a cream and leaves ¥100 owing.
    with time_machine.travel("2026-02-10 15:00:00+08:00", tick=True):
        wang = make_customer(store_a, name="王一", consultant=consultant)
        Customer.objects.filter(pk=wang.pk).update(online_consultant=store_a_online_consultant)
        wang.refresh_from_db()
        o0 = order(wang, consultant, [(cream.pk, 1, 0)])
        pay(o0, store_a_cashier, PaymentLine("cash", Decimal("100")))

    li = make_customer(store_a, name="李二", consultant=consultant_2)
    zhao = make_customer(store_a, name="赵三", consultant=consultant)
    qian = make_customer(store_a, name="钱四", consultant=consultant_2)
    day = "2026-03-16"

    def arrive(customer, hm, visit_type, who):
        v = visits.register_arrival(
            store_a,
            customer=customer,
            by=store_a_front_desk,
            arrived_at=at(day, hm),
            visit_type=visit_type,
        )
        return visits.triage(v, consultant=who, doctor=store_a_doctor, by=store_a_front_desk)

    v1 = arrive(wang, "09:00", "first", consultant)
    v2 = arrive(li, "10:00", "return", consultant_2)
    v3 = arrive(zhao, "13:00", "checkup", consultant)
    v4 = arrive(qian, "14:30", "repurchase", consultant_2)
    for visit, stages in (
        (
            v1,
            [
                ("escorted", "09:10"),
                ("diagnosed", "09:30"),
                ("treated", "10:00"),
                ("post_care", "11:00"),
            ],
        ),
        (v2, [("escorted", "10:20")]),
        (v3, [("escorted", "13:04"), ("diagnosed", "13:34")]),
    ):
        for stage, hm in stages:
            visit = visits.record_stage(visit, stage=stage, by=store_a_manager, at=at(day, hm))
    for visit in (v1, v2, v3, v4):
        visit.refresh_from_db()

    clinical.start_consultation(wang, by=consultant, visit=v1, demands="补水")
    clinical.start_consultation(li, by=consultant_2, visit=v2, demands="复诊")
    clinical.record_diagnosis(wang, by=store_a_doctor, visit=v1, findings="皮肤干燥")

    pay(o0, store_a_cashier, PaymentLine("cash", Decimal("100")))  # the February arrears
    o1 = order(wang, consultant, [(hydra.pk, 2, 0), (cream.pk, 1, 0)], visit=v1)
    pay(
        o1,
        store_a_cashier,
        PaymentLine("cash", Decimal("1000")),
        PaymentLine("wechat", Decimal("500")),
    )
    o2 = order(zhao, consultant, [(card.pk, 1, 0)])
    pay(o2, store_a_cashier, PaymentLine("cash", Decimal("10000")))
    stored = zhao.stored_value_cards.get()
    o3 = order(zhao, consultant, [(hydra.pk, 1, 0)])
    pay(
        o3,
        store_a_cashier,
        PaymentLine("stored_value", Decimal("500"), card_id=stored.pk),
        PaymentLine("cash", Decimal("500")),
    )
    deposit = sales.take_deposit(li, store=store_a, amount="300", method="cash", by=store_a_cashier)
    o4 = order(li, consultant_2, [(hydra.pk, 1, 0)])
    pay(
        o4,
        store_a_cashier,
        PaymentLine("deposit", Decimal("300"), deposit_id=deposit.pk),
        PaymentLine("alipay", Decimal("700")),
    )
    course = Entitlement.objects.get(source_line_id=o1.lines.get(item=hydra).pk)
    execute_session(course, by=store_a_doctor, visit=v1, assistant=store_a_nurse)
    cream_line = o1.lines.get(item=cream)
    sales.refund_order(o1, lines=[(cream_line.pk, 1)], by=store_a_manager, reason="过敏")
    sales.refund_order(o3, full=True, by=store_a_manager, reason="不想做了")

    for visit, hm in ((v1, "11:30"), (v2, "10:50"), (v3, "14:00"), (v4, "15:00")):
        visit.refresh_from_db()
        visits.leave(visit, by=store_a_manager, at=at(day, hm))
    orders = {o.pk: o for o in Order.objects.filter(pk__in=[o0.pk, o1.pk, o2.pk, o3.pk, o4.pk])}
    return World(
        hydra=hydra,
        cream=cream,
        card=card,
        aesthetic=aesthetic,
        injection=injection,
        hydro=hydro,
        goods=goods,
        customers=[wang, li, zhao, qian],
        visits=[v1, v2, v3, v4],
        orders={
            "o0": orders[o0.pk],
            "o1": orders[o1.pk],
            "o2": orders[o2.pk],
            "o3": orders[o3.pk],
            "o4": orders[o4.pk],
        },
    )


PERIOD = {"start": "2026-03-01", "end": "2026-03-16"}
