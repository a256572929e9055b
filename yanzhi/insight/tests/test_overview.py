"""The insight overview at the viewer's granularity: figures by hand on the fixed chain
(conftest.FACTS / purchases), scope over HTTP, a fixed number of queries, the Excel export."""

from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from openpyxl import load_workbook

from yanzhi.insight.queries import overview
from yanzhi.insight.scoring import refresh_scores
from yanzhi.insight.tests.conftest import TODAY, local
from yanzhi.org.policy import scope_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(chain, purchases):
    refresh_scores(chain, day=TODAY)
    return purchases


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(local(2025, 6, 15, 15), tick=False):
        yield


def by_key(rows):
    return {r.key: r for r in rows}


def test_chain_figures_by_hand(hq_admin, computed):
    data = overview(scope_for(hq_admin), store_id=None, today=TODAY)
    assert (data.customers, data.dealing) == (6, 5)
    rfm = by_key(data.rfm)
    # spend of the 5 dealing customers: 1000 + 6000 + 9000 + 3000 + 6000 = 25000
    assert rfm["important_value"].customers == 1
    assert rfm["important_value"].spend == Decimal("9000.00")
    assert rfm["important_value"].spend_share == Decimal("36.0")
    assert rfm["important_value"].customer_share == Decimal("20.0")
    assert rfm["general_retain"].customers == 0
    pyramid = by_key(data.pyramid)
    assert [(k, pyramid[k].customers, pyramid[k].spend) for k in "ABC"] == [
        ("A", 1, Decimal("9000.00")),
        ("B", 2, Decimal("12000.00")),
        ("C", 2, Decimal("4000.00")),
    ]
    assert pyramid["B"].spend_share == Decimal("48.0")
    growth = by_key(data.growth)
    assert {k: r.customers for k, r in growth.items()} == {
        "loyal": 1, "fast_growing": 2, "sleeping": 1, "nurture": 1,
    }  # fmt: skip
    ages = by_key(data.age_bands)
    assert {k: r.customers for k, r in ages.items()} == {
        "under_18": 1, "18_25": 1, "25_35": 1, "35_45": 1, "45_plus": 1, "unknown": 1,
    }  # fmt: skip
    # typical items: paid quantity net of refunds, paid orders of the last 365 days
    assert ages["18_25"].extra["items"] == [("水光针", 3), ("面膜", 1)]
    assert ages["35_45"].extra["items"] == [("除皱针", 1)]
    assert ages["25_35"].extra["items"] == [("光子嫩肤", 1)]
    assert ages["under_18"].extra["items"] == []  # the refunded order does not count
    departments = {r.label: (r.customers, r.spend) for r in data.departments}
    # 皮肤科: c1 3000 + c3 1500; 微整科: c2 4000−2000 + c5 2500; no department: c1 100
    assert departments == {
        "皮肤科": (2, Decimal("4500.00")),
        "微整科": (2, Decimal("4500.00")),
        "未分科室": (1, Decimal("100.00")),
    }


def test_store_and_consultant_granularity(hq_admin, store_a_manager, store_a_consultant,
                                          store_b, computed):  # fmt: skip
    store_b_only = overview(scope_for(hq_admin), store_id=store_b.pk, today=TODAY)
    assert (store_b_only.customers, store_b_only.dealing) == (2, 1)
    assert by_key(store_b_only.rfm)["important_keep"].customers == 1
    manager = overview(scope_for(store_a_manager), store_id=None, today=TODAY)
    assert (manager.customers, manager.dealing) == (4, 4)
    assert {r.label for r in manager.departments} == {"皮肤科", "微整科", "未分科室"}
    # consultant 1 owns c1 and c2 only
    mine = overview(scope_for(store_a_consultant), store_id=None, today=TODAY)
    assert (mine.customers, mine.dealing) == (2, 2)
    assert {r.key: r.customers for r in mine.rfm if r.customers} == {
        "general_develop": 1, "important_develop": 1,
    }  # fmt: skip
    assert {r.label: r.spend for r in mine.departments} == {
        "皮肤科": Decimal("3000.00"), "微整科": Decimal("2000.00"), "未分科室": Decimal("100.00"),
    }  # fmt: skip


def test_page_shows_the_figures_and_links_to_members(client_for, hq_admin, computed):
    html = client_for(hq_admin).get("/insight/").content.decode()
    assert 'id="customer-total">6<' in html
    assert '/insight/members/?rfm_segments=important_value">1</a>' in html
    assert "水光针(3)" in html
    # the member list behind a figure
    members = client_for(hq_admin).get("/insight/members/?growth_types=fast_growing")
    body = members.content.decode()
    assert "客户c2" in body and "客户c3" in body and "客户c1" not in body


