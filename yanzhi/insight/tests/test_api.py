"""The insight API over real HTTP: segments CRUD, members, campaigns, the RFM table and scores,
with scope (another store's segment and another consultant's customer are 404)."""

import pytest

from yanzhi.core.models import SmsMessage
from yanzhi.customers.models import Customer
from yanzhi.followups.models import FollowupTask
from yanzhi.insight.models import Segment
from yanzhi.insight.scoring import refresh_scores
from yanzhi.insight.tests.conftest import TODAY

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def computed(chain, scored_chain, store_b_consultant):
    Customer.objects.filter(pk=scored_chain["c5"].pk).update(consultant=store_b_consultant)
    Customer.objects.filter(pk=scored_chain["c1"].pk).update(marketing_consent=True)
    refresh_scores(chain, day=TODAY)
    return scored_chain


def test_segment_lifecycle_and_campaigns(api_for, hq_admin, store_a, computed):
    api = api_for(hq_admin)
    # create: bad definition is a 422 naming the field
    bad = api.post("/segments", json={"name": "x", "definition": {"rfm_segments": ["vip"]}})
    assert bad.status_code == 422 and "rfm_segments" in bad.json()["fields"]
    created = api.post(
        "/segments", json={"name": "成交客户", "definition": {"deal_statuses": ["first", "repeat"]}}
    )
    assert created.status_code == 201
    segment = created.json()
    assert (segment["store_id"], segment["definition"]["deal_statuses"]) == (
        None,
        ["first", "repeat"],
    )
    sid = segment["id"]
    assert api.get("/segments").json()["count"] == 1
    members = api.get(f"/segments/{sid}/members", params={"limit": 2}).json()
    assert members["count"] == 5 and len(members["items"]) == 2
    first = members["items"][0]
    assert first["name"] == "客户c3" and first["value_score"] == 100  # best first
    assert "*" in first["phone"]
    # update
    updated = api.put(
        f"/segments/{sid}", json={"name": "快速成长", "store_id": store_a.pk,
                                  "definition": {"growth_types": ["fast_growing"]}}
    )  # fmt: skip
    assert updated.status_code == 200 and updated.json()["store_name"] == store_a.name
    assert api.get(f"/segments/{sid}/members").json()["count"] == 2
    # SMS reach, then campaigns
    assert api.get(f"/segments/{sid}/sms-reach").json() == {
        "members": 2, "receiving": 0, "no_consent": 2, "invalid_phone": 0,
    }  # fmt: skip
    run = api.post(
        f"/segments/{sid}/campaigns",
        json={"kind": "followup", "title": "回访", "owner_role": "consultant"},
    )
    assert run.status_code == 201 and run.json()["created_count"] == 2
    assert FollowupTask.objects.filter(cause=f"segment-campaign:{run.json()['id']}").count() == 2
    sms = api.post(
        f"/segments/{sid}/campaigns", json={"kind": "sms", "title": "t", "text": "{称呼}好"}
    )
    assert sms.status_code == 201 and sms.json()["created_count"] == 0
    assert sms.json()["skipped_no_consent_count"] == 2
    assert not SmsMessage.objects.exists()
    assert api.get(f"/segments/{sid}/campaigns").json()["count"] == 2
    # delete
    assert api.delete(f"/segments/{sid}").status_code == 204
    assert not Segment.objects.exists()


def test_insight_figures_and_scores_by_role(api_for, hq_admin, store_a_consultant, store_b,
                                            computed):  # fmt: skip
    hq = api_for(hq_admin)
    rfm = {r["key"]: r for r in hq.get("/insight/rfm").json()}
    assert rfm["important_value"]["customers"] == 1
    assert rfm["important_value"]["spend"] == "9000.00"
    assert hq.get("/insight/rfm", params={"store_id": store_b.pk}).json()[2]["customers"] == 1
    overview = hq.get("/insight/overview").json()
    assert (overview["customers"], overview["dealing"]) == (6, 5)
    score = hq.get(f"/insight/scores/{computed['c3'].pk}").json()
    assert (score["rfm_segment"], score["abc_class"], score["value_score"]) == (
        "important_value", "A", 100,
    )  # fmt: skip
    assert hq.post("/insight/recompute").json() == {"customers": 6}
    # a consultant sees only their own customers' scores
    mine = api_for(store_a_consultant)
    assert mine.get(f"/insight/scores/{computed['c1'].pk}").status_code == 200
    assert mine.get(f"/insight/scores/{computed['c3'].pk}").status_code == 404
    assert mine.get("/insight/overview").json()["customers"] == 2
    assert mine.post("/insight/recompute").status_code == 403
    assert mine.get("/insight/rfm", params={"store_id": store_b.pk}).status_code == 404


def test_settings_api(api_for, hq_admin, store_a_manager, computed):
    bad = api_for(hq_admin).put("/insight/settings", json={
        "spend_weight": 50, "frequency_weight": 50, "ticket_weight": 50,
        "class_a_percent": 20, "class_b_percent": 30,
    })  # fmt: skip
    assert bad.status_code == 422 and "spend_weight" in bad.json()["fields"]
    ok = api_for(hq_admin).put("/insight/settings", json={
        "spend_weight": 60, "frequency_weight": 20, "ticket_weight": 20,
        "class_a_percent": 10, "class_b_percent": 30,
    })  # fmt: skip
    assert ok.status_code == 200 and ok.json()["spend_weight"] == 60
    assert api_for(store_a_manager).put("/insight/settings", json=ok.json()).status_code == 403


def test_other_store_segment_is_404(api_for, hq_admin, store_a, store_b_consultant, computed):
    created = api_for(hq_admin).post(
        "/segments", json={"name": "A店", "store_id": store_a.pk, "definition": {}}
    )
    sid = created.json()["id"]
    other = api_for(store_b_consultant)
    assert other.get(f"/segments/{sid}").status_code == 404
    assert other.get(f"/segments/{sid}/members").status_code == 404
    assert (
        other.post(
            f"/segments/{sid}/campaigns", json={"kind": "sms", "title": "t", "text": "x"}
        ).status_code
        == 404
    )


def test_list_endpoints_issue_a_fixed_number_of_queries(client, hq_admin, chain, store_a,
                                                        computed):  # fmt: skip
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yanzhi.org.services import create_api_token

    _token, key = create_api_token(hq_admin, name="t", by=hq_admin)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    segment = Segment.objects.create(org=chain, name="全部", created_by=hq_admin)
    client.get("/api/v1/segments", **auth)  # warm up (the token's first use is recorded)
    counts = []
    for extra in (0, 6):
        for i in range(extra):
            Segment.objects.create(org=chain, store=store_a, name=f"s{i}", created_by=hq_admin)
        with CaptureQueriesContext(connection) as listed:
            assert client.get("/api/v1/segments", **auth).status_code == 200
        with CaptureQueriesContext(connection) as members:
            body = client.get(f"/api/v1/segments/{segment.pk}/members", **auth).json()
        assert body["count"] == 6
        counts.append((len(listed), len(members)))
    assert counts[0] == counts[1]
