"""The report centre over HTTP: pages, Excel export, scope and role granularity, query counts."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from yanzhi.org.policy import scope_for
from yanzhi.reports.filters import report_filters
from yanzhi.reports.home import home_figures
from yanzhi.reports.models import ReportSettings
from yanzhi.reports.registry import REPORTS
from yanzhi.reports.tests.conftest import PERIOD

pytestmark = pytest.mark.django_db
QS = "start=2026-03-01&end=2026-03-16"


def test_index_lists_what_each_role_may_open(
    world,
    client_for,
    store_a_manager,
    store_a_consultant,
    store_a_doctor,
    store_a_cashier,
    store_a_front_desk,
):
    def slugs(staff):
        response = client_for(staff).get("/reports/")
        assert response.status_code == 200
        return {s.slug for s in response.context["reports"]}

    assert slugs(store_a_manager) == {s.slug for s in REPORTS}
    assert slugs(store_a_consultant) == {
        "visits",
        "item-sales",
        "categories",
        "consultants",
        "online-consultants",
    }
    assert slugs(store_a_doctor) == {"doctors"}
    assert slugs(store_a_cashier) == {"reconciliation"}
    assert client_for(store_a_front_desk).get("/reports/").status_code == 403
    assert client_for(store_a_consultant).get(f"/reports/reconciliation/?{QS}").status_code == 403


@pytest.mark.parametrize("spec", REPORTS, ids=lambda s: s.slug)
def test_every_report_page_renders_and_exports(world, client_for, store_a_manager, spec):
    client = client_for(store_a_manager)
    page = client.get(f"/reports/{spec.slug}/?{QS}")
    assert page.status_code == 200
    assert str(spec.title) in page.content.decode()
    export = client.get(f"/reports/{spec.slug}/?{QS}&format=xlsx")
    assert export.status_code == 200
    book = load_workbook(BytesIO(export.content))
    sheet = book.worksheets[0]
    assert sheet["A2"].value == "期间:2026-03-01 至 2026-03-16"


def test_the_item_sales_export_carries_the_figures(world, client_for, store_a_manager):
    export = client_for(store_a_manager).get(f"/reports/item-sales/?{QS}&format=xlsx")
    sheet = load_workbook(BytesIO(export.content))["按项目"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows.index(next(r for r in rows if r[0] == "排名"))
    assert rows[header + 1][2] == "万元储值卡" and rows[header + 1][5] == 10000
    assert rows[header + 2][2:6] == ["水光针", "水光", 3, 3000]
    assert rows[-1][5] == 13000  # the total row


def _count_queries(spec, staff):
    scope = scope_for(staff)
    with CaptureQueriesContext(connection) as captured:
        f = report_filters(scope, PERIOD, uses=spec.uses, extra=spec.extra)
        spec.build(scope, f)
    return len(captured)


MAX_QUERIES = {"followups": 8, "consultants": 7, "online-consultants": 7}


def test_each_report_costs_a_fixed_number_of_queries(world, store_a_manager, store_a_cashier):
    from yanzhi.customers.tests.factories import make_customer
    from yanzhi.sales import services as sales
    from yanzhi.sales.services import PaymentLine

    # given: the counts on the fixed history
    before = {spec.slug: _count_queries(spec, store_a_manager) for spec in REPORTS}
    # when: more customers, orders and payments
    store = world.visits[0].store
    for n in range(3):
        customer = make_customer(store, name=f"新客{n}", consultant=world.orders["o1"].consultant)
        order = sales.open_order(
            customer,
            store=store,
            by=world.orders["o1"].consultant,
            lines=[(world.hydra.pk, 1, 0), (world.cream.pk, 1, 0)],
        )
        order = sales.submit_order(order, by=world.orders["o1"].consultant)
        sales.pay_order(order, payments=[PaymentLine("cash", Decimal("1200"))], by=store_a_cashier)
    after = {spec.slug: _count_queries(spec, store_a_manager) for spec in REPORTS}
    # then
    assert after == before
    for slug, count in after.items():
        assert count <= MAX_QUERIES.get(slug, 5), (slug, count)


def test_the_home_page_figures(world, client_for, store_a_manager):
    response = client_for(store_a_manager).get("/reports/home/")
    assert response.status_code == 200
    figures = {f.key: f for f in response.context["home"].figures}
    assert (figures["visits"].today, figures["visits"].today_before) == (4, 0)
    assert figures["visits_first"].today == 1 and figures["visits_in_course"].today == 0
    assert (figures["new_customers"].today, figures["new_customers"].month_before) == (3, 1)
    assert (figures["deals"].today, figures["deals"].month, figures["deals"].month_before) == (
        4,
        4,
        1,
    )
    assert figures["conversion"].today == Decimal("75.0")
    # cash 100 (o0's arrears) + 1,000 + 10,000 + 500, WeChat 500, Alipay 700
    assert figures["received"].today == Decimal("12800.00")
    assert figures["received"].month_before == Decimal("100.00")
    assert figures["refunded"].today == Decimal("500.00")
    assert figures["arrears"].today == Decimal("500.00")
    assert figures["treatments"].month == 1
    assert response.context["home"].pending_approvals == 0
    assert 'data-figure="received"' in response.content.decode()


def test_the_home_page_costs_a_fixed_number_of_queries(world, store_a_manager):
    scope = scope_for(store_a_manager)
    with CaptureQueriesContext(connection) as captured:
        home_figures(scope, report_filters(scope, {}, uses=("store",)))
    assert len(captured) <= 10


def test_home_is_for_managers_and_hq(world, client_for, store_a_consultant, hq_admin):
    assert client_for(store_a_consultant).get("/reports/home/").status_code == 403
    assert client_for(hq_admin).get("/reports/home/").status_code == 200


def test_the_today_page_links_the_home_figures(
    world, client_for, store_a_manager, store_a_front_desk
):
    assert "/reports/home/" in client_for(store_a_manager).get("/").content.decode()
    assert "/reports/home/" not in client_for(store_a_front_desk).get("/").content.decode()


# --- scope and granularity ---------------------------------------------------------------------
def test_a_store_b_user_cannot_ask_for_store_a(world, client_for, store_b_consultant, store_a):
    client = client_for(store_b_consultant)
    assert client.get(f"/reports/visits/?{QS}&store_id={store_a.pk}").status_code == 404
    page = client.get(f"/reports/item-sales/?{QS}")
    assert page.status_code == 200
    assert "水光针" not in page.content.decode()


def test_another_chain_sees_nothing(
    world, client_for, other_chain_admin, store_a, store_a_consultant
):
    client = client_for(other_chain_admin)
    assert client.get(f"/reports/visits/?{QS}&store_id={store_a.pk}").status_code == 404
    assert (
        client.get(f"/reports/consultants/?{QS}&staff_id={store_a_consultant.pk}").status_code
        == 404
    )
    page = client.get(f"/reports/consultants/?{QS}")
    assert "张敏" not in page.content.decode()


def test_a_consultant_sees_only_their_own_figures(
    world, client_for, store_a_consultant, store_a_consultant_2
):
    client = client_for(store_a_consultant_2)
    page = client.get(f"/reports/consultants/?{QS}")
    rows = page.context["report"].tables[0].rows
    assert [r["pk"] for r in rows] == [store_a_consultant_2.pk]
    assert rows[0]["received_amount"] == Decimal("1000.00")
    assert (
        client.get(f"/reports/consultants/?{QS}&staff_id={store_a_consultant.pk}").status_code
        == 404
    )
    visits = client.get(f"/reports/visits/?{QS}").context["report"]
    assert visits.tables[0].total["visits"] == 2  # their two visits, not the store's four
    sales = client.get(f"/reports/item-sales/?{QS}").context["report"]
    assert sales.tables[0].total["sales_amount"] == Decimal("1000.00")  # o4 only


def test_a_doctor_sees_their_own_row(world, client_for, store_a_doctor):
    rows = (
        client_for(store_a_doctor).get(f"/reports/doctors/?{QS}").context["report"].tables[0].rows
    )
    assert [r["pk"] for r in rows] == [store_a_doctor.pk]


def test_bad_filters_are_422_and_named(world, client_for, store_a_manager):
    client = client_for(store_a_manager)
    response = client.get("/reports/visits/?start=2026-03-10&end=2026-03-01")
    assert response.status_code == 422
    assert "end" in response.context["errors"]
    assert client.get("/reports/visits/?start=yesterday").status_code == 422
    assert client.get("/reports/visits/?start=2024-01-01&end=2026-03-01").status_code == 422
    assert client.get("/reports/visits/?store_id=abc").status_code == 422


def test_category_drill_down_links(world, client_for, store_a_manager):
    page = client_for(store_a_manager).get(f"/reports/categories/?{QS}").content.decode()
    assert f'data-category="{world.aesthetic.pk}"' in page
    deeper = client_for(store_a_manager).get(
        f"/reports/categories/?{QS}&parent={world.aesthetic.pk}"
    )
    assert "注射" in deeper.content.decode()


# --- settings -------------------------------------------------------------------------------------
def test_hq_sets_the_weights_and_targets(world, client_for, hq_admin, store_a_manager):
    data = {
        "deal_weight": "2",
        "consultation_weight": "0.5",
        "treatment_weight": "0.25",
        "reception_target_minutes": "15",
        "diagnosis_target_minutes": "20",
        "treatment_target_minutes": "30",
        "post_care_target_minutes": "60",
        "leave_target_minutes": "20",
        "total_target_minutes": "150",
    }
    assert client_for(store_a_manager).post("/reports/settings/", data).status_code == 403
    response = client_for(hq_admin).post("/reports/settings/", data)
    assert response.status_code == 302
    settings = ReportSettings.objects.get(org=hq_admin.org)
    assert (settings.deal_weight, settings.reception_target_minutes) == (Decimal("2.00"), 15)
    bad = client_for(hq_admin).post("/reports/settings/", {**data, "deal_weight": "500"})
    assert bad.status_code == 422
    settings.refresh_from_db()
    assert settings.deal_weight == Decimal("2.00")