def test_consultant_sees_only_own_customers_over_http(client_for, store_a_consultant, computed):
    client = client_for(store_a_consultant)
    html = client.get("/insight/").content.decode()
    assert 'id="customer-total">2<' in html
    listed = client.get("/insight/members/?rfm_segments=important_value").content.decode()
    assert "客户c3" not in listed  # consultant 2's customer


def test_store_b_is_404_for_a_store_a_manager(client_for, store_a_manager, store_b, computed):
    client = client_for(store_a_manager)
    assert client.get(f"/insight/?store={store_b.pk}").status_code == 404
    assert client.get(f"/insight/members/?store={store_b.pk}").status_code == 404
    assert client.get(f"/insight/export/?store={store_b.pk}").status_code == 404


def test_roles_without_insight_are_refused(client_for, store_a_front_desk, computed):
    assert client_for(store_a_front_desk).get("/insight/").status_code == 403


def test_overview_query_count_is_fixed(client_for, hq_admin, computed, store_a,
                                       django_assert_max_num_queries):  # fmt: skip
    client = client_for(hq_admin)
    client.get("/insight/")
    with django_assert_max_num_queries(17):
        response = client.get("/insight/")
    assert response.status_code == 200


def test_members_query_count_does_not_grow(client_for, hq_admin, computed, store_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yanzhi.customers.tests.factories import make_customer

    client = client_for(hq_admin)
    client.get("/insight/members/")
    with CaptureQueriesContext(connection) as few:
        client.get("/insight/members/")
    for index in range(10):
        make_customer(store_a, name=f"新客{index}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/insight/members/")
    assert response.content.decode().count("/customers/") >= 16
    assert len(many) == len(few)


def test_export_opens_with_the_figures(client_for, hq_admin, computed):
    response = client_for(hq_admin).get("/insight/export/")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["RFM分群", "价值金字塔", "成长类型", "年龄段", "科室"]
    rows = [r for r in book["价值金字塔"].iter_rows(values_only=True) if r and r[0] == "A类"]
    assert rows == [("A类", 1, 20, 9000, 36)]
    ages = {r[0]: r[3] for r in book["年龄段"].iter_rows(values_only=True) if r and r[0]}
    assert ages["18–25岁"] == "水光针、面膜"


def test_recompute_and_settings_over_http(client_for, hq_admin, store_a_manager, chain, computed):
    from yanzhi.insight.models import CustomerScore, InsightSettings

    # a manager may recompute but not change the weights
    assert client_for(store_a_manager).post("/insight/recompute/").status_code == 302
    assert client_for(store_a_manager).get("/insight/settings/").status_code == 403
    # bad weights: 422, nothing changed
    client = client_for(hq_admin)
    bad = client.post("/insight/settings/", {
        "spend_weight": 50, "frequency_weight": 30, "ticket_weight": 30,
        "class_a_percent": 20, "class_b_percent": 30,
    })  # fmt: skip
    assert bad.status_code == 422
    assert "三项权重之和须为100" in bad.content.decode()
    assert InsightSettings.objects.get(org=chain).spend_weight == 50
    # good weights: saved and the scores recomputed at once
    ok = client.post("/insight/settings/", {
        "spend_weight": 100, "frequency_weight": 0, "ticket_weight": 0,
        "class_a_percent": 40, "class_b_percent": 40,
    })  # fmt: skip
    assert ok.status_code == 302
    assert CustomerScore.objects.get(customer=computed["c2"]).abc_class == "A"


def test_the_kept_purchase_totals_agree_with_the_lines(hq_admin, store_a, store_b, computed):
    from yanzhi.insight import queries
    from yanzhi.insight.scoring import purchases_since

    scope, since = scope_for(hq_admin), purchases_since(TODAY)
    for store_id in (None, store_a.pk, store_b.pk):
        scores = queries.scores_for(scope)
        if store_id is not None:
            scores = scores.filter(store_id=store_id)
        lines = {"org_id": scope.org_id, "since": since}
        assert queries.typical_items_from_totals(scope.org_id, store_id) == queries.typical_items(
            scores, **lines
        )
        assert queries.departments_from_totals(scope.org_id, store_id) == queries.departments(
            scores, **lines
        )
    assert queries.departments_from_totals(scope.org_id, None)  # the chain bought something
