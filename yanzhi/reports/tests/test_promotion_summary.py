"""Promotion summary (活动汇总) against figures computed by hand on a small fixed data set: orders
opened, paid and refunded through the real services at frozen moments (docs/promotions.md).

The data set (store A, promotion 三月水光 1–31 March: 水光针 ¥1,000 → ¥600, 修复霜 ¥200 → ¥150):
  C1 (张敏's, no deal before)   2 Mar: 水光针 ×1 + 修复霜 ×2 under the promotion, paid ¥900;
                                 31 May (day 90 after 2 Mar): 修复霜 at list price — a second purchase.
  C2 (张敏's, first deal 10 Feb) 5 Mar: 水光针 ×1 under the promotion, paid ¥600;
                                 4 Jun (day 91 after 5 Mar): 修复霜 — too late to count.
  C3 (李娜's, no deal before)    10 Mar: 水光针 ×2 under the promotion, paid ¥1,200; 12 Mar one
                                 unit refunded (¥600).
  C4                             20 Mar: 水光针 under the promotion, submitted, never paid.
  C5                             3 Mar: 水光针 at the list price (no promotion).
By hand, 1–31 March:
  水光针: sold 4, back 1, ¥2,400 − ¥600 = ¥1,800, customers 3 (C1 C2 C3), new 2 (C1 C3), again 1 (C1)
  修复霜: sold 2, back 0, ¥300, customers 1, new 1, again 1
  total: sold 6, back 1, ¥2,700 − ¥600 = ¥2,100, customers 3, new 2, again 1
"""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from openpyxl import load_workbook

from yanzhi.catalog.promotion_services import create_promotion
from yanzhi.customers.tests.factories import make_customer
from yanzhi.org.policy import scope_for
from yanzhi.reports.promotions import Filters, promotion_summary
from yanzhi.sales import services
from yanzhi.sales.tests.conftest import assign, cash, make_item

pytestmark = pytest.mark.django_db
MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


def at(moment):
    return time_machine.travel(f"{moment}+08:00", tick=False)


def sell(customer, lines, *, store, by, cashier, pay=True):
    order = services.open_order(customer, store=store, by=by, lines=lines, order_type="医美")
    order = services.submit_order(order, by=by)
    if pay:
        services.pay_order(order, payments=[cash(order.payable_amount)], by=cashier)
    return order


@pytest.fixture
def world(
    chain,
    store_a,
    hq_admin,
    store_a_consultant,
    store_a_consultant_2,
    store_a_cashier,
    store_a_manager,
):
    hydra = assign(make_item(chain, "S01", "水光针", "1000.00"), store_a)
    cream = assign(make_item(chain, "P01", "修复霜", "200.00", kind="product"), store_a)
    c1, c2, c4, c5 = (
        make_customer(store_a, name=n, consultant=store_a_consultant)
        for n in ("客一", "客二", "客四", "客五")
    )
    c3 = make_customer(store_a, name="客三", consultant=store_a_consultant_2)
    args = {"store": store_a, "cashier": store_a_cashier}
    with at("2026-02-10 11:00"):
        sell(c2, [(cream.pk, 1, 0)], by=store_a_consultant, **args)
    with at("2026-02-20 11:00"):
        promotion = create_promotion(
            chain,
            name="三月水光",
            start_date="2026-03-01",
            end_date="2026-03-31",
            store_ids=[store_a.pk],
            items=[(hydra.pk, "600.00", None), (cream.pk, "150.00", None)],
            by=hq_admin,
        )
    p = promotion.pk
    with at("2026-03-02 11:00"):
        sell(c1, [(hydra.pk, 1, 0, p), (cream.pk, 2, 0, p)], by=store_a_consultant, **args)
    with at("2026-03-03 11:00"):
        sell(c5, [(hydra.pk, 1, 0)], by=store_a_consultant, **args)
    with at("2026-03-05 11:00"):
        sell(c2, [(hydra.pk, 1, 0, p)], by=store_a_consultant, **args)
    with at("2026-03-10 11:00"):
        third = sell(c3, [(hydra.pk, 2, 0, p)], by=store_a_consultant_2, **args)
    with at("2026-03-12 11:00"):
        line = third.lines.get()
        services.refund_order(third, lines=[(line.pk, 1)], by=store_a_manager, reason="客户改期")
    with at("2026-03-20 11:00"):
        sell(c4, [(hydra.pk, 1, 0, p)], by=store_a_consultant, pay=False, **args)
    with at("2026-05-31 11:00"):
        sell(c1, [(cream.pk, 1, 0)], by=store_a_consultant, **args)
    with at("2026-06-04 11:00"):
        sell(c2, [(cream.pk, 1, 0)], by=store_a_consultant, **args)
    return {"promotion": promotion, "hydra": hydra, "cream": cream}


