"""The repurchase page and its reminder action, and the marketing API over real HTTP: scope
(store B and other chains get 404, a consultant sees only their own customers), query counts."""

import pytest

from yanzhi.customers.tests.factories import make_customer
from yanzhi.followups.models import FollowupTask
from yanzhi.marketing.models import ChannelCost, VoucherRedemption
from yanzhi.marketing.tests.conftest import at


@pytest.fixture
def window(store_a, store_b, store_a_consultant, store_a_consultant_2, hydra, deal, meituan):
    """Inside the window without a second purchase: mine (first deal 2026-01-20), theirs
    (consultant 2, 2025-12-01); bought again: again; store B: b_one (2026-02-01)."""
    from yanzhi.org.tests.factories import make_staff

    mine = make_customer(
        store_a, name="我的客户", consultant=store_a_consultant, source_channel=meituan
    )
    theirs = make_customer(store_a, name="别人的客户", consultant=store_a_consultant_2)
    again = make_customer(store_a, name="复购客户", consultant=store_a_consultant)
    b_one = make_customer(store_b, name="B店客户")
    deal(mine, at(2026, 1, 20), hydra)
    deal(theirs, at(2025, 12, 1), hydra)
    deal(again, at(2026, 1, 5), hydra)
    deal(again, at(2026, 2, 5), hydra)
    b_cashier = make_staff(store_b.org, "cashier", [store_b], name="B收银", username="b_cash")
    b_seller = make_staff(store_b.org, "consultant", [store_b], name="B咨询", username="b_sell")
    deal(b_one, at(2026, 2, 1), hydra, seller=b_seller, cashier=b_cashier)
    return {"mine": mine, "theirs": theirs, "again": again, "b_one": b_one}


@pytest.mark.django_db
def test_repurchase_page_and_scope(
    window, client_for, store_a_manager, store_a_consultant, django_assert_max_num_queries
):
    manager = client_for(store_a_manager)
    with django_assert_max_num_queries(20):
        page = manager.get("/marketing/repurchase/", {"start": "2025-09-01", "end": "2026-03-16"})
    html = page.content.decode()
    assert page.status_code == 200
    assert (
        "我的客户" in html
        and "别人的客户" in html
        and "复购客户" not in html
        and "B店客户" not in html
    )
    assert html.index("我的客户") < html.index("别人的客户")  # 35 days left before 75
    own = client_for(store_a_consultant).get("/marketing/repurchase/").content.decode()
    assert "我的客户" in own and "别人的客户" not in own


@pytest.mark.django_db
def test_one_click_and_select_all_create_one_task_each(
    window, client_for, store_a_manager, store_a_consultant
):
    client = client_for(store_a_consultant)
    response = client.post(
        "/marketing/repurchase/followups/",
        {"customer_ids": [window["mine"].pk, window["theirs"].pk]},
    )
    assert response.status_code == 302
    # only their own customer got a task (the other is outside the consultant's scope)
    tasks = FollowupTask.objects.filter(cause="repurchase")
    assert [(t.customer_id, t.owner_id) for t in tasks] == [
        (window["mine"].pk, store_a_consultant.pk)
    ]
    # select-all by the manager adds the rest of store A's candidates, once
    client_for(store_a_manager).post("/marketing/repurchase/followups/", {"all": "1"})
    client_for(store_a_manager).post("/marketing/repurchase/followups/", {"all": "1"})
    assert sorted(
        FollowupTask.objects.filter(cause="repurchase").values_list("customer_id", flat=True)
    ) == sorted([window["mine"].pk, window["theirs"].pk])


