"""Member activity (会员活跃度) on a fixed clock: the chain's thresholds give each customer an exact
class on every day; a visit or a payment moves it at once; the daily job moves customers into
沉睡 / 深度睡眠 as days pass and emits `customer.became_sleeping` once per falling asleep; HQ sets
the thresholds (page and API), nothing is saved when they are wrong."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yanzhi.core import events
from yanzhi.core.audit import AuditLog
from yanzhi.customers import activity, services
from yanzhi.customers.models import ActivitySettings, CustomerSummary
from yanzhi.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    """clock("2026-01-10 10:00") moves the (non-ticking) clock to that Shanghai time."""
    travellers = []

    def move(moment: str):
        for traveller in travellers:
            traveller.stop()
        travellers.clear()
        traveller = time_machine.travel(local(moment), tick=False)
        traveller.start()
        travellers.append(traveller)

    move("2026-01-05 10:00")
    yield move
    for traveller in travellers:
        traveller.stop()


@pytest.fixture
def fell_asleep():
    """The `customer.became_sleeping` events emitted during the test."""
    seen = []

    def record(**payload):
        seen.append(payload)

    events.subscribe("customer.became_sleeping", record)
    yield seen
    events._handlers["customer.became_sleeping"].remove(record)


def pay(customer, when: datetime, *, deal=True):
    """What sales.pay_order tells the summary about a paid order (the same two calls)."""
    services.note_money(customer_id=customer.pk, spend_delta=100, paid_at=when)
    if deal:
        services.note_deal(customer_id=customer.pk, dealt_at=when)


def state(customer) -> str:
    return CustomerSummary.objects.get(customer=customer).activity


def test_thresholds_give_the_exact_class_across_time(store_a, clock):
    # given the default thresholds 90 / 180 / 365 days and a customer who paid on 10 January
    buyer = make_customer(store_a, name="钱一")
    browser = make_customer(store_a, name="孙二")  # visits, never buys
    assert state(buyer) == "non_member"
    clock("2026-01-10 10:00")
    pay(buyer, local("2026-01-10 10:00"))
    services.note_visit(
        customer_id=browser.pk, arrived_at=local("2026-01-10 10:00"), visit_type="first"
    )
    assert (state(buyer), state(browser)) == ("new", "non_member")
    settings = activity.settings_of(store_a.org_id)
    expected = {
        "2026-04-09": "new",  # 89 days after the first deal
        "2026-04-10": "active",  # 90 days: no longer new
        "2026-07-08": "active",  # 179 days since the last payment
        "2026-07-09": "sleeping",  # 180 days
        "2027-01-09": "sleeping",  # 364 days
        "2027-01-10": "deep_sleep",  # 365 days
    }
    for text, wanted in expected.items():
        day = date.fromisoformat(text)
        # the daily job at 05:30 that day (SQL) …
        clock(f"{text} 05:30")
        activity.refresh_store(store_a, day)
        assert (text, state(buyer)) == (text, wanted)
        assert state(browser) == "non_member"
        # … and the per-customer definition (Python) agree
        summary = CustomerSummary.objects.get(customer=buyer)
        assert (
            activity.classify(
                deal_count=summary.deal_count,
                first_deal_at=summary.first_deal_at,
                last_active_at=summary.last_active_at,
                store=store_a,
                today=day,
                settings=settings,
            )
            == wanted
        )


def test_a_late_evening_payment_counts_on_its_store_day(store_a, clock):
    # 23:30 Shanghai on 10 January is still the 10th in the store's calendar (15:30 UTC)
    customer = make_customer(store_a)
    clock("2026-01-10 23:30")
    pay(customer, local("2026-01-10 23:30"))
    activity.refresh_store(store_a, date(2026, 7, 8))
    assert state(customer) == "active"
    activity.refresh_store(store_a, date(2026, 7, 9))
    assert state(customer) == "sleeping"


def test_a_visit_or_a_payment_wakes_a_sleeping_member_at_once(store_a, clock):
    # given two members asleep since July
    clock("2026-01-10 10:00")
    visitor, payer = make_customer(store_a, name="周三"), make_customer(store_a, name="吴四")
    pay(visitor, local("2026-01-10 10:00"))
    pay(payer, local("2026-01-10 10:00"))
    clock("2026-08-01 10:00")
    activity.refresh_store(store_a, date(2026, 8, 1))
    assert (state(visitor), state(payer)) == ("sleeping", "sleeping")
    # when one comes to the store and the other pays an arrears instalment (not a new deal)
    services.note_visit(
        customer_id=visitor.pk, arrived_at=local("2026-08-01 10:00"), visit_type="return"
    )
    pay(payer, local("2026-08-01 10:00"), deal=False)
    # then both are active in the same transaction, before any daily job
    assert (state(visitor), state(payer)) == ("active", "active")
    summary = CustomerSummary.objects.get(customer=payer)
    assert summary.last_active_at == local("2026-08-01 10:00")
    assert summary.activity_since == local("2026-08-01 10:00")


def test_a_refund_is_not_activity(store_a, clock):
    clock("2026-01-10 10:00")
    customer = make_customer(store_a)
    pay(customer, local("2026-01-10 10:00"))
    clock("2026-08-01 10:00")
    services.note_money(customer_id=customer.pk, spend_delta=-100)
    activity.refresh_store(store_a, date(2026, 8, 1))
    assert state(customer) == "sleeping"
    assert CustomerSummary.objects.get(customer=customer).last_active_at == local(
        "2026-01-10 10:00"
    )


def test_the_daily_job_puts_a_member_to_sleep_exactly_once(store_a, store_b, clock, fell_asleep):
    from yanzhi.core.schedule import registered_jobs
    from yanzhi.messaging.models import JobRun
    from yanzhi.messaging.schedule import run_due_jobs

    jobs = {"member_activity": registered_jobs()["member_activity"]}
    clock("2026-01-10 10:00")
    sleeper = make_customer(store_a, name="郑五")
    pay(sleeper, local("2026-01-10 10:00"))
    recent = make_customer(store_a, name="王六")
    clock("2026-06-01 10:00")
    pay(recent, local("2026-06-01 10:00"))
    # when the worker runs the job on 9 July at 05:30 (180 days after the payment)
    clock("2026-07-09 05:31")
    run_due_jobs(jobs=jobs)
    # then the sleeper is asleep and one event says so; the recent buyer is not
    assert (state(sleeper), state(recent)) == ("sleeping", "new")
    assert fell_asleep == [
        {
            "customer_id": sleeper.pk,
            "org_id": store_a.org_id,
            "store_id": store_a.pk,
            "day": date(2026, 7, 9),
        }
    ]
    # running again that day, or the next days, emits nothing new
    clock("2026-07-09 18:00")
    assert run_due_jobs(jobs=jobs) == []
    clock("2026-07-11 06:00")
    run_due_jobs(jobs=jobs)
    assert activity.refresh_store(store_a, date(2026, 7, 11)).became_sleeping == []
    assert len(fell_asleep) == 1
    assert JobRun.objects.filter(
        job="member_activity", store_id=store_a.pk, period="2026-07-09"
    ).get()


def test_customers_never_classified_fall_asleep_without_an_event(store_a, clock, fell_asleep):
    """After the upgrade every summary starts as 非会员: old members found asleep by the first
    run were never awake in this system, so no win-back flood."""
    clock("2025-01-10 10:00")
    old = make_customer(store_a, name="老客")
    pay(old, local("2025-01-10 10:00"))
    CustomerSummary.objects.filter(customer=old).update(activity="non_member")
    activity.refresh_store(store_a, date(2025, 10, 1))
    assert state(old) == "sleeping"
    assert fell_asleep == []


def test_refresh_store_uses_a_fixed_number_of_queries(store_a, clock):
    clock("2026-01-10 10:00")

    def run_with(count: int) -> int:
        CustomerSummary.objects.all().delete()
        for n in range(count):
            pay(make_customer(store_a, name=f"客{n}"), local("2026-01-10 10:00"))
        with CaptureQueriesContext(connection) as ctx:
            result = activity.refresh_store(store_a, date(2026, 7, 9), emit=False)
        assert result.moved["sleeping"] == count
        return len(ctx.captured_queries)

    assert run_with(3) == run_with(25)


# --- settings --------------------------------------------------------------------------------------
def test_thresholds_are_validated_and_nothing_is_saved_when_wrong(chain, hq_admin):
    from yanzhi.core.errors import BusinessError

    bad = [
        ({"new_member_days": 90, "sleeping_days": 90, "deep_sleep_days": 365}, "sleeping_days"),
        ({"new_member_days": 90, "sleeping_days": 200, "deep_sleep_days": 180}, "deep_sleep_days"),
        ({"new_member_days": 0, "sleeping_days": 180, "deep_sleep_days": 365}, "new_member_days"),
        ({"new_member_days": 90, "sleeping_days": -5, "deep_sleep_days": 365}, "sleeping_days"),
        (
            {"new_member_days": "九十", "sleeping_days": 180, "deep_sleep_days": 365},
            "new_member_days",
        ),
        ({"new_member_days": 90, "sleeping_days": 180, "deep_sleep_days": 9999}, "deep_sleep_days"),
    ]
    for values, field in bad:
        with pytest.raises(BusinessError) as caught:
            activity.set_settings(chain, by=hq_admin, **values)
        assert list(caught.value.fields) == [field], values
        assert caught.value.status == 422
    assert not ActivitySettings.objects.exists()
    assert not AuditLog.objects.filter(action="activity_settings.updated").exists()


def test_only_hq_sets_thresholds(chain, store_a_manager, other_chain, other_chain_admin):
    from yanzhi.core.errors import BusinessError, NotFound

    with pytest.raises(BusinessError) as caught:
        activity.set_settings(
            chain, by=store_a_manager, new_member_days=30, sleeping_days=60, deep_sleep_days=90
        )
    assert caught.value.status == 403
    with pytest.raises(NotFound):
        activity.set_settings(
            chain, by=other_chain_admin, new_member_days=30, sleeping_days=60, deep_sleep_days=90
        )
    assert not ActivitySettings.objects.exists()


def test_new_thresholds_reclassify_at_once_without_events(
    chain, hq_admin, store_a, store_b, clock, fell_asleep
):
    clock("2026-01-10 10:00")
    a, b = make_customer(store_a, name="甲"), make_customer(store_b, name="乙")
    pay(a, local("2026-01-10 10:00"))
    pay(b, local("2026-01-10 10:00"))
    clock("2026-04-20 10:00")  # 100 days later: active with the defaults
    activity.refresh_store(store_a, date(2026, 4, 20))
    assert state(a) == "active"
    activity.set_settings(
        chain, by=hq_admin, new_member_days=30, sleeping_days=60, deep_sleep_days=365
    )
    assert (state(a), state(b)) == ("sleeping", "sleeping")
    assert fell_asleep == []
    log = AuditLog.objects.get(action="activity_settings.updated")
    assert log.after == {"new_member_days": 30, "sleeping_days": 60}


def test_settings_page(client_for, hq_admin, store_a_manager, store_a_front_desk, store_a):
    make_customer(store_a)
    hq = client_for(hq_admin)
    page = hq.get("/customers/member-activity/")
    assert page.status_code == 200
    assert 'data-activity="non_member"' in page.content.decode()
    # a wrong form: 422 with the reason, nothing saved
    wrong = hq.post(
        "/customers/member-activity/",
        {"new_member_days": "90", "sleeping_days": "60", "deep_sleep_days": "365"},
    )
    assert wrong.status_code == 422
    assert "沉睡天数须大于新会员天数" in wrong.content.decode()
    assert not ActivitySettings.objects.exists()
    saved = hq.post(
        "/customers/member-activity/",
        {"new_member_days": "60", "sleeping_days": "120", "deep_sleep_days": "300"},
    )
    assert saved.status_code == 302
    row = ActivitySettings.objects.get()
    assert (row.new_member_days, row.sleeping_days, row.deep_sleep_days) == (60, 120, 300)
    # a store manager reads, cannot write; the front desk cannot open it
    manager = client_for(store_a_manager)
    read = manager.get("/customers/member-activity/")
    assert read.status_code == 200 and 'id="activity-form"' not in read.content.decode()
    assert (
        manager.post(
            "/customers/member-activity/",
            {"new_member_days": "1", "sleeping_days": "2", "deep_sleep_days": "3"},
        ).status_code
        == 403
    )
    assert client_for(store_a_front_desk).get("/customers/member-activity/").status_code == 403
    assert ActivitySettings.objects.get().new_member_days == 60


def test_the_api_over_http(api_for, hq_admin, store_a_manager, other_chain_admin, chain):
    hq = api_for(hq_admin)
    assert hq.get("/member-activity-settings").json() == {
        "new_member_days": 90,
        "sleeping_days": 180,
        "deep_sleep_days": 365,
    }
    wrong = hq.put(
        "/member-activity-settings",
        json={"new_member_days": 90, "sleeping_days": 0, "deep_sleep_days": 365},
    )
    assert wrong.status_code == 422
    assert list(wrong.json()["fields"]) == ["sleeping_days"]
    assert not ActivitySettings.objects.exists()
    ok = hq.put(
        "/member-activity-settings",
        json={"new_member_days": 45, "sleeping_days": 120, "deep_sleep_days": 240},
    )
    assert ok.status_code == 200 and ok.json()["sleeping_days"] == 120
    manager = api_for(store_a_manager)
    assert manager.get("/member-activity-settings").json()["sleeping_days"] == 120
    assert (
        manager.put(
            "/member-activity-settings",
            json={"new_member_days": 1, "sleeping_days": 2, "deep_sleep_days": 3},
        ).status_code
        == 403
    )
    # another chain has its own thresholds, and setting them leaves this chain's alone
    other = api_for(other_chain_admin)
    assert other.get("/member-activity-settings").json()["sleeping_days"] == 180
    other.put(
        "/member-activity-settings",
        json={"new_member_days": 10, "sleeping_days": 20, "deep_sleep_days": 30},
    )
    assert ActivitySettings.objects.get(org=chain).sleeping_days == 120
