"""A customer's journey on a fixed clock, and the exact follow-up tasks the default rules create:
who owns each, and when it falls due (store time, inside the calling windows 11:00–12:30,
14:30–17:30, 19:30–20:30)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from yanzhi.followups.models import FollowupTask, TriggerRun
from yanzhi.scheduling import services as scheduling
from yanzhi.visits import services as visits

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
WINDOWS = ((time(11, 0), time(12, 30)), (time(14, 30), time(17, 30)), (time(19, 30), time(20, 30)))


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def tasks(**filters):
    return [
        (t.title, t.owner.username, t.due_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M"), t.status)
        for t in FollowupTask.objects.filter(**filters)
        .select_related("owner")
        .order_by("due_at", "pk")
    ]


def in_window(moment: datetime, zone=SHANGHAI) -> bool:
    t = moment.astimezone(zone).time()
    return any(start <= t < end for start, end in WINDOWS)


def test_a_new_customer_gets_a_customer_service_call_at_the_next_window(
    rules, staff_a, store_a, store_a_front_desk, chain
):
    from yanzhi.customers.services import create_customer

    # when the front desk registers a customer at 10:00
    customer = create_customer(
        chain,
        store=store_a,
        by=store_a_front_desk,
        name="钱多多",
        phone="13812345678",
        consultant=staff_a["consultant"],
    )
    # then customer service calls when the first window opens, 11:00
    assert tasks(customer=customer) == [("建档24小时内", "a_service", "03-16 11:00", "pending")]
    task = FollowupTask.objects.get(customer=customer)
    assert task.cause == f"customer:{customer.pk}"
    assert task.script.startswith(customer.salutation)


def test_without_customer_service_the_store_manager_gets_it_and_the_task_says_so(
    rules, store_b, chain, hq_admin
):
    from yanzhi.customers.services import create_customer
    from yanzhi.org.tests.factories import make_staff

    manager_b = make_staff(chain, "store_manager", [store_b], name="B店长", username="b_manager")
    customer = create_customer(chain, store=store_b, by=hq_admin, name="孙一", phone="13812340000")
    task = FollowupTask.objects.get(customer=customer)
    assert task.owner == manager_b
    assert task.owner_note == "无客服,已转店长"


def test_a_no_show_goes_to_the_consultant_the_same_day_and_a_kept_appointment_cancels_it(
    rules, staff_a, store_a, customer, store_a_front_desk, at
):
    # given an appointment at 14:00
    at("2026-03-16 09:00")
    appointment = scheduling.book_appointment(
        store_a,
        customer=customer,
        starts_at=local("2026-03-16 14:00"),
        ends_at=local("2026-03-16 14:30"),
        purpose="consultation",
        by=store_a_front_desk,
    )
    # when the front desk marks it a no-show at 14:20
    at("2026-03-16 14:20")
    scheduling.mark_no_show(appointment, by=store_a_front_desk)
    # then the consultant calls when the afternoon window opens
    assert tasks(customer=customer) == [("当天回访", "a_consultant", "03-16 14:30", "pending")]
    # marking the day's no-shows again changes nothing
    at("2026-03-16 22:00")
    scheduling.mark_no_shows(store_a, day=local("2026-03-16 00:00").date())
    assert FollowupTask.objects.filter(customer=customer).count() == 1
    # when the customer books again and keeps the appointment
    at("2026-03-17 09:00")
    again = scheduling.book_appointment(
        store_a,
        customer=customer,
        starts_at=local("2026-03-17 15:00"),
        ends_at=local("2026-03-17 15:30"),
        purpose="consultation",
        by=store_a_front_desk,
    )
    at("2026-03-17 15:00")
    visits.register_arrival(store_a, customer=customer, appointment=again, by=store_a_front_desk)
    # then the no-show follow-up is closed
    assert tasks(customer=customer) == [("当天回访", "a_consultant", "03-16 14:30", "cancelled")]


def test_visited_not_paid_is_called_next_day_and_paying_later_cancels_it(
    rules, staff_a, store_a, customer, store_a_front_desk, eyelid, sell, at
):
    # given the customer came at 10:00 and left at 12:00 without paying
    visit = visits.register_arrival(store_a, customer=customer, by=store_a_front_desk)
    at("2026-03-16 12:00")
    visits.leave(visit, by=store_a_front_desk)
    # then the consultant calls the next morning
    assert tasks(customer=customer) == [("次日回访", "a_consultant", "03-17 11:00", "pending")]
    # when she pays the next day
    at("2026-03-17 10:00")
    sell(customer, eyelid)
    # then the call is no longer needed
    assert tasks(customer=customer, kind="visited_not_paid") == [
        ("次日回访", "a_consultant", "03-17 11:00", "cancelled")
    ]


def test_a_visit_with_a_payment_that_day_creates_no_visited_not_paid_task(
    rules, staff_a, store_a, customer, store_a_front_desk, facial, sell, at
):
    visit = visits.register_arrival(store_a, customer=customer, by=store_a_front_desk)
    sell(customer, facial)
    at("2026-03-16 12:00")
    visits.leave(visit, by=store_a_front_desk)
    assert not FollowupTask.objects.filter(kind="visited_not_paid").exists()


def test_visits_closed_at_closing_time_count_too(
    rules, staff_a, store_a, customer, store_a_front_desk, at
):
    visits.register_arrival(store_a, customer=customer, by=store_a_front_desk)
    at("2026-03-16 21:30")
    visits.close_open_visits(store_a, day=local("2026-03-16 00:00").date())
    assert tasks(customer=customer) == [("次日回访", "a_consultant", "03-17 11:00", "pending")]


def test_paid_not_executed_after_five_days_runs_once_and_catches_up_a_missed_day(
    rules, staff_a, customer, eyelid, sell, at
):
    # given the customer paid on 16 March and never came for the treatment
    sell(customer, eyelid)
    # the schedule runs on 20 March: too early (5 days not yet passed)
    at("2026-03-20 01:00")
    call_command("run_followup_triggers")
    assert tasks(customer=customer) == []
    # the worker is down on 21 and 22 March; on 23 March it catches up
    at("2026-03-23 01:00")
    call_command("run_followup_triggers")
    assert tasks(customer=customer) == [
        ("支付5天后未执行", "a_consultant", "03-21 11:00", "pending")
    ]
    runs = TriggerRun.objects.filter(trigger="paid_not_executed", store=customer.store)
    assert sorted(r.day.isoformat() for r in runs) == [
        "2026-03-20",
        "2026-03-21",
        "2026-03-22",
        "2026-03-23",
    ]
    # running it again, or for an explicit date, creates nothing new
    call_command("run_followup_triggers")
    call_command("run_followup_triggers", "--date", "2026-03-21")
    assert FollowupTask.objects.filter(customer=customer).count() == 1
    task = FollowupTask.objects.get(customer=customer)
    assert task.item == eyelid and "双眼皮" in task.script


def test_catching_up_is_bounded_to_seven_days(rules, staff_a, customer, store_a, at):
    at("2026-03-01 01:00")
    call_command("run_followup_triggers")
    at("2026-03-20 01:00")
    call_command("run_followup_triggers")
    days = TriggerRun.objects.filter(trigger="birthday", store=store_a).values_list(
        "day", flat=True
    )
    assert sorted(d.isoformat() for d in days) == ["2026-03-01"] + [
        f"2026-03-{d:02d}" for d in range(14, 21)
    ]


def test_a_course_executed_in_time_gets_no_paid_not_executed_task(
    rules, staff_a, customer, eyelid, sell, execute, at
):
    order = sell(customer, eyelid)
    at("2026-03-18 16:00")
    execute(order, by=staff_a["doctor"])
    at("2026-03-21 01:00")
    call_command("run_followup_triggers", "--date", "2026-03-21")
    assert not FollowupTask.objects.filter(kind="paid_not_executed").exists()


def test_surgery_creates_every_node_inside_the_calling_windows(
    rules, staff_a, customer, eyelid, sell, execute, at
):
    # given the customer paid for 双眼皮 and the doctor operates at 16:00 on 16 March
    order = sell(customer, eyelid)
    at("2026-03-16 16:00")
    execution = execute(order, by=staff_a["doctor"], assistant=staff_a["nurse"])
    # then: customer service at +2 h (18:00 → the 19:30 window), the consultant at +24 h, the
    # doctor at +72 h, the nurse by SMS on day 7, customer service at 1, 3 and 6 months
    assert tasks(kind="executed") == [
        ("术后2小时", "a_service", "03-16 19:30", "pending"),
        ("术后24小时", "a_consultant", "03-17 16:00", "pending"),
        ("术后72小时", "a_doctor", "03-19 16:00", "pending"),
        ("术后7天内短信", "a_nurse", "03-23 11:00", "pending"),
        ("术后1个月", "a_service", "04-16 11:00", "pending"),
        ("术后3个月", "a_service", "06-16 11:00", "pending"),
        ("术后6个月", "a_service", "09-16 11:00", "pending"),
    ]
    every = FollowupTask.objects.filter(kind="executed")
    assert all(in_window(t.due_at) for t in every)
    assert {t.execution_id for t in every} == {execution.pk}
    assert {t.source_line_id for t in every} == {order.lines.get().pk}
    assert every.get(title="术后7天内短信").channel == "sms"
    # the same execution never creates the nodes twice: the handler takes the execution as
    # new (it runs once, in the execution's transaction), and a second run for it is refused
    from django.db import IntegrityError, transaction

    from yanzhi.followups.triggers import on_execution_done

    with pytest.raises(IntegrityError), transaction.atomic():
        on_execution_done(
            execution_id=execution.pk,
            org_id=execution.org_id,
            store_id=execution.store_id,
            customer_id=customer.pk,
            item_id=eyelid.pk,
            department_id=eyelid.department_id,
        )
    assert every.count() == 7


def test_a_rules_tasks_are_shared_among_customer_service_in_a_fixed_number_of_queries(
    rules, staff_a, customer, eyelid, sell, execute, at, store_a
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yanzhi.org.tests.factories import make_staff

    # given two customer-service colleagues, neither with pending calls
    make_staff(store_a.org, "customer_service", [store_a], username="a_service2", name="A客服二")
    order = sell(customer, eyelid)
    at("2026-03-16 16:00")
    with CaptureQueriesContext(connection) as queries:
        execute(order, by=staff_a["doctor"])
    # the post-op rule's four customer-service calls go two and two, earlier account first
    calls = [owner for _t, owner, _d, _s in tasks(kind="executed") if "service" in owner]
    assert calls == ["a_service", "a_service2", "a_service", "a_service2"]
    # the seven tasks and their audit rows: one INSERT each, not one per task
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert sum('"followups_followuptask"' in q for q in inserts) == 1
    created = [q for q in inserts if '"core_auditlog"' in q and "followup_task.created" in q]
    assert len(created) == 1 and created[0].count("followup_task.created") == 7


def test_due_times_are_in_the_store_timezone(
    rules, staff_a, customer, eyelid, sell, execute, store_a, at
):
    # given store A is in Urumqi (UTC+6): 16:00 Shanghai is 14:00 there
    store_a.timezone = "Asia/Urumqi"
    store_a.save()
    order = sell(customer, eyelid)
    at("2026-03-16 16:00")
    execute(order, by=staff_a["doctor"])
    urumqi = ZoneInfo("Asia/Urumqi")
    due = {
        t.title: t.due_at.astimezone(urumqi).strftime("%m-%d %H:%M")
        for t in FollowupTask.objects.filter(kind="executed")
    }
    # +2 h = 16:00 Urumqi (inside 14:30–17:30); +24 h = 14:00 next day → 14:30; day 7 at 11:00
    assert due["术后2小时"] == "03-16 16:00"
    assert due["术后24小时"] == "03-17 14:30"
    assert due["术后7天内短信"] == "03-23 11:00"
    assert all(in_window(t.due_at, urumqi) for t in FollowupTask.objects.filter(kind="executed"))


def test_treatments_outside_the_rules_departments_create_no_post_op_tasks(
    rules, staff_a, customer, facial, sell, execute, at
):
    order = sell(customer, facial)
    execute(order, by=staff_a["nurse"])
    assert not FollowupTask.objects.filter(kind="executed").exists()


def test_a_refund_cancels_the_tasks_of_the_refunded_line(
    rules, staff_a, customer, eyelid, sell, execute, at, store_a_manager
):
    from yanzhi.sales.services import refund_order

    # given a paid-not-executed task and the post-op tasks of one session of two
    order = sell(customer, eyelid, quantity=2)
    at("2026-03-21 01:00")
    call_command("run_followup_triggers", "--date", "2026-03-21")
    assert FollowupTask.objects.filter(kind="paid_not_executed", status="pending").count() == 1
    at("2026-03-21 16:00")
    execute(order, by=staff_a["doctor"])
    assert FollowupTask.objects.filter(kind="executed", status="pending").count() == 7
    # when the unused session is refunded
    line = order.lines.get()
    refund_order(order, lines=[(line.pk, 1)], by=store_a_manager, reason="客户改变主意")
    # then every pending task of that line is closed
    assert not FollowupTask.objects.filter(status="pending").exists()
    assert FollowupTask.objects.filter(status="cancelled").count() == 8


def test_birthday_greeting_on_the_day(rules, staff_a, store_a, at):
    from datetime import date

    from yanzhi.customers.tests.factories import make_customer

    born = make_customer(store_a, name="周生", birth_date=date(1990, 3, 18))
    make_customer(store_a, name="吴其", birth_date=date(1990, 3, 19))
    at("2026-03-18 01:00")
    call_command("run_followup_triggers")
    assert tasks(kind="birthday") == [("生日当天", "a_service", "03-18 11:00", "pending")]
    assert FollowupTask.objects.get(kind="birthday").customer == born


def test_windows_are_configurable_per_chain(rules, staff_a, chain, hq_admin, store_a, customer, at):
    from yanzhi.followups.services import set_calling_windows
    from yanzhi.followups.triggers import on_customer_created

    set_calling_windows(chain, windows=[("09:00", "10:00"), ("13:00", "18:00")], by=hq_admin)
    at("2026-03-16 10:30")
    on_customer_created(
        customer_id=customer.pk,
        org_id=chain.pk,
        store_id=store_a.pk,
        created_at=local("2026-03-16 10:30"),
    )
    assert tasks(customer=customer) == [("建档24小时内", "a_service", "03-16 13:00", "pending")]
    assert timedelta(0) < FollowupTask.objects.get().due_at - local("2026-03-16 10:30")


def test_the_workers_schedule_runs_the_time_based_rules_once(
    rules, staff_a, customer, eyelid, sell, at
):
    """The same journey through the worker's daily schedule instead of the command."""
    from yanzhi.core.schedule import registered_jobs
    from yanzhi.messaging.schedule import run_due_jobs

    jobs = {"followup_triggers": registered_jobs()["followup_triggers"]}
    sell(customer, eyelid)
    # the worker was down from the 17th to the 22nd; at 06:00 on the 23rd it catches up
    at("2026-03-23 06:30")
    run_due_jobs(jobs=jobs)
    assert tasks(customer=customer) == [
        ("支付5天后未执行", "a_consultant", "03-21 11:00", "pending")
    ]
    # a second pass of the schedule, later that day, creates nothing
    at("2026-03-23 18:00")
    assert run_due_jobs(jobs=jobs) == []
    assert FollowupTask.objects.filter(customer=customer).count() == 1
