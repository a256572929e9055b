"""Configuring membership levels (HQ): validation that changes nothing, re-levelling from the
stored rolling spend, the settings page and API over HTTP, scope and roles; the level on the
customer's page and API output, and the list filter."""

from decimal import Decimal

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.customers import membership
from yanzhi.customers.models import Customer, MembershipLevel, MembershipLevelChange
from yanzhi.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def ladder(chain, hq_admin):
    return [
        membership.create_level(chain, name=name, min_spend_amount=amount, rank=rank, by=hq_admin)
        for rank, name, amount in [(1, "普通会员", "0"), (2, "银卡", "1000"), (3, "金卡", "5000")]
    ]


@pytest.fixture
def spender(store_a, store_a_consultant, chain):
    """A customer whose rolling spend is ¥3,000 (as the sales app would have stored it)."""
    customer = make_customer(store_a, name="钱多多", consultant=store_a_consultant)
    membership.apply_rolling_spend(customer.pk, Decimal("3000"), org_id=chain.pk, reason="payment")
    return customer


def state():
    return (
        list(MembershipLevel.objects.values_list("name", "min_spend_amount", "rank", "is_active")),
        AuditLog.objects.count(),
        MembershipLevelChange.objects.count(),
    )


def level_name(customer):
    customer = Customer.objects.select_related("member_level").get(pk=customer.pk)
    return customer.member_level.name if customer.member_level else None


@pytest.mark.parametrize(
    "change, code",
    [
        ({"name": "银卡", "min_spend_amount": "20000", "rank": 9}, "duplicate_name"),
        ({"name": "钻石", "min_spend_amount": "-1", "rank": 9}, "invalid_amount"),
        ({"name": "钻石", "min_spend_amount": "abc", "rank": 9}, "invalid_amount"),
        ({"name": "钻石", "min_spend_amount": "4000", "rank": 9}, "threshold_order"),
        ({"name": "钻石", "min_spend_amount": "5000", "rank": 9}, "threshold_order"),
        ({"name": "钻石", "min_spend_amount": "20000", "rank": 3}, "duplicate_rank"),
        ({"name": "钻石", "min_spend_amount": "2000", "rank": 2}, "duplicate_rank"),
        ({"name": "  ", "min_spend_amount": "20000", "rank": 9}, "invalid_name"),
        ({"name": "钻石", "min_spend_amount": "20000", "rank": -1}, "invalid_rank"),
    ],
)
def test_bad_levels_are_refused_and_change_nothing(ladder, spender, chain, hq_admin, change, code):
    before = state()
    with pytest.raises(BusinessError) as refused:
        membership.create_level(chain, by=hq_admin, **change)
    assert refused.value.code == code and refused.value.fields
    assert state() == before and level_name(spender) == "银卡"


def test_an_update_that_breaks_the_order_changes_nothing(ladder, spender, hq_admin):
    silver = ladder[1]
    before = state()
    with pytest.raises(BusinessError, match="threshold_order"):
        membership.update_level(silver, min_spend_amount="6000", by=hq_admin)
    with pytest.raises(BusinessError, match="invalid_window"):
        membership.set_program(silver.org, window_months=0, by=hq_admin)
    assert state() == before


def test_changing_the_ladder_relevels_customers_at_once(ladder, spender, hq_admin):
    # given a ¥3,000 customer at 银卡
    assert level_name(spender) == "银卡"
    # when 银卡 needs ¥4,000
    membership.update_level(ladder[1], min_spend_amount="4000", by=hq_admin)
    # then they drop to 普通会员, with the reason recorded
    assert level_name(spender) == "普通会员"
    change = MembershipLevelChange.objects.order_by("-id").first()
    assert (change.reason, change.to_level.name, change.rolling_spend_amount) == (
        "config",
        "普通会员",
        Decimal("3000.00"),
    )
    # when 普通会员 is deactivated, nobody holds it
    membership.update_level(ladder[0], is_active=False, by=hq_admin)
    assert level_name(spender) is None
    # a deactivated level no longer blocks its rank or threshold
    membership.create_level(ladder[0].org, name="入门", min_spend_amount="0", rank=1, by=hq_admin)
    assert level_name(spender) == "入门"


def test_only_hq_configures(ladder, store_a_manager, chain):
    with pytest.raises(BusinessError, match="forbidden"):
        membership.create_level(
            chain, name="钻石", min_spend_amount="20000", rank=4, by=store_a_manager
        )
    with pytest.raises(BusinessError, match="forbidden"):
        membership.set_program(chain, window_months=6, by=store_a_manager)