def figures(row):
    return (
        row.quantity,
        row.refunded_quantity,
        row.amount,
        row.refunded_amount,
        row.net_amount,
        row.customers,
        row.new_customers,
        row.second_purchase_customers,
    )


def test_the_figures_match_the_hand_computed_ones(world, hq_admin, django_assert_num_queries):
    # when
    filters = Filters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
    with at("2026-06-10 12:00"), django_assert_num_queries(2):
        (summary,) = promotion_summary(scope_for(hq_admin), filters)
    # then
    assert summary.total.promotion_name == "三月水光"
    assert figures(summary.total) == (
        6,
        1,
        Decimal("2700"),
        Decimal("600"),
        Decimal("2100"),
        3,
        2,
        1,
    )
    by_item = {row.item_name: figures(row) for row in summary.items}
    assert by_item == {
        "水光针": (4, 1, Decimal("2400"), Decimal("600"), Decimal("1800"), 3, 2, 1),
        "修复霜": (2, 0, Decimal("300"), Decimal("0"), Decimal("300"), 1, 1, 1),
    }
    assert summary.total.second_purchase_percent == Decimal("33.3")


def test_the_period_and_the_promotion_filter(world, hq_admin):
    scope = scope_for(hq_admin)
    # only the first week: C1 and C2
    first_week = Filters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 7))
    (summary,) = promotion_summary(scope, first_week)
    assert (summary.total.quantity, summary.total.customers) == (4, 2)
    assert promotion_summary(scope, Filters(date(2026, 4, 1), date(2026, 4, 30))) == []
    other = Filters(date(2026, 3, 1), date(2026, 3, 31), promotion_id=world["promotion"].pk + 1)
    assert promotion_summary(scope, other) == []


def test_a_consultant_sees_only_their_customers_and_store_b_nothing(
    world, store_a_consultant, store_b_consultant
):
    march = Filters(date(2026, 3, 1), date(2026, 3, 31))
    (own,) = promotion_summary(scope_for(store_a_consultant), march)
    # C1 and C2 (C3 belongs to 李娜)
    assert figures(own.total) == (4, 0, Decimal("1500"), Decimal("0"), Decimal("1500"), 2, 1, 1)
    assert promotion_summary(scope_for(store_b_consultant), march) == []


def test_the_page_draws_a_chart_and_exports_excel(
    world, client_for, store_a_manager, django_assert_max_num_queries
):
    with at("2026-06-10 12:00"):
        # signed in at that moment (the report tests' clock otherwise stands in March)
        client = client_for(store_a_manager)
        with django_assert_max_num_queries(15):
            page = client.get("/reports/promotions/", MARCH)
        html = page.content.decode()
        assert page.status_code == 200
        assert "三月水光" in html and "bar-chart" in html and "¥2,100.00" in html
        export = client.get("/reports/promotions/", {**MARCH, "format": "xlsx"})
        bad = client.get(
            "/reports/promotions/", {"date_from": "2026-03-31", "date_to": "2026-03-01"}
        )
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(export.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    total = next(r for r in rows if r[:2] == ["三月水光", "合计"])
    assert total[2:10] == [6, 1, 2700, 600, 2100, 3, 2, 1]
    assert bad.status_code == 422 and "结束日期不能早于开始日期" in bad.content.decode()


def test_roles_without_the_report_get_403_and_other_stores_404(
    world, client_for, store_a_front_desk, store_a_manager, store_b
):
    assert client_for(store_a_front_desk).get("/reports/promotions/").status_code == 403
    outside = client_for(store_a_manager).get("/reports/promotions/", {"store": store_b.pk})
    assert outside.status_code == 404


def test_api_over_http(world, api_for, hq_admin, store_b_consultant):
    api = api_for(hq_admin)
    response = api.get("/reports/promotions", params=MARCH)
    assert response.status_code == 200, response.text
    (summary,) = response.json()["promotions"]
    total = summary["total"]
    assert (total["quantity"], total["net_amount"], total["new_customers"]) == (6, "2100.00", 2)
    assert total["second_purchase_customers"] == 1
    assert {i["item_name"]: i["refunded_amount"] for i in summary["items"]} == {
        "水光针": "600.00",
        "修复霜": "0.00",
    }
    bad = api.get(
        "/reports/promotions", params={"date_from": "2026-03-31", "date_to": "2026-03-01"}
    )
    assert bad.status_code == 400 or bad.status_code == 422
    assert "date_to" in bad.json()["fields"]
    assert (
        api_for(store_b_consultant).get("/reports/promotions", params=MARCH).json()["promotions"]
        == []
    )
