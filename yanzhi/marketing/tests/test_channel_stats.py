"""Channel statistics and ROI for March 2026 on a small fixed history, against hand-computed
figures (docs/marketing.md), in a fixed number of queries; the Excel export says the same."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from yanzhi.customers.tests.factories import make_customer
from yanzhi.marketing import queries, services
from yanzhi.marketing.models import ChannelCost
from yanzhi.marketing.tests.conftest import at
from yanzhi.org.policy import scope_for

pytestmark = pytest.mark.django_db
MARCH = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}


@pytest.fixture
def march(
    chain,
    store_a,
    store_a_manager,
    store_a_front_desk,
    hq_admin,
    meituan,
    soyoung,
    hydra,
    cream,
    deal,
    refund,
    arrive,
):
    """ca (美团): first visit and first deal ¥1000 on 03-02, second deal ¥200 on 03-10.
    cb (美团): first deal ¥1000 on 02-10; second deal ¥1000 on 03-05, fully refunded on 03-12.
    cx (新氧): arrives 03-08 and has a 新氧 voucher verified (¥300); another voucher reversed.
    Costs: 美团 March store A ¥3000, 美团 February ¥1000, 新氧 March chain-wide ¥500."""
    ca = make_customer(store_a, name="甲", source_channel=meituan)
    cb = make_customer(store_a, name="乙", source_channel=meituan)
    cx = make_customer(store_a, name="丙", source_channel=soyoung)
    arrive(ca, at(2026, 3, 2, 9))
    deal(ca, at(2026, 3, 2), hydra)
    deal(ca, at(2026, 3, 10), cream)
    deal(cb, at(2026, 2, 10), hydra)
    second = deal(cb, at(2026, 3, 5), hydra)
    refund(second, at(2026, 3, 12))
    arrive(cx, at(2026, 3, 8, 9))
    import time_machine

    with time_machine.travel(at(2026, 3, 8), tick=False):
        for code in ("XY001", "XY002"):
            services.verify_voucher(
                store_a,
                customer=cx,
                channel_id=soyoung.pk,
                code=code,
                item_id=hydra.pk,
                settlement_amount="300",
                by=store_a_front_desk,
            )
    reversed_one = cx.voucher_redemptions.get(code="XY002")
    services.reverse_voucher(reversed_one, reason="录错券码", by=store_a_manager)
    for month, amount in ((date(2026, 3, 1), "3000"), (date(2026, 2, 1), "1000")):
        services.set_channel_cost(
            chain.pk,
            store=store_a,
            channel_id=meituan.pk,
            month=month,
            amount=amount,
            by=store_a_manager,
        )
    services.set_channel_cost(
        chain.pk,
        store=None,
        channel_id=soyoung.pk,
        month=date(2026, 3, 1),
        amount="500",
        by=hq_admin,
    )
    return {"ca": ca, "cb": cb, "cx": cx}


def by_name(rows):
    return {row.name: row for row in rows}


def test_store_figures_per_channel(march, store_a_manager, django_assert_num_queries):
    # when
    scope = scope_for(store_a_manager)
    with django_assert_num_queries(4):
        rows, total = queries.channel_stats(scope, **MARCH)
    rows = by_name(rows)
    m, x = rows["美团点评"], rows["新氧"]
    # then 美团: ca's one (first) arrival; ca's first deal; 二开 ca (03-10) and cb (03-05); two
    # repurchases worth ¥200 + ¥0 (cb's was refunded); money 1000 + 200 + 1000 − 1000
    assert (m.arrivals, m.first_arrivals, m.verifications) == (1, 1, 0)
    assert (m.first_deals, m.second_deals, m.repurchases) == (1, 2, 2)
    assert m.repurchase_amount == Decimal("200.00")
    assert (m.revenue, m.cost) == (Decimal("1200.00"), Decimal("3000.00"))
    assert m.roi_percent == Decimal("-60.0")  # (1200 − 3000) / 3000
    # 新氧: one arrival and one verification (the reversed one does not count); the chain-wide
    # cost is not a store's, so no ROI in a store's view
    assert (x.arrivals, x.verifications, x.verification_amount) == (1, 1, Decimal("300.00"))
    assert (x.revenue, x.cost, x.roi_percent) == (Decimal("0.00"), 0, None)
    assert (total.arrivals, total.revenue, total.cost) == (
        2,
        Decimal("1200.00"),
        Decimal("3000.00"),
    )


def test_the_chain_counts_chain_wide_costs(march, hq_admin):
    rows, total = queries.channel_stats(scope_for(hq_admin), **MARCH)
    x = by_name(rows)["新氧"]
    assert (x.cost, x.roi_percent) == (Decimal("500.00"), Decimal("-100.0"))
    assert total.cost == Decimal("3500.00")


def test_part_of_a_month_takes_its_share_of_the_cost(march, store_a_manager):
    rows, _total = queries.channel_stats(
        scope_for(store_a_manager), start=date(2026, 3, 1), end=date(2026, 3, 15)
    )
    # ¥3000 × 15 / 31 days
    assert by_name(rows)["美团点评"].cost == Decimal("1451.61")


def test_a_store_b_manager_sees_none_of_store_a(march, store_b, chain):
    from yanzhi.org.tests.factories import make_staff

    manager_b = make_staff(chain, "store_manager", [store_b], name="B店长", username="b_mgr")
    rows, total = queries.channel_stats(scope_for(manager_b), **MARCH)
    assert (total.arrivals, total.revenue, total.cost, total.verifications) == (0, 0, 0, 0)


def test_page_and_export(march, client_for, store_a_manager, django_assert_max_num_queries):
    client = client_for(store_a_manager)
    with django_assert_max_num_queries(20):
        page = client.get("/marketing/channels/", {"start": "2026-03-01", "end": "2026-03-31"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "美团点评" in html and "-60.0%" in html and "¥1,200.00" in html
    export = client.get("/marketing/channels/export/", {"start": "2026-03-01", "end": "2026-03-31"})
    assert export.status_code == 200
    sheet = load_workbook(BytesIO(export.content)).active
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True) if r and r[0]}
    assert rows["美团点评"][1:4] == (1, 1, 0)
    assert rows["美团点评"][9] == 1200 and rows["美团点评"][10] == 3000
    assert rows["合计"][9] == 1200


def test_costs_are_one_per_channel_store_and_month(march, chain, store_a, store_a_manager, meituan):
    # when the March cost is set again
    services.set_channel_cost(
        chain.pk,
        store=store_a,
        channel_id=meituan.pk,
        month=date(2026, 3, 20),
        amount="3500",
        note="加投",
        by=store_a_manager,
    )
    # then it replaced the amount
    cost = ChannelCost.objects.get(store=store_a, channel=meituan, month=date(2026, 3, 1))
    assert (cost.amount, cost.note) == (Decimal("3500.00"), "加投")
    assert ChannelCost.objects.filter(channel=meituan).count() == 2


def test_bad_costs_change_nothing(march, chain, store_a, store_a_manager, meituan):
    from yanzhi.core.errors import BusinessError

    before = list(ChannelCost.objects.values_list("pk", "amount"))
    for bad in ({"amount": "-1"}, {"amount": "abc"}, {"store": None}, {"channel_id": 999999}):
        args = {"store": store_a, "channel_id": meituan.pk, "amount": "1", **bad}
        with pytest.raises(BusinessError) as error:
            services.set_channel_cost(chain.pk, month=date(2026, 3, 1), by=store_a_manager, **args)
        assert error.value.status == 422
    assert list(ChannelCost.objects.values_list("pk", "amount")) == before


def test_cost_page_records_and_audits(march, client_for, store_a_manager, store_a, meituan):
    from yanzhi.core.models import AuditLog

    client = client_for(store_a_manager)
    assert client.get("/marketing/channel-costs/").status_code == 200
    response = client.post(
        "/marketing/channel-costs/",
        {"month": "2026-04", "store_id": store_a.pk, "channel_id": meituan.pk, "amount": "800"},
    )
    assert response.status_code == 302
    cost = ChannelCost.objects.get(month=date(2026, 4, 1))
    assert AuditLog.objects.filter(action="channel_cost.created", object_id=str(cost.pk)).exists()
    bad = client.post(
        "/marketing/channel-costs/",
        {"month": "2026-04", "store_id": store_a.pk, "channel_id": meituan.pk, "amount": "-5"},
    )
    assert bad.status_code == 422
    assert client.post(f"/marketing/channel-costs/{cost.pk}/delete/").status_code == 302
    assert not ChannelCost.objects.filter(pk=cost.pk).exists()


def test_money_in_fen_adds_up_exactly(march, chain, store_a, meituan, store_a_manager, deal):
    from yanzhi.catalog.models import Item, StoreItem

    # given: a 美团 customer paying ¥0.10 and ¥0.20 in March (SQLite sums such amounts as floats)
    before = by_name(queries.channel_stats(scope_for(store_a_manager), **MARCH)[0])["美团点评"]
    customer = make_customer(store_a, name="丁", source_channel=meituan)
    for day, (code, price) in enumerate((("S10", "0.10"), ("S20", "0.20")), start=20):
        item = Item.objects.create(
            org=chain, kind=Item.Kind.SERVICE, code=code, name=f"小项{code}",
            price_amount=Decimal(price), order_type="医美",
        )  # fmt: skip
        StoreItem.objects.create(org_id=chain.pk, store=store_a, item=item)
        deal(customer, at(2026, 3, day), item)
    # when
    after = by_name(queries.channel_stats(scope_for(store_a_manager), **MARCH)[0])["美团点评"]
    # then
    assert after.revenue - before.revenue == Decimal("0.30")
    assert str(after.revenue) == "1200.30"


def test_a_corrected_channel_takes_the_customers_history_along(
    march, store_a_manager, soyoung, django_assert_num_queries
):
    # given ca (美团) with a first arrival, a first deal of ¥1000 and a repurchase of ¥200
    scope = scope_for(store_a_manager)
    rows, _total = queries.channel_stats(scope, **MARCH)
    x_before = by_name(rows)["新氧"]
    # when ca's source channel is corrected to 新氧
    from yanzhi.customers.services import update_customer

    update_customer(march["ca"], by=store_a_manager, source_channel=soyoung.pk)
    # then ca's arrival, deals and money count for 新氧; 美团 keeps cb's second deal, which was
    # refunded (no money, a repurchase worth ¥0)
    with django_assert_num_queries(4):
        rows, total = queries.channel_stats(scope, **MARCH)
    m, x = by_name(rows)["美团点评"], by_name(rows)["新氧"]
    assert (m.arrivals, m.first_arrivals, m.first_deals, m.second_deals) == (0, 0, 0, 1)
    assert (m.repurchases, m.repurchase_amount, m.revenue) == (1, Decimal("0.00"), Decimal("0.00"))
    assert (x.arrivals - x_before.arrivals, x.first_arrivals - x_before.first_arrivals) == (1, 1)
    assert (x.first_deals, x.second_deals, x.repurchases) == (
        x_before.first_deals + 1,
        x_before.second_deals + 1,
        x_before.repurchases + 1,
    )
    assert x.revenue - x_before.revenue == Decimal("1200.00")
    assert x.repurchase_amount - x_before.repurchase_amount == Decimal("200.00")
    assert total.revenue == Decimal("1200.00")