# --- pages ---------------------------------------------------------------------------------------
def test_settings_page(ladder, client_for, hq_admin, store_a_manager, store_a_consultant):
    hq = client_for(hq_admin)
    r = hq.post(
        "/customers/membership-levels/", {"name": "钻石", "min_spend_amount": "20000", "rank": "4"}
    )
    assert r.status_code == 302 and MembershipLevel.objects.filter(name="钻石").exists()
    r = hq.post(
        "/customers/membership-levels/", {"name": "黑卡", "min_spend_amount": "100", "rank": "5"}
    )
    assert r.status_code == 422 and "门槛须随等级递增" in r.content.decode()
    assert not MembershipLevel.objects.filter(name="黑卡").exists()
    gold = ladder[2]
    r = hq.post(
        f"/customers/membership-levels/{gold.pk}/",
        {"name": "黄金卡", "min_spend_amount": "5000", "rank": "3", "is_active": "on"},
    )
    assert r.status_code == 302 and MembershipLevel.objects.get(pk=gold.pk).name == "黄金卡"
    r = hq.post("/customers/membership-program/", {"window_months": "6"})
    assert r.status_code == 302 and membership.window_months(gold.org_id) == 6
    # a store manager reads (no forms), and may not post; a consultant may not even read
    manager = client_for(store_a_manager)
    page = manager.get("/customers/membership-levels/").content.decode()
    assert "黄金卡" in page and "新建等级" not in page
    assert manager.post("/customers/membership-program/", {"window_months": "3"}).status_code == 403
    assert client_for(store_a_consultant).get("/customers/membership-levels/").status_code == 403
    assert membership.window_months(gold.org_id) == 6


def test_level_on_the_profile_and_the_list_filter(
    ladder, spender, store_a, client_for, store_a_manager, django_assert_max_num_queries
):
    make_customer(store_a, name="路人甲")  # no level
    c = client_for(store_a_manager)
    page = c.get(f"/customers/{spender.pk}/").content.decode()
    assert 'id="member-level"' in page and "银卡" in page and "¥3,000.00" in page
    assert "等级变化记录" in page
    silver = ladder[1]
    for n in range(8):  # more customers at the level: still the same queries (no N+1)
        other = make_customer(store_a, name=f"银卡客{n}")
        membership.apply_rolling_spend(
            other.pk, Decimal("1000"), org_id=silver.org_id, reason="payment"
        )
    c.get("/customers/")  # warm up session and caches
    with django_assert_max_num_queries(16):
        listed = c.get(f"/customers/?level={silver.pk}").content.decode()
    assert "钱多多" in listed and "银卡客7" in listed and "路人甲" not in listed
    assert listed.count('class="badge text-bg-warning member-level"') == 9


# --- API over HTTP --------------------------------------------------------------------------------------
def test_api_configures_levels(ladder, spender, api_for, hq_admin, store_a_manager, chain):
    hq = api_for(hq_admin)
    r = hq.post(
        "/membership-levels",
        json={"name": "钻石", "min_spend_amount": "20000.00", "rank": 4},
    )
    assert r.status_code == 201 and r.json()["min_spend_amount"] == "20000.00"
    names = [lv["name"] for lv in hq.get("/membership-levels").json()]
    assert names == ["普通会员", "银卡", "金卡", "钻石"]
    r = hq.patch(f"/membership-levels/{ladder[1].pk}", json={"min_spend_amount": "2500"})
    assert r.status_code == 200 and r.json()["min_spend_amount"] == "2500.00"
    assert level_name(spender) == "银卡"  # ¥3,000 ≥ ¥2,500
    r = hq.patch(f"/membership-levels/{ladder[1].pk}", json={"min_spend_amount": "-5"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_amount"
    assert "min_spend_amount" in r.json()["fields"]
    assert hq.put("/membership-program", json={"window_months": 24}).json() == {"window_months": 24}
    assert hq.put("/membership-program", json={"window_months": 500}).status_code == 422
    manager = api_for(store_a_manager)
    assert manager.get("/membership-program").json() == {"window_months": 24}
    assert (
        manager.post(
            "/membership-levels", json={"name": "x", "min_spend_amount": "1", "rank": 9}
        ).status_code
        == 403
    )
    assert manager.put("/membership-program", json={"window_months": 3}).status_code == 403
    # the customer carries the level
    out = manager.get(f"/customers/{spender.pk}").json()
    assert (out["member_level_name"], out["rolling_spend_amount"]) == ("银卡", "3000.00")
    listed = manager.get(f"/customers?member_level_id={ladder[1].pk}").json()
    assert [c["id"] for c in listed["items"]] == [spender.pk]
    changes = manager.get(f"/customers/{spender.pk}/level-changes").json()
    assert changes[0]["to_level_name"] == "银卡" and changes[0]["rolling_spend_amount"] == "3000.00"


def test_api_scope(ladder, spender, api_for, other_chain_admin, store_b_consultant):
    other = api_for(other_chain_admin)
    assert other.get("/membership-levels").json() == []
    r = other.patch(f"/membership-levels/{ladder[1].pk}", json={"name": "偷改"})
    assert r.status_code == 404
    assert MembershipLevel.objects.get(pk=ladder[1].pk).name == "银卡"
    assert other.get(f"/customers/{spender.pk}/level-changes").status_code == 404
    assert (
        api_for(store_b_consultant).get(f"/customers/{spender.pk}/level-changes").status_code == 404
    )
