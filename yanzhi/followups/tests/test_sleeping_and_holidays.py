"""会员沉睡 and 节日 rules on a fixed clock: a member who falls asleep gets exactly one win-back call
from customer service inside a calling window, an active member none; rules filter by member
activity; a 03-08 rule creates a task for every matching customer of the store on that day, in
bulk, never twice (re-runs, catch-up); rule validation and the API over HTTP."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yanzhi.core.errors import BusinessError
from yanzhi.customers import activity
from yanzhi.customers.models import CustomerSummary
from yanzhi.customers.tests.factories import make_customer
from yanzhi.followups import services
from yanzhi.followups.models import FollowupRule, FollowupTask, TriggerRun
from yanzhi.followups.services import NodeIn, date_matches
from yanzhi.followups.tests.test_journeys import in_window, local, tasks
from yanzhi.visits import services as visits

pytestmark = pytest.mark.django_db


def member(store, name, *, deals=1, when="2026-03-01 10:00", **extra):
    """A customer whose summary says `deals` deals, the last one (and last activity) `when`."""
    customer = make_customer(store, name=name, **extra)
    at = local(when) if deals else None
    CustomerSummary.objects.filter(customer=customer).update(
        deal_count=deals, first_deal_at=at, last_deal_at=at, last_active_at=at
    )
    return fresh(customer)


def fresh(customer):
    from yanzhi.customers.models import Customer

    return Customer.objects.select_related("summary").get(pk=customer.pk)


def sleeping_job():
    from yanzhi.core.schedule import registered_jobs

    return {"member_activity": registered_jobs()["member_activity"]}


# --- 会员沉睡 ----------------------------------------------------------------------------------------
def test_a_member_who_falls_asleep_gets_one_win_back_call(
    rules, staff_a, customer, facial, sell, store_a_front_desk, at
):
    from yanzhi.messaging.schedule import run_due_jobs

    # given a customer who bought a facial on 16 March, and another who also came back in August
    sell(customer, facial)
    regular = make_customer(store_a_front_desk.stores.first(), name="常客")
    sell(regular, facial)
    at("2026-08-20 10:00")
    visits.register_arrival(regular.store, customer=regular, by=store_a_front_desk)
    # when the worker's member-activity job runs on 12 September (180 days after the purchase)
    at("2026-09-12 05:45")
    run_due_jobs(jobs=sleeping_job())
    # then the first is asleep and customer service calls her at 11:00 with the win-back script
    assert CustomerSummary.objects.get(customer=customer).activity == "sleeping"
    assert tasks(customer=customer, kind="member_sleeping") == [
        ("沉睡当天", "a_service", "09-12 11:00", "pending")
    ]
    task = FollowupTask.objects.get(kind="member_sleeping")
    assert in_window(task.due_at)
    assert task.cause == f"sleeping:{customer.pk}:2026-09-12"
    assert task.script.startswith("赵女士您好,我是") and "好久没见到您了" in task.script
    # the customer who came back in August is active: no win-back call
    assert CustomerSummary.objects.get(customer=regular).activity == "active"
    assert not FollowupTask.objects.filter(customer=regular, kind="member_sleeping").exists()
    # the job again that day, the next days, or the handler once more: still one task
    at("2026-09-12 20:00")
    run_due_jobs(jobs=sleeping_job())
    at("2026-09-14 06:00")
    run_due_jobs(jobs=sleeping_job())
    from yanzhi.followups.triggers import on_customer_became_sleeping

    on_customer_became_sleeping(
        customer_id=customer.pk,
        org_id=customer.org_id,
        store_id=customer.store_id,
        day=date(2026, 9, 12),
    )
    assert FollowupTask.objects.filter(kind="member_sleeping").count() == 1


def test_a_sleeping_member_who_comes_back_is_not_called(
    rules, staff_a, customer, facial, sell, store_a_front_desk, at
):
    from yanzhi.messaging.schedule import run_due_jobs

    sell(customer, facial)
    at("2026-09-12 05:45")
    run_due_jobs(jobs=sleeping_job())
    task = FollowupTask.objects.get(customer=customer, kind="member_sleeping")
    # when she walks in before customer service reaches her, and leaves
    at("2026-09-12 10:00")
    visit = visits.register_arrival(customer.store, customer=customer, by=store_a_front_desk)
    visits.leave(visit, by=store_a_front_desk)
    # then the win-back call is closed, and she is active again
    task.refresh_from_db()
    assert (task.status, task.cancel_reason) == ("cancelled", "customer returned")
    assert CustomerSummary.objects.get(customer=customer).activity == "active"


def test_a_deactivated_win_back_rule_creates_nothing(rules, staff_a, customer, hq_admin, at):
    services.deactivate_rule(rules["member_sleeping"], by=hq_admin)
    CustomerSummary.objects.filter(customer=customer).update(
        deal_count=1,
        first_deal_at=local("2026-01-01 10:00"),
        last_deal_at=local("2026-01-01 10:00"),
        last_active_at=local("2026-01-01 10:00"),
        activity="active",
    )
    at("2026-07-01 06:00")
    assert activity.refresh_store(customer.store, date(2026, 7, 1)).became_sleeping == [customer.pk]
    assert not FollowupTask.objects.exists()


# --- the activity filter -------------------------------------------------------------------------
def test_rules_filter_by_member_activity(rules, staff_a, store_a, chain, hq_admin, at):
    from yanzhi.followups.triggers import applies

    # given a birthday rule only for sleeping and deeply sleeping members
    rule = services.create_rule(
        chain,
        by=hq_admin,
        name="沉睡会员生日关怀",
        trigger="birthday",
        activities=["sleeping", "deep_sleep"],
        nodes=[NodeIn(0, "days", "consultant", "call", "{称呼}生日快乐")],
    )
    asleep = member(store_a, "沉睡", birth_date=date(1990, 3, 18), consultant=staff_a["consultant"])
    awake = member(store_a, "活跃", birth_date=date(1990, 3, 18), consultant=staff_a["consultant"])
    CustomerSummary.objects.filter(customer=asleep).update(activity="sleeping")
    CustomerSummary.objects.filter(customer=awake).update(activity="active")
    asleep, awake = fresh(asleep), fresh(awake)
    assert applies(rule, asleep) and not applies(rule, awake)
    # when the birthday comes
    at("2026-03-18 06:30")
    call_command("run_followup_triggers")
    # then only the sleeping member gets the rule's call (both get the default SMS greeting)
    assert set(FollowupTask.objects.filter(rule=rule).values_list("customer", flat=True)) == {
        asleep.pk
    }
    assert FollowupTask.objects.filter(rule=rules["birthday"]).count() == 2


def test_sql_and_python_filters_agree(rules, store_a, chain, hq_admin):
    from yanzhi.customers.models import Customer
    from yanzhi.followups.triggers import applies, matching_customers

    people = [
        member(store_a, "无", deals=0),
        member(store_a, "一", deals=1),
        member(store_a, "多", deals=3),
    ]
    CustomerSummary.objects.filter(customer=people[1]).update(
        activity="sleeping", last_visit_type="return"
    )
    CustomerSummary.objects.filter(customer=people[2]).update(activity="active")
    people = [fresh(p) for p in people]
    for filters in (
        {"deal_statuses": ["none"]},
        {"deal_statuses": ["first", "repeat"]},
        {"activities": ["non_member"]},
        {"activities": ["sleeping", "active"]},
        {"last_visit_types": ["return"]},
        {"deal_statuses": ["repeat"], "activities": ["active"]},
    ):
        rule = FollowupRule.objects.create(org=chain, name="x", trigger="date", **filters)
        in_sql = set(
            matching_customers(rule, Customer.objects.filter(pk__in=[p.pk for p in people]))
        )
        in_python = {p for p in people if applies(rule, p)}
        assert in_sql == in_python, filters
        assert in_sql, filters


# --- 节日 ----------------------------------------------------------------------------------------
@pytest.fixture
def holiday_people(staff_a, store_a, store_b, hq_admin):
    return {
        "first": member(store_a, "首单", deals=1, consultant=staff_a["consultant"]),
        "repeat": member(store_a, "复购", deals=2, salutation="李女士"),
        "never": member(store_a, "未成交", deals=0),
        "store_b": member(store_b, "B店会员", deals=1),
    }


def test_womens_day_greets_the_stores_members_on_03_08_only(
    rules, holiday_people, store_a, store_b, at
):
    # the day before: nothing
    at("2026-03-07 06:30")
    call_command("run_followup_triggers")
    assert not FollowupTask.objects.filter(kind="date").exists()
    # on 8 March: one SMS task per member (first or repeat deal) of each store, by customer service
    at("2026-03-08 06:30")
    call_command("run_followup_triggers")
    assert tasks(kind="date", store=store_a) == [
        ("节日当天", "a_service", "03-08 11:00", "pending"),
        ("节日当天", "a_service", "03-08 11:00", "pending"),
    ]
    greeted = set(FollowupTask.objects.filter(kind="date").values_list("customer", flat=True))
    people = holiday_people
    assert greeted == {people["first"].pk, people["repeat"].pk, people["store_b"].pk}
    task = FollowupTask.objects.get(customer=people["repeat"])
    assert task.channel == "sms" and task.script.startswith("李女士,")
    assert task.cause == f"date:2026-03-08:customer:{people['repeat'].pk}"
    # store B has no customer service and no manager: its task goes to HQ, and says so
    task_b = FollowupTask.objects.get(customer=people["store_b"])
    assert (task_b.store, task_b.owner.username) == (store_b, "hq")
    assert task_b.owner_note == "无客服,已转总部"
    # running again, or for the explicit date, creates nothing twice
    call_command("run_followup_triggers")
    call_command("run_followup_triggers", "--date", "2026-03-08")
    assert FollowupTask.objects.filter(kind="date").count() == 3


def test_a_missed_holiday_is_caught_up_once(rules, holiday_people, store_a, at):
    at("2026-03-06 06:30")
    call_command("run_followup_triggers")
    # the worker is down on 7, 8 and 9 March; on the 10th it catches up the 8th
    at("2026-03-10 06:30")
    call_command("run_followup_triggers")
    assert tasks(kind="date", store=store_a) == [
        ("节日当天", "a_service", "03-08 11:00", "pending"),
        ("节日当天", "a_service", "03-08 11:00", "pending"),
    ]
    assert (
        TriggerRun.objects.get(store=store_a, trigger="date", day=date(2026, 3, 8)).task_count == 2
    )
    # a rule run by hand for the 8th again, and the next day's schedule, add nothing
    from yanzhi.followups.triggers import _dates

    assert _dates(store_a, date(2026, 3, 8)) == 0
    at("2026-03-11 06:30")
    call_command("run_followup_triggers")
    assert FollowupTask.objects.filter(kind="date", store=store_a).count() == 2


def test_spring_festival_fires_on_its_date_of_the_year(rules, holiday_people, store_a, at):
    at("2027-02-06 06:30")
    call_command("run_followup_triggers")
    assert {t.title for t in FollowupTask.objects.filter(kind="date", store=store_a)} == {
        "春节当天"
    }
    assert date_matches(["02-29"], date(2027, 2, 28))
    assert date_matches(["02-29"], date(2028, 2, 29)) and not date_matches(
        ["02-29"], date(2028, 2, 28)
    )
    assert not date_matches(["2027-02-06"], date(2028, 2, 6))


def test_holiday_tasks_are_created_in_bulk(rules, staff_a, store_a, chain, hq_admin, at):
    """The number of queries does not grow with the number of customers."""
    from yanzhi.followups.triggers import _dates

    def run(count: int, day: date) -> int:
        for n in range(count):
            member(store_a, f"会员{day.day}-{n}")
        services.create_rule(
            chain,
            by=hq_admin,
            name=f"节日{day}",
            trigger="date",
            dates=[day.strftime("%m-%d")],
            nodes=[
                NodeIn(0, "days", "customer_service", "sms", "{称呼}节日快乐"),
                NodeIn(0, "days", "consultant", "call", "{称呼}节日快乐"),
            ],
        )
        with CaptureQueriesContext(connection) as ctx:
            created = _dates(store_a, day)
        sql = [q["sql"] for q in ctx.captured_queries]
        inserts = sum(1 for q in sql if q.startswith("INSERT"))
        return created, len(sql) - inserts, inserts

    small = run(3, date(2026, 5, 1))
    large = run(40, date(2026, 6, 1))
    # both nodes for every customer of the store (the earlier ones too), same query count
    assert small[0] == 2 * 3 and large[0] == 2 * 43
    # the same reads; one INSERT per batch (SQLite splits it by its bound-parameter limit)
    assert small[1] == large[1]
    assert small[2] == 1 and large[2] <= (1 if connection.vendor == "postgresql" else 4)
    # the consultant node: customers without a consultant go to the store manager, and say so
    notes = set(FollowupTask.objects.filter(owner_role="consultant").values_list("owner_note"))
    assert notes == {("无责任咨询师,已转店长",)}
    # customer service load is spread by the running count (one a_service here)
    assert set(
        FollowupTask.objects.filter(owner_role="customer_service").values_list(
            "owner__username", flat=True
        )
    ) == {"a_service"}


# --- rule validation and the API ----------------------------------------------------------------
def test_bad_date_rules_are_refused_and_nothing_is_saved(chain, hq_admin, store_a, departments):
    node = NodeIn(0, "days", "customer_service", "sms", "节日快乐")
    cases = [
        ({"trigger": "date", "dates": []}, "dates"),
        ({"trigger": "date", "dates": ["13-40"]}, "dates"),
        ({"trigger": "date", "dates": ["2027-02-30"]}, "dates"),
        ({"trigger": "date", "dates": ["3月8日"]}, "dates"),
        (
            {"trigger": "date", "dates": ["03-08"], "department_ids": [departments["皮肤科"].pk]},
            "department_ids",
        ),
        ({"trigger": "member_sleeping", "activities": ["asleep"]}, "activities"),
    ]
    for data, field in cases:
        with pytest.raises(BusinessError) as caught:
            services.create_rule(chain, by=hq_admin, name="节日", nodes=[node], **data)
        assert field in caught.value.fields, data
    assert not FollowupRule.objects.exists()
    rule = services.create_rule(
        chain,
        by=hq_admin,
        name="节日",
        trigger="date",
        dates=["2027-02-06", "03-08", "03-08"],
        nodes=[node],
    )
    assert rule.dates == ["03-08", "2027-02-06"]
    # dates only mean something for the 节日 trigger
    other = services.create_rule(
        chain, by=hq_admin, name="沉睡", trigger="member_sleeping", dates=["03-08"], nodes=[node]
    )
    assert other.dates == []


def test_rule_form_page_saves_activities_and_dates(client_for, hq_admin, chain, store_a_service):
    page = client_for(hq_admin)
    form = {
        "name": "女神节",
        "trigger": "date",
        "store_id": "",
        "is_active": "on",
        "activities": ["active", "sleeping"],
        "dates": "03-08、2027-02-06",
        "node-0-label": "当天",
        "node-0-offset_value": "0",
        "node-0-offset_unit": "days",
        "node-0-owner_role": "customer_service",
        "node-0-channel": "sms",
        "node-0-script": "{称呼}节日快乐",
    }
    wrong = page.post("/followups/rules/new/", {**form, "dates": "08/03"})
    assert wrong.status_code == 422
    assert "日期“08/03”无效" in wrong.content.decode()
    assert not FollowupRule.objects.exists()
    assert page.post("/followups/rules/new/", form).status_code == 302
    rule = FollowupRule.objects.get()
    assert (rule.activities, rule.dates) == (["active", "sleeping"], ["03-08", "2027-02-06"])
    edit = page.get(f"/followups/rules/{rule.pk}/edit/").content.decode()
    assert 'value="03-08, 2027-02-06"' in edit
    assert 'value="sleeping" ' in edit and "checked" in edit


def test_the_rules_api_over_http(
    api_for, hq_admin, store_a_manager, store_a_service, store_b_consultant, store_a
):
    api = api_for(hq_admin)
    body = {
        "name": "女神节",
        "trigger": "date",
        "dates": ["03-08"],
        "activities": ["new", "active"],
        "deal_statuses": ["first", "repeat"],
        "nodes": [
            {
                "offset_value": 0,
                "offset_unit": "days",
                "owner_role": "customer_service",
                "channel": "sms",
                "script": "{称呼}节日快乐",
            }
        ],
    }
    wrong = api.post("/followup-rules", json={**body, "dates": ["02-30"]})
    assert wrong.status_code == 422 and "dates" in wrong.json()["fields"]
    created = api.post("/followup-rules", json=body)
    assert created.status_code == 201
    out = created.json()
    assert (out["dates"], out["activities"]) == (["03-08"], ["new", "active"])
    # a store manager makes a rule for their store; store B's consultant cannot see it
    mine = api_for(store_a_manager).post(
        "/followup-rules",
        json={**body, "name": "A店会员沉睡", "trigger": "member_sleeping", "store_id": store_a.pk},
    )
    assert mine.status_code == 201, mine.json()
    assert mine.json()["dates"] == []
    assert (
        api_for(store_b_consultant).get(f"/followup-rules/{mine.json()['id']}").status_code == 404
    )
