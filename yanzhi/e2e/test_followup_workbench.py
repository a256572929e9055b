"""A customer-service user works through her follow-up list in the evening calling window
(19:30–20:30): a post-op call reached and rated, a new customer not reached (call-back SMS, retried
at the next window, tomorrow), an abnormal post-op finding escalated to the doctor who did the
treatment, and yesterday's overdue call that books a 面诊; the store manager then reads the day's
completion figures.

The day is built through the services on the frozen clock: the default rules installed, two
customers registered a week ago (their first calls done), one yesterday, one this morning; two
玻尿酸填充 (微整科: the post-op rule applies) sold and performed by the doctor this morning."""

import re
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from playwright.sync_api import expect

from yanzhi.e2e.conftest import SHANGHAI, TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EVENING = datetime(2030, 3, 12, 19, 35, tzinfo=SHANGHAI)  # inside the last calling window
YESTERDAY = TODAY - timedelta(days=1)
TOMORROW = TODAY + timedelta(days=1)


def at(day, hour, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@contextmanager
def clock(moment, tick=False):
    with time_machine.travel(moment, tick=tick):
        yield


def local(moment) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def followup_day(
    clinic,
    chain,
    hq_admin,
    store_a_manager,
    store_a_front_desk,
    store_a_consultant,
    store_a_doctor,
    store_a_nurse,
    store_a_cashier,
    store_a_service,
):
    from yanzhi.catalog.models import Item
    from yanzhi.catalog.services import assign_items, create_item
    from yanzhi.customers.services import create_customer
    from yanzhi.followups import services as followups
    from yanzhi.followups.models import FollowupTask
    from yanzhi.org.models import Department
    from yanzhi.sales import services as sales
    from yanzhi.sales.services import PaymentLine
    from yanzhi.treatments.models import Entitlement
    from yanzhi.treatments.services import execute_session
    from yanzhi.visits.services import register_arrival

    clinic.phone = "021-62880000"
    clinic.save()
    Department.objects.create(org=chain, name="微整科")
    followups.install_default_rules(chain)
    filler = create_item(
        chain,
        kind=Item.Kind.SERVICE,
        code="S11",
        name="玻尿酸填充",
        price_amount=Decimal("6800.00"),
        department=Department.objects.get(org=chain, name="微整科"),
        order_type="医美",
        by=hq_admin,
    )
    assign_items(chain, item_ids=[filler.pk], store_ids=[clinic.pk], by=hq_admin)

    def register(name, phone, **extra):
        return create_customer(
            chain,
            store=clinic,
            by=store_a_front_desk,
            name=name,
            phone=phone,
            consultant=store_a_consultant,
            **extra,
        )

    # a week ago: two customers registered, customer service reached both the same morning
    with clock(at(TODAY - timedelta(days=7), 10)):
        chen = register("陈思", "13900001111", salutation="陈小姐", allergies="青霉素")
        li = register("李娜", "13900002222", gender="female")
    with clock(at(TODAY - timedelta(days=7), 11, 10)):
        for customer in (chen, li):
            first = FollowupTask.objects.get(customer=customer)
            followups.complete_task(
                first, by=store_a_service, outcome="reached", notes="已加微信,想了解玻尿酸填充"
            )
    # yesterday: a customer registered; nobody called her
    with clock(at(YESTERDAY, 10)):
        zhou = register("周婷", "13900003333", gender="female")
    # this morning: a new customer; 陈思 and 李娜 come in, pay and are treated by the doctor
    with clock(at(TODAY, 9, 10)):
        lin = register("林晓雨", "13812345678")

    def treat(customer, moment):
        with clock(moment):
            register_arrival(clinic, customer=customer, by=store_a_front_desk)
            order = sales.open_order(
                customer,
                store=clinic,
                by=store_a_consultant,
                lines=[(filler.pk, 1, 0)],
                order_type="医美",
            )
            sales.submit_order(order, by=store_a_consultant)
            sales.pay_order(
                order, payments=[PaymentLine("wechat", Decimal("6800"))], by=store_a_cashier
            )
            line = order.lines.get()
            entitlement = Entitlement.objects.get(source_line_id=line.pk)
            execute_session(entitlement, by=store_a_doctor, assistant=store_a_nurse)
        return order

    chen_order = treat(chen, at(TODAY, 9, 30))
    treat(li, at(TODAY, 9, 45))

    def task(customer, title):
        return FollowupTask.objects.get(customer=customer, title=title)

    return SimpleNamespace(
        filler=filler,
        lin=lin,
        zhou=zhou,
        chen=chen,
        li=li,
        chen_order=chen_order,
        new_lin=task(lin, "建档24小时内"),
        new_zhou=task(zhou, "建档24小时内"),
        postop_chen=task(chen, "术后2小时"),
        postop_li=task(li, "术后2小时"),
    )


def counts(page):
    return {
        key: int(page.locator(f"[data-count={key}]").inner_text())
        for key in ("today", "overdue", "upcoming")
    }


def record(page, outcome, **fields):
    """Fill the result form of the open task page and save it."""
    form = page.locator("#result-form form")
    form.get_by_label(outcome, exact=True).check()
    if "satisfaction" in fields:
        form.get_by_label("满意度").select_option(str(fields["satisfaction"]))
    if "reason" in fields:
        form.get_by_label("不满意原因").select_option(label=fields["reason"])
    if "notes" in fields:
        form.get_by_label("回访记录").fill(fields["notes"])
    if "abnormal" in fields:
        form.get_by_label("术后异常,上报医生").check()
        form.get_by_label("异常情况").fill(fields["abnormal"])
    if "appointment" in fields:
        form.get_by_label("预约下次到店").fill(fields["appointment"])
        form.get_by_label("预约类型").select_option(label=fields["purpose"])
    form.get_by_role("button", name="保存结果").click()


def test_customer_service_works_through_todays_list(
    page,
    new_context,
    sign_in,
    shots,
    url,
    live_server,
    followup_day,
    store_a_service,
    store_a_doctor,
    store_a_manager,
):
    from yanzhi.core.models import SmsMessage
    from yanzhi.followups.models import FollowupTask
    from yanzhi.scheduling.models import Appointment

    day = followup_day
    # the day's tasks are where the default rules put them
    assert local(day.new_zhou.due_at) == f"{YESTERDAY} 11:00"
    assert local(day.new_lin.due_at) == f"{TODAY} 11:00"
    assert local(day.postop_chen.due_at) == f"{TODAY} 11:30"
    assert local(day.postop_li.due_at) == f"{TODAY} 11:45"
    mine = FollowupTask.objects.filter(owner=store_a_service, status="pending")
    assert mine.count() == 10  # 1 overdue, 3 today, 2 × (1, 3, 6 months): beyond the 7-day "upcoming"

    with clock(EVENING, tick=True):
        # --- the workbench of customer service in the evening window ---------------------------
        sign_in(page, store_a_service)
        page.get_by_role("link", name="回访", exact=True).click()
        page.wait_for_url(url("/followups/"))
        expect(page.locator("h1")).to_contain_text("回访工作台")
        assert counts(page) == {"today": 3, "overdue": 1, "upcoming": 0}
        rows = page.locator("#tasks [data-task]")
        expect(rows).to_have_count(3)
        expect(rows.nth(0)).to_contain_text("林晓雨")
        expect(rows.nth(0)).to_contain_text("138****5678")
        expect(rows.nth(0)).not_to_contain_text("13812345678")
        expect(rows.nth(0)).to_contain_text("建档24小时内")
        expect(rows.nth(1)).to_contain_text("陈思")
        expect(rows.nth(1)).to_contain_text("术后2小时 · 玻尿酸填充")
        expect(rows.nth(2)).to_contain_text("李娜")
        shots(page, "70_followup_workbench_today")

        # --- 1. 陈思's post-op call: reached, satisfied with the recovery (4) -------------------
        stale = page.context.new_page()  # the same task, left open in another tab
        stale.goto(url(f"/followups/tasks/{day.postop_chen.pk}/"))
        rows.filter(has_text="陈思").click()
        page.wait_for_url(url(f"/followups/tasks/{day.postop_chen.pk}/"))
        expect(page.locator("h1")).to_contain_text("术后2小时 · 陈思")
        profile = page.locator("#profile")
        expect(profile).to_contain_text("陈小姐")
        expect(profile).to_contain_text(day.chen.member_no)
        expect(profile).to_contain_text("A咨询师张敏")
        expect(profile).to_contain_text("过敏:青霉素")
        expect(profile).to_contain_text("¥6,800.00")
        expect(page.locator("#task-meta")).to_contain_text("玻尿酸填充")
        expect(page.locator("#script")).to_contain_text(
            "陈小姐您好,我是静安店的客服。您今天做了玻尿酸填充,现在感觉怎么样?"
        )
        history = page.locator("#history")
        expect(history).to_contain_text(f"{TODAY} · 初诊")
        expect(history).to_contain_text(day.chen_order.order_no)
        expect(history).to_contain_text(
            "建档24小时内 · 已完成 · 已接通 · 已加微信,想了解玻尿酸填充"
        )
        shots(page, "71_followup_task_postop")
        record(page, "已接通", satisfaction=4, reason="恢复", notes="轻微肿胀,已提醒冰敷48小时")
        page.wait_for_url(url("/followups/"))
        expect(page.locator(".alert-success")).to_contain_text("回访结果已保存")
        assert counts(page) == {"today": 2, "overdue": 1, "upcoming": 0}
        chen_task = FollowupTask.objects.get(pk=day.postop_chen.pk)
        assert (chen_task.status, chen_task.outcome, chen_task.satisfaction) == (
            "done",
            "reached",
            4,
        )
        assert chen_task.dissatisfaction_reason == "recovery"
        assert chen_task.notes == "轻微肿胀,已提醒冰敷48小时"
        assert chen_task.completed_by == store_a_service

        # the same form posted again from the other tab is refused, and nothing changes
        stale.locator("#result-form").get_by_label("未接通", exact=True).check()
        stale.get_by_role("button", name="保存结果").click()
        expect(stale.locator("#result-form .alert-danger")).to_have_text(
            "该回访任务已完成或已取消,不能重复提交"
        )
        expect(stale.locator("#result")).to_contain_text("轻微肿胀,已提醒冰敷48小时")
        expect(stale.locator("#task-status")).to_have_text("已完成")
        shots(stale, "72_followup_task_completed_twice")
        stale.close()
        chen_task.refresh_from_db()
        assert (chen_task.outcome, chen_task.attempt_count) == ("reached", 0)
        assert not SmsMessage.objects.filter(customer_id=day.chen.pk).exists()

        # --- 2. 林晓雨, the new customer: not reached → call-back SMS, retried tomorrow ---------
        page.locator("#tasks [data-task]", has_text="林晓雨").click()
        expect(page.locator("#script")).to_contain_text("林晓雨您好,我是静安店的客服")
        record(page, "未接通")
        page.wait_for_url(url("/followups/"))
        expect(page.locator(".alert-info")).to_contain_text(
            "未接通:已发送回电短信,任务已顺延到下一个回访时段"
        )
        assert counts(page) == {"today": 1, "overdue": 1, "upcoming": 1}
        lin_task = FollowupTask.objects.get(pk=day.new_lin.pk)
        assert (lin_task.status, lin_task.attempt_count) == ("pending", 1)
        assert local(lin_task.due_at) == f"{TOMORROW} 11:00"
        sms = SmsMessage.objects.get(customer_id=day.lin.pk)
        assert (sms.phone, sms.purpose, sms.status) == (
            "13812345678",
            "followup_callback",
            "queued",
        )
        assert sms.text == (
            "【颜值】林晓雨您好!我是静安店的A客服吴静,刚才给您打电话未能接通,"
            "方便的时候请您回电021-62880000,谢谢!"
        )
        page.locator("#tab-upcoming").click()
        expect(page.locator("#tab-upcoming")).to_have_class(re.compile(r"\bactive\b"))
        retry = page.locator("#tasks [data-task]").first
        expect(retry).to_contain_text("林晓雨")
        expect(retry).to_contain_text("未接通1次")
        expect(retry).to_contain_text(f"{TOMORROW:%m-%d} 11:00")
        shots(page, "73_followup_upcoming_with_retry")
        # the call-back SMS in the outbox, the number masked
        page.goto(url("/messages/"))
        message = page.locator(f"#message-{sms.pk}")
        expect(message).to_contain_text("林晓雨")
        expect(message).to_contain_text("138****5678")
        expect(message).to_contain_text("刚才给您打电话未能接通")
        expect(message).to_contain_text("待发送")
        expect(page.locator("main")).not_to_contain_text("13812345678")

        # --- 3. 李娜: reached, an abnormal finding → escalated to the doctor -------------------
        page.goto(url("/followups/"))
        page.locator("#tasks [data-task]", has_text="李娜").click()
        expect(page.locator("#script")).to_contain_text("李女士您好")
        record(
            page,
            "已接通",
            notes="客户说右脸一直在胀痛",
            abnormal="右侧注射部位红肿发热,按压疼痛明显",
        )
        page.wait_for_url(url("/followups/"))
        assert counts(page) == {"today": 0, "overdue": 1, "upcoming": 1}
        li_task = FollowupTask.objects.get(pk=day.postop_li.pk)
        assert (li_task.status, li_task.abnormal) == ("done", True)
        escalation = FollowupTask.objects.get(escalated_from=li_task)
        assert (escalation.kind, escalation.owner, escalation.status) == (
            "escalation",
            store_a_doctor,
            "pending",
        )
        assert escalation.script == "右侧注射部位红肿发热,按压疼痛明显"
        # due at once (the evening window is open), and never later than a day after the call
        assert li_task.completed_at <= escalation.due_at <= li_task.completed_at + timedelta(days=1)
        assert local(escalation.due_at).startswith(f"{TODAY} 19:")

        # the doctor sees it on his workbench, due today, and calls back
        doctor = new_context().new_page()
        sign_in(doctor, store_a_doctor)
        doctor.goto(url("/followups/"))
        assert counts(doctor) == {"today": 1, "overdue": 0, "upcoming": 2}
        urgent = doctor.locator("#tasks [data-task]")
        expect(urgent).to_have_count(1)
        expect(urgent).to_contain_text("李娜")
        expect(urgent).to_contain_text("术后异常上报")
        expect(urgent).to_contain_text("术后异常:医生1天内回访 · 玻尿酸填充")
        shots(doctor, "74_followup_doctor_escalation")
        urgent.click()
        expect(doctor.locator("#script")).to_contain_text("右侧注射部位红肿发热,按压疼痛明显")
        expect(doctor.locator("#history")).to_contain_text("术后2小时")
        record(doctor, "已接通", notes="已约明早复诊,先冰敷")
        doctor.wait_for_url(url("/followups/"))
        assert counts(doctor) == {"today": 0, "overdue": 0, "upcoming": 2}
        escalation.refresh_from_db()
        assert (escalation.status, escalation.completed_by) == ("done", store_a_doctor)

        # --- 4. 周婷, overdue since yesterday: reached, books a 面诊 for tomorrow ----------------
        page.locator("#tab-overdue").click()
        late = page.locator("#tasks [data-task]")
        expect(late).to_have_count(1)
        expect(late).to_contain_text("周婷")
        expect(late).to_contain_text(f"{YESTERDAY:%m-%d} 11:00")
        shots(page, "75_followup_overdue")
        late.click()
        record(
            page,
            "已接通",
            notes="想做面部年轻化,约明天下午面诊",
            appointment=f"{TOMORROW}T14:00",
            purpose="咨询/面诊",
        )
        page.wait_for_url(url("/followups/"))
        assert counts(page) == {"today": 0, "overdue": 0, "upcoming": 1}
        zhou_task = FollowupTask.objects.select_related("next_appointment").get(pk=day.new_zhou.pk)
        assert zhou_task.status == "done"
        booked = zhou_task.next_appointment
        assert (booked.customer_id, booked.purpose, local(booked.starts_at)) == (
            day.zhou.pk,
            "consultation",
            f"{TOMORROW} 14:00",
        )
        assert booked.booked_by == store_a_service
        assert Appointment.objects.filter(customer=day.zhou).count() == 1
        page.goto(url(f"/followups/tasks/{zhou_task.pk}/"))
        expect(page.locator("#result")).to_contain_text(f"{TOMORROW} 14:00")

        # at the end: nothing left today or overdue
        page.goto(url("/followups/"))
        assert counts(page) == {"today": 0, "overdue": 0, "upcoming": 1}
        expect(page.locator("#no-tasks")).to_have_text("没有需要回访的任务")
        shots(page, "76_followup_today_done")

        # --- the store manager reads today's completion ---------------------------------------
        manager = new_context().new_page()
        sign_in(manager, store_a_manager)
        manager.goto(url("/followups/stats/"))
        manager.get_by_label("开始日期").fill(str(TODAY))
        manager.get_by_label("结束日期").fill(str(TODAY))
        manager.get_by_role("button", name="查询").click()
        manager.wait_for_url(re.compile(r"start=2030-03-12"))

        def figures(row):
            return [c.strip() for c in row.locator("td").all_inner_texts()]

        service_row = manager.locator(f"#by-owner tr[data-owner='{store_a_service.pk}']")
        doctor_row = manager.locator(f"#by-owner tr[data-owner='{store_a_doctor.pk}']")
        expect(manager.locator("#by-owner tbody tr")).to_have_count(2)
        # customer service: three tasks first due today (林晓雨's, not reached and moved to
        # tomorrow, still counts today); four calls made today (周婷's overdue one too), three
        # answered
        assert figures(service_row) == ["静安店", "A客服吴静", "3", "2", "0", "4", "75%", "4.0"]
        assert figures(doctor_row) == ["静安店", "A医生赵强", "1", "1", "0", "1", "100%", "—"]
        store_row = manager.locator("#by-owner tfoot tr")
        assert figures(store_row) == ["静安店", "门店合计", "4", "3", "0", "5", "80%", "4.0"]
        assert figures(manager.locator("#by-item tbody tr")) == ["玻尿酸填充", "1", "4.0"]
        escalations = manager.locator("#escalations dd").all_inner_texts()
        assert escalations == ["1", "1", "0", "不到1分钟"]
        shots(manager, "77_followup_stats_today")
