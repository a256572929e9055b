"""Every report against the hand-computed figures of the fixed history in conftest.py."""

from decimal import Decimal

import pytest

from yanzhi.org.policy import scope_for
from yanzhi.reports import durations, queries, reconciliation
from yanzhi.reports.filters import report_filters
from yanzhi.reports.tests.conftest import PERIOD

D = Decimal


def run(report, staff, params=None, **kwargs):
    scope = scope_for(staff)
    spec_extra = ("parent",) if report is queries.category_report else ()
    f = report_filters(scope, {**PERIOD, **(params or {})}, extra=spec_extra)
    return report(scope, f, **kwargs)


def table(report, key):
    return next(t for t in report.tables if t.key == key)


def by(rows, key):
    return {r[key]: r for r in rows}


def test_visit_report_counts_types_and_conversion(world, store_a_manager):
    # when
    report = run(queries.visit_report, store_a_manager)
    # then: four visits, one of each type but 疗程内; 钱四's visit had no deal
    types = by(table(report, "by_type").rows, "visit_type")
    assert {k: (v["visits"], v["converted"]) for k, v in types.items()} == {
        "初诊": (1, 1),
        "复诊": (1, 1),
        "疗程内": (0, 0),
        "复查": (1, 1),
        "再消费": (1, 0),
    }
    assert table(report, "by_type").total["rate"] == D("75.0")
    consultants = by(table(report, "by_consultant").rows, "consultant")
    assert consultants["A咨询师张敏"]["visits"] == 2
    assert consultants["A咨询师张敏"]["rate"] == D("100.0")
    second = next(r for name, r in consultants.items() if name != "A咨询师张敏")
    assert (second["visits"], second["converted"], second["rate"]) == (2, 1, D("50.0"))
    assert second["type_return"] == 1 and second["type_repurchase"] == 1


def test_item_sales_are_net_of_refunds_and_ranked(world, store_a_manager):
    report = run(queries.item_sales_report, store_a_manager)
    items = table(report, "items").rows
    assert [(r["item"], r["sold_quantity"], r["sales_amount"]) for r in items] == [
        ("万元储值卡", 1, D("10000.00")),
        ("水光针", 3, D("3000.00")),
        ("修复霜", 0, D("0.00")),
    ]
    hydra = items[1]
    assert (hydra["gross_amount"], hydra["refund_amount"]) == (D("4000.00"), D("1000.00"))
    assert table(report, "items").total["sales_amount"] == D("13000.00")
    categories = by(table(report, "categories").rows, "category")
    assert categories["水光"]["sales_amount"] == D("3000.00")
    assert categories["未分类"]["sales_amount"] == D("10000.00")


def test_category_summary_rolls_up_and_drills_down(world, store_a_manager):
    # level 1
    rows = by(table(run(queries.category_report, store_a_manager), "categories").rows, "category")
    assert {k: (v["sold_quantity"], v["sales_amount"]) for k, v in rows.items()} == {
        "医美": (3, D("3000.00")),
        "商品": (0, D("0.00")),
        "未分类": (1, D("10000.00")),
    }
    assert rows["医美"]["drill"] == world.aesthetic.pk and rows["商品"]["drill"] is None
    # drill into 医美 → 注射, then 注射 → 水光 (a leaf)
    level2 = run(queries.category_report, store_a_manager, {"parent": world.aesthetic.pk})
    assert [(r["category"], r["sales_amount"], r["drill"]) for r in level2.tables[0].rows] == [
        ("注射", D("3000.00"), world.injection.pk)
    ]
    level3 = run(queries.category_report, store_a_manager, {"parent": world.injection.pk})
    assert [(r["category"], r["sales_amount"], r["drill"]) for r in level3.tables[0].rows] == [
        ("水光", D("3000.00"), None)
    ]
    assert [c.name for c in level3.context["trail"]] == ["医美", "注射"]


def test_consultant_performance(world, store_a_manager, store_a_consultant):
    report = run(queries.performance_report, store_a_manager)
    rows = by(report.tables[0].rows, "pk")
    mine = rows[store_a_consultant.pk]
    # deals o1 o2 o3; one consultation; one execution of 王一; received: o1 1,500 + o2 10,000
    # + o3 (500 − 500) + o0's arrears 100
    assert (mine["deals"], mine["consultations"], mine["treatments"]) == (3, 1, 1)
    assert mine["received_amount"] == D("11600.00")
    assert mine["weighted"] == D("4.00")
    other = next(r for pk, r in rows.items() if pk != store_a_consultant.pk)
    assert (other["deals"], other["consultations"], other["treatments"]) == (1, 1, 0)
    assert other["received_amount"] == D("1000.00")  # deposit 300 + Alipay 700
    assert other["weighted"] == D("1.50")
    assert report.tables[0].rows[0]["pk"] == store_a_consultant.pk  # ranked by 项次


