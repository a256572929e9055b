"""/api/v1/reports/… over real HTTP: the same figures as the pages, money as strings, scope."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)
PARAMS = {"start": "2026-03-01", "end": "2026-03-16"}


def test_the_index_and_a_report_as_json(world, api_for, store_a_manager, store_a_consultant):
    api = api_for(store_a_manager)
    index = api.get("/reports")
    assert index.status_code == 200
    assert "/api/v1/reports/reconciliation" in [r["path"] for r in index.json()]
    body = api.get("/reports/consultants", params=PARAMS).json()
    assert body["filters"]["start"] == "2026-03-01"
    rows = {r["staff"]: r for r in body["tables"][0]["rows"]}
    assert rows[store_a_consultant.name]["received_amount"] == "11600.00"
    assert rows[store_a_consultant.name]["deals"] == 3
    assert rows[store_a_consultant.name]["weighted"] == 4.0


def test_reconciliation_and_durations_as_json(world, api_for, store_a_manager):
    api = api_for(store_a_manager)
    tables = {
        t["key"]: t for t in api.get("/reports/reconciliation", params=PARAMS).json()["tables"]
    }
    assert tables["sales"]["rows"][0]["net_amount"] == "13000.00"
    assert tables["identity"]["rows"][-1]["amount"] == "0.00"
    stages = api.get("/reports/stage-durations", params=PARAMS).json()["tables"][0]["rows"]
    assert stages[-1]["median"] == 55.0 and stages[-1]["p90"] == 123.0


def test_home_and_settings(world, api_for, store_a_manager, hq_admin):
    home = api_for(store_a_manager).get("/reports/home").json()
    received = next(f for f in home["figures"] if f["key"] == "received")
    assert received["today"] == "12800.00" and received["month_before"] == "100.00"
    hq = api_for(hq_admin)
    updated = hq.put("/reports/settings", json={"deal_weight": "3", "total_target_minutes": 90})
    assert updated.status_code == 200
    assert updated.json()["deal_weight"] == "3.00" and updated.json()["total_target_minutes"] == 90
    bad = hq.put("/reports/settings", json={"leave_target_minutes": 0})
    assert bad.status_code == 422 and "leave_target_minutes" in bad.json()["fields"]
    assert hq.get("/reports/settings").json()["leave_target_minutes"] == 20
    assert (
        api_for(store_a_manager).put("/reports/settings", json={"deal_weight": "1"}).status_code
        == 403
    )


def test_scope_over_the_api(
    world,
    api_for,
    store_b_consultant,
    store_a,
    store_a_consultant_2,
    store_a_consultant,
    other_chain_admin,
):
    b = api_for(store_b_consultant)
    assert b.get("/reports/visits", params={**PARAMS, "store_id": store_a.pk}).status_code == 404
    mine = api_for(store_a_consultant_2)
    rows = mine.get("/reports/consultants", params=PARAMS).json()["tables"][0]["rows"]
    assert [r["staff"] for r in rows] == [store_a_consultant_2.name]
    other = {**PARAMS, "staff_id": store_a_consultant.pk}
    assert mine.get("/reports/consultants", params=other).status_code == 404
    assert mine.get("/reports/reconciliation", params=PARAMS).status_code == 403
    foreign = api_for(other_chain_admin)
    assert (
        foreign.get("/reports/item-sales", params={**PARAMS, "store_id": store_a.pk}).status_code
        == 404
    )
    bad = mine.get("/reports/visits", params={"start": "2026-03-10", "end": "2026-03-01"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_filter"