@pytest.mark.django_db
def test_pages_refuse_roles_without_the_action(
    window, client_for, store_a_nurse, store_a_front_desk
):
    assert client_for(store_a_nurse).get("/marketing/repurchase/").status_code == 403
    assert client_for(store_a_front_desk).get("/marketing/channels/").status_code == 403
    assert client_for(store_a_front_desk).get("/marketing/channel-costs/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_api_over_http(
    window,
    api_for,
    store_a,
    store_b,
    hq_admin,
    store_a_manager,
    store_a_consultant,
    store_b_consultant,
    other_chain_admin,
    store_a_front_desk,
    meituan,
    hydra,
):
    manager = api_for(store_a_manager)
    stats = manager.get(
        "/repurchase-window", params={"start": "2025-09-01", "end": "2026-03-16"}
    ).json()
    assert (stats["customers"], stats["repurchased"]) == (3, 1)
    # only "theirs" (2025-12-01) has had 90 days; it did not buy again
    assert stats["windows"][0] == {
        "months": 3,
        "closed": 1,
        "repurchased": 0,
        "open": 2,
        "share_percent": "0.0",
    }
    assert manager.get("/repurchase-window", params={"store_id": store_b.pk}).status_code == 404
    listed = manager.get("/repurchase-window/customers").json()
    # mine leaves the 3-month window in 35 days, theirs the 6-month one in 75
    assert [
        (i["customer"]["name"], i["window_months"], i["days_left"]) for i in listed["items"]
    ] == [("我的客户", 3, 35), ("别人的客户", 6, 75)]
    assert "****" in listed["items"][0]["customer"]["masked_phone"]
    own = api_for(store_a_consultant).get("/repurchase-window/customers").json()
    assert [i["customer"]["name"] for i in own["items"]] == ["我的客户"]
    chain = api_for(hq_admin).get("/repurchase-window/customers").json()
    assert chain["count"] == 3
    assert api_for(other_chain_admin).get("/repurchase-window/customers").json()["count"] == 0
    created = api_for(store_a_consultant).post(
        "/repurchase-window/followups", json={"customer_ids": [window["mine"].pk]}
    )
    assert created.status_code == 201 and created.json() == {"created": 1}
    # channel costs, stats
    cost = manager.post(
        "/channel-costs",
        json={
            "channel_id": meituan.pk,
            "month": "2026-03-01",
            "amount": "1000",
            "store_id": store_a.pk,
        },
    )
    assert cost.status_code == 200 and cost.json()["amount"] == "1000.00"
    assert api_for(store_b_consultant).get("/channels/stats").status_code == 403
    ch = manager.get("/channels/stats", params={"start": "2026-03-01", "end": "2026-03-31"}).json()
    row = next(r for r in ch["channels"] if r["name"] == "美团点评")
    assert (row["cost"], row["revenue"], row["roi_percent"]) == ("1000.00", "0.00", "-100.0")
    assert manager.get("/channels/stats", params={"store_id": store_b.pk}).status_code == 404
    assert len(manager.get("/channels").json()) >= 1  # the channel list (customers app)
    # vouchers
    desk = api_for(store_a_front_desk)
    body = {
        "customer_id": window["mine"].pk,
        "channel_id": meituan.pk,
        "code": "API-1",
        "item_id": hydra.pk,
        "settlement_amount": "99.5",
    }
    made = desk.post("/voucher-redemptions", json=body)
    assert made.status_code == 201 and made.json()["settlement_amount"] == "99.50"
    assert desk.post("/voucher-redemptions", json=body).json()["code"] == "voucher_already_verified"
    rid = made.json()["id"]
    assert api_for(store_b_consultant).get(f"/voucher-redemptions/{rid}").status_code in (403, 404)
    assert api_for(other_chain_admin).get(f"/voucher-redemptions/{rid}").status_code == 404
    reversed_ = manager.post(f"/voucher-redemptions/{rid}/reverse", json={"reason": "测试"})
    assert reversed_.json()["status"] == "reversed"
    assert manager.get("/voucher-redemptions").json()["count"] == 1
    # referral tree and stats
    assert manager.get(f"/customers/{window['mine'].pk}/referrals").json()["count"] == 0
    assert (
        api_for(store_b_consultant).get(f"/customers/{window['mine'].pk}/referrals").status_code
        == 404
    )
    assert manager.get("/referrals/stats").status_code == 200
    # costs list and delete
    listed_costs = manager.get("/channel-costs").json()
    assert listed_costs["count"] == 1
    assert (
        api_for(other_chain_admin).delete(f"/channel-costs/{cost.json()['id']}").status_code == 404
    )
    assert manager.delete(f"/channel-costs/{cost.json()['id']}").status_code == 204
    assert not ChannelCost.objects.exists() and VoucherRedemption.objects.count() == 1