def test_weights_come_from_the_chain_settings(world, store_a_manager, store_a_consultant, hq_admin):
    from yanzhi.reports.services import update_report_settings

    update_report_settings(
        hq_admin.org, by=hq_admin, deal_weight="2", consultation_weight="1", treatment_weight="0"
    )
    rows = by(run(queries.performance_report, store_a_manager).tables[0].rows, "pk")
    assert rows[store_a_consultant.pk]["weighted"] == D("7.00")


def test_online_consultant_performance(world, store_a_manager, store_a_online_consultant):
    report = run(queries.performance_report, store_a_manager, online=True)
    rows = by(report.tables[0].rows, "pk")
    row = rows[store_a_online_consultant.pk]
    # 王一 is theirs: o1 a deal, the execution, o1's 1,500 + o0's arrears 100
    assert (row["deals"], row["consultations"], row["treatments"]) == (1, 0, 1)
    assert row["received_amount"] == D("1600.00")
    assert row["weighted"] == D("1.50")


def test_doctor_performance(world, store_a_manager, store_a_doctor):
    rows = by(run(queries.doctor_report, store_a_manager).tables[0].rows, "pk")
    row = rows[store_a_doctor.pk]
    assert (row["diagnoses"], row["executions"], row["sessions"]) == (1, 1, 1)
    assert row["executed_amount"] == D("1000.00")  # one session of a ¥2,000 two-session course
    assert row["received_amount"] == D("1500.00")  # o1 (visit v1, their visit)


def test_stage_durations_median_and_p90(world, store_a_manager):
    report = run(durations.duration_report, store_a_manager, {"store_id": world.visits[0].store_id})
    rows = by(report.tables[0].rows, "stage")
    got = {k: (v["visits"], v["median"], v["p90"]) for k, v in rows.items()}
    assert got == {
        "到店→接待": (3, D("10.0"), D("18.0")),
        "接待→面诊": (2, D("25.0"), D("29.0")),
        "面诊→治疗": (1, D("30.0"), D("30.0")),
        "治疗→术后护理": (1, D("60.0"), D("60.0")),
        "→离店": (4, D("30.0"), D("30.0")),
        "全程(到店→离店)": (4, D("55.0"), D("123.0")),
    }
    assert rows["到店→接待"]["within_target"] == D("66.7")  # 4 and 10 of 4, 10, 20 minutes
    assert rows["全程(到店→离店)"]["target"] == 150


def test_percentile_matches_postgresql_percentile_cont():
    assert durations.percentile_cont([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert durations.percentile_cont([30.0, 50.0, 60.0, 150.0], 0.9) == pytest.approx(123.0)
    assert durations.percentile_cont([], 0.5) is None


def test_reconciliation_identity(world, store_a_manager):
    report = run(reconciliation.reconciliation, store_a_manager)
    sales = table(report, "sales").rows[0]
    assert sales["orders"] == 4
    assert sales["payable_amount"] == D("14200.00")
    assert sales["refunded_amount"] == D("1200.00")
    assert sales["net_amount"] == D("13000.00")
    assert sales["arrears_amount"] == D("500.00")
    settle = {r["code"]: r for r in table(report, "settlement").rows}
    assert (settle["cash"]["received"], settle["cash"]["refunded"]) == (D("11500.00"), D("-500.00"))
    assert settle["stored_value"]["received"] == D("500.00")
    assert settle["stored_value"]["refunded"] == D("-500.00")
    assert settle["deposit"]["received"] == D("300.00")
    assert (settle["wechat"]["net"], settle["alipay"]["net"]) == (D("500.00"), D("700.00"))
    total = table(report, "settlement").total
    assert (total["received"], total["refunded"], total["net"]) == (
        D("13500.00"),
        D("-1000.00"),
        D("12500.00"),
    )
    # net sales = money + stored value + coupons + deposits − refunds + arrears
    assert sales["net_amount"] == total["net"] + sales["arrears_amount"]
    assert report.context["difference"] == 0
    # the till's view: o0's arrears (¥100, a February order) is cash of this period
    cash = {r["code"]: r for r in table(report, "cash").rows if "code" in r}
    assert cash["cash"]["received"] == D("11600.00")
    assert cash["cash"]["on_other_orders"] == D("100.00")
    assert cash["cash"]["net"] == D("11100.00")
    assert table(report, "deposits").total["amount"] == D("300.00")
    # and the sales report agrees with the ledger
    items = run(queries.item_sales_report, store_a_manager)
    assert table(items, "items").total["sales_amount"] == sales["net_amount"]


def test_a_period_without_the_refund_day_keeps_the_sale(world, store_a_manager):
    """February alone: o0 (¥200, paid 100 then, 100 in March)."""
    report = run(
        reconciliation.reconciliation, store_a_manager, {"start": "2026-02-01", "end": "2026-02-28"}
    )
    sales = table(report, "sales").rows[0]
    assert (sales["orders"], sales["net_amount"], sales["arrears_amount"]) == (
        1,
        D("200.00"),
        D("0.00"),
    )
    settle = table(report, "settlement").total
    assert (settle["in_period"], settle["outside_period"]) == (D("100.00"), D("100.00"))
    assert report.context["difference"] == 0
