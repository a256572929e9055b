"""Rule validation, recording results (once; not reached → callback SMS and retry; abnormal →
escalation), and medical advice after an execution."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog, SmsMessage
from yanzhi.followups import services
from yanzhi.followups.models import AdviceTemplate, FollowupNode, FollowupRule, FollowupTask

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def node(value=1, unit="days", role="consultant", channel="call", script="{称呼}您好"):
    return services.NodeIn(value, unit, role, channel, script)


def test_a_rule_that_cannot_fire_is_rejected_field_by_field_and_nothing_is_saved(
    chain, store_b, hq_admin
):
    # store B has no nurse; a negative offset; an empty script; an unknown placeholder
    with pytest.raises(BusinessError) as caught:
        services.create_rule(
            chain,
            by=hq_admin,
            name="术后回访",
            trigger="executed",
            store=store_b,
            nodes=[
                node(-2, "hours"),
                node(1, "days", script="   "),
                node(3, "days", role="nurse"),
                node(7, "days", script="{客户}您好"),
            ],
        )
    fields = caught.value.fields
    assert fields["nodes.0.offset_value"] == ["间隔不能为负数"]
    assert fields["nodes.1.script"] == ["话术不能为空"]
    assert fields["nodes.2.owner_role"] == ["浦东店没有在职的护士,该节点无法分配"]
    assert fields["nodes.3.script"][0].startswith("无法识别的占位符:{客户}")
    assert caught.value.status == 422
    assert not FollowupRule.objects.exists() and not FollowupNode.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="followup_rule").exists()


def test_a_rule_without_nodes_or_name_is_rejected(chain, hq_admin):
    with pytest.raises(BusinessError) as caught:
        services.create_rule(chain, by=hq_admin, name="", trigger="birthday", nodes=[])
    assert caught.value.fields["nodes"] == ["至少需要一个回访节点"]
    assert caught.value.fields["name"] == ["请填写规则名称"]
    assert not FollowupRule.objects.exists()


def test_a_store_manager_edits_only_rules_of_their_store(
    chain, store_a, store_a_manager, store_a_consultant, hq_admin
):
    with pytest.raises(BusinessError) as caught:
        services.create_rule(
            chain, by=store_a_manager, name="生日", trigger="birthday", nodes=[node()]
        )
    assert caught.value.fields["store_id"] == ["门店只能设置本门店的规则,请选择门店"]
    rule = services.create_rule(
        chain, by=store_a_manager, name="生日", trigger="birthday", store=store_a, nodes=[node()]
    )
    chain_rule = services.create_rule(
        chain, by=hq_admin, name="全连锁", trigger="birthday", nodes=[node()]
    )
    with pytest.raises(BusinessError, match="forbidden"):
        services.deactivate_rule(chain_rule, by=store_a_manager)
    with pytest.raises(BusinessError, match="forbidden"):
        services.create_rule(
            chain, by=store_a_consultant, name="x", trigger="birthday", nodes=[node()]
        )
    # editing keeps node ids (and so the tasks' de-duplication)
    first = rule.nodes.get().pk
    services.update_rule(
        rule,
        by=store_a_manager,
        name="生日祝福",
        trigger="birthday",
        store=store_a,
        nodes=[node(0), node(1)],
    )
    assert list(rule.nodes.values_list("pk", flat=True))[0] == first
    assert rule.nodes.count() == 2


def test_default_rules_install_once(chain, departments):
    first = services.install_default_rules(chain)
    assert {r.default_key for r in first} == {
        "new_customer",
        "no_show",
        "visited_not_paid",
        "paid_not_executed",
        "post_op",
        "birthday",
        "member_sleeping",
        "womens_day",
        "spring_festival",
    }
    assert services.install_default_rules(chain) == []
    womens_day = FollowupRule.objects.get(default_key="womens_day")
    assert (womens_day.trigger, womens_day.dates) == ("date", ["03-08"])
    assert womens_day.deal_statuses == ["first", "repeat"]
    post_op = FollowupRule.objects.get(default_key="post_op")
    assert post_op.is_active
    assert {d.name for d in post_op.departments.all()} == {"整形外科", "微整科"}
    assert post_op.nodes.count() == 7


def _task(customer, owner, *, execution=None, item=None, kind="executed", due="2026-03-16 11:00"):
    return FollowupTask.objects.create(
        org_id=customer.org_id,
        store=customer.store,
        customer=customer,
        kind=kind,
        cause="test:1",
        title="术后24小时",
        channel="call",
        owner_role="consultant",
        owner=owner,
        due_at=datetime.fromisoformat(due).replace(tzinfo=SHANGHAI),
        execution=execution,
        item=item,
    )


def test_a_task_cannot_be_completed_twice(customer, store_a_consultant, at):
    task = _task(customer, store_a_consultant)
    services.complete_task(task, by=store_a_consultant, outcome="reached", satisfaction=5)
    with pytest.raises(BusinessError) as caught:
        services.complete_task(task, by=store_a_consultant, outcome="reached", satisfaction=1)
    assert caught.value.status == 409
    task.refresh_from_db()
    assert task.satisfaction == 5 and task.status == "done"


def test_bad_result_changes_nothing(customer, store_a_consultant, at):
    task = _task(customer, store_a_consultant)
    with pytest.raises(BusinessError) as caught:
        services.complete_task(task, by=store_a_consultant, outcome="not_reached", satisfaction=9)
    assert caught.value.fields["satisfaction"] == ["满意度须为1到5分"]
    task.refresh_from_db()
    assert task.status == "pending" and task.attempt_count == 0
    assert not SmsMessage.objects.exists()


def test_not_reached_sends_a_callback_sms_and_retries_at_the_next_window_then_closes(
    customer, store_a, store_a_consultant, at
):
    store_a.phone = "021-66668888"
    store_a.save()
    task = _task(customer, store_a_consultant)
    # 11:10, inside the morning window: the retry is at 14:30
    at("2026-03-16 11:10")
    services.complete_task(task, by=store_a_consultant, outcome="not_reached")
    task.refresh_from_db()
    assert task.status == "pending" and task.attempt_count == 1
    assert task.due_at == datetime(2026, 3, 16, 14, 30, tzinfo=SHANGHAI)
    sms = SmsMessage.objects.get()
    assert sms.phone == customer.phone and sms.purpose == "followup_callback"
    assert "赵女士" in sms.text and "021-66668888" in sms.text
    at("2026-03-16 20:00")
    services.complete_task(task, by=store_a_consultant, outcome="not_reached")
    task.refresh_from_db()
    assert task.due_at == datetime(2026, 3, 17, 11, 0, tzinfo=SHANGHAI)
    at("2026-03-17 11:05")
    services.complete_task(task, by=store_a_consultant, outcome="not_reached")
    task.refresh_from_db()
    assert task.status == "done" and task.outcome == "not_reached" and task.attempt_count == 3
    assert SmsMessage.objects.count() == 3


def test_an_abnormal_finding_escalates_to_the_executing_doctor_within_a_day(
    rules, staff_a, customer, eyelid, sell, execute, at
):
    order = sell(customer, eyelid)
    at("2026-03-16 16:00")
    execute(order, by=staff_a["doctor"], assistant=staff_a["nurse"])
    call = FollowupTask.objects.get(title="术后24小时")
    at("2026-03-17 16:05")
    services.complete_task(
        call,
        by=staff_a["consultant"],
        outcome="reached",
        satisfaction=2,
        dissatisfaction_reason="recovery",
        abnormal=True,
        abnormal_description="右眼肿胀明显,有渗液",
    )
    escalation = FollowupTask.objects.get(kind="escalation")
    assert escalation.owner == staff_a["doctor"]
    assert escalation.escalated_from == call and escalation.script == "右眼肿胀明显,有渗液"
    now = datetime(2026, 3, 17, 16, 5, tzinfo=SHANGHAI)
    assert now <= escalation.due_at <= now + timedelta(days=1)
    assert escalation.due_at == now  # inside the 14:30–17:30 window: at once


def test_an_abnormal_finding_without_a_description_is_refused(customer, store_a_consultant, at):
    task = _task(customer, store_a_consultant)
    with pytest.raises(BusinessError) as caught:
        services.complete_task(task, by=store_a_consultant, outcome="reached", abnormal=True)
    assert caught.value.fields["abnormal_description"] == ["请描述异常情况"]
    assert not FollowupTask.objects.filter(kind="escalation").exists()


def test_the_next_appointment_is_booked_from_the_task(customer, store_a, store_a_consultant, at):
    from yanzhi.scheduling.models import Appointment

    task = _task(customer, store_a_consultant)
    services.complete_task(
        task,
        by=store_a_consultant,
        outcome="reached",
        satisfaction=4,
        next_appointment_at=datetime(2026, 3, 20, 15, 0, tzinfo=SHANGHAI),
    )
    appointment = Appointment.objects.get(customer=customer)
    task.refresh_from_db()
    assert task.next_appointment == appointment and appointment.purpose == "checkup"
    # a slot in the past is refused and the result is not saved
    other = _task(customer, store_a_consultant, kind="birthday")
    with pytest.raises(BusinessError) as caught:
        services.complete_task(
            other,
            by=store_a_consultant,
            outcome="reached",
            next_appointment_at=datetime(2026, 3, 1, 15, 0, tzinfo=SHANGHAI),
        )
    assert "next_appointment_at" in caught.value.fields
    other.refresh_from_db()
    assert other.status == "pending" and Appointment.objects.count() == 1


def test_medical_advice_is_sent_by_sms_after_the_execution(
    chain, hq_admin, staff_a, customer, eyelid, facial, sell, execute, at
):
    services.save_advice_template(
        chain, item=eyelid, text="{称呼}您好,{项目}术后48小时内冰敷,一周内避免沾水。", by=hq_admin
    )
    execute(sell(customer, eyelid), by=staff_a["doctor"])
    sms = SmsMessage.objects.get(purpose="medical_advice")
    assert sms.text.endswith("赵女士您好,双眼皮术后48小时内冰敷,一周内避免沾水。")
    assert sms.customer_id == customer.pk
    # no template for the facial: nothing sent
    execute(sell(customer, facial), by=staff_a["nurse"])
    assert SmsMessage.objects.filter(purpose="medical_advice").count() == 1


def test_advice_is_not_sent_to_an_invalid_mobile(
    chain, hq_admin, staff_a, customer, eyelid, sell, execute
):
    services.save_advice_template(chain, item=eyelid, text="术后冰敷", by=hq_admin)
    type(customer).objects.filter(pk=customer.pk).update(phone="02166668888")
    customer.refresh_from_db()
    execute(sell(customer, eyelid), by=staff_a["doctor"])
    assert not SmsMessage.objects.filter(purpose="medical_advice").exists()


def test_only_hq_edits_advice_and_bad_text_is_refused(chain, hq_admin, store_a_manager, eyelid):
    with pytest.raises(BusinessError, match="forbidden"):
        services.save_advice_template(chain, item=eyelid, text="x", by=store_a_manager)
    with pytest.raises(BusinessError) as caught:
        services.save_advice_template(chain, item=eyelid, text=" ", by=hq_admin)
    assert caught.value.fields["text"] == ["请填写医嘱内容"]
    assert not AdviceTemplate.objects.exists()


def test_an_escalation_is_late_only_a_day_after_the_report(
    rules, staff_a, customer, eyelid, sell, execute, at, store_a_manager
):
    from yanzhi.followups import queries
    from yanzhi.org.policy import scope_for

    order = sell(customer, eyelid)
    at("2026-03-16 16:00")
    execute(order, by=staff_a["doctor"], assistant=staff_a["nurse"])
    call = FollowupTask.objects.get(title="术后24小时")
    at("2026-03-17 16:05")
    services.complete_task(
        call,
        by=staff_a["consultant"],
        outcome="reached",
        abnormal=True,
        abnormal_description="红肿",
    )
    scope = scope_for(store_a_manager)
    day = (datetime(2026, 3, 17, tzinfo=SHANGHAI), datetime(2026, 3, 18, tzinfo=SHANGHAI))

    def late():
        return queries.completion_stats(scope, start=day[0], end=day[1])["escalations"]["late"]

    at("2026-03-17 18:00")  # past its due time, within the day promised
    assert late() == 0
    at("2026-03-18 16:06")  # a day and a minute after the report, still not answered
    assert late() == 1


def test_a_retried_call_stays_in_its_days_figures_and_every_call_counts(
    customer, store_a_consultant, store_a_manager, at
):
    from yanzhi.followups import queries
    from yanzhi.org.policy import scope_for

    # given two calls due on the 16th: one answered, one not answered twice then answered
    answered = _task(customer, store_a_consultant)
    retried = _task(customer, store_a_consultant)
    at("2026-03-16 11:10")
    services.complete_task(answered, by=store_a_consultant, outcome="reached", satisfaction=5)
    services.complete_task(retried, by=store_a_consultant, outcome="not_reached")
    at("2026-03-16 14:40")
    services.complete_task(retried, by=store_a_consultant, outcome="not_reached")
    retried.refresh_from_db()
    assert retried.due_at.astimezone(SHANGHAI).day == 16  # 19:30 window of the same day
    at("2026-03-17 11:05")
    retried.refresh_from_db()
    services.complete_task(retried, by=store_a_consultant, outcome="reached", satisfaction=3)
    scope = scope_for(store_a_manager)

    def figures(day):
        start = datetime(2026, 3, day, tzinfo=SHANGHAI)
        stats = queries.completion_stats(scope, start=start, end=start + timedelta(days=1))
        (row,) = stats["by_owner"]
        return row["due"], row["done"], row["calls"], row["reached"], row["reach_rate"]

    # then the 16th keeps both tasks (both done now), with the three calls made that day
    assert figures(16) == (2, 2, 3, 1, 33)
    # and the 17th has no task due, only the one call made, answered
    assert figures(17) == (0, 0, 1, 1, 100)


def test_rules_filter_by_arrears_and_allergy_too(chain, hq_admin, customer, store_a):
    from yanzhi.customers.models import Customer, CustomerSummary
    from yanzhi.customers.tests.factories import make_customer
    from yanzhi.followups.triggers import applies, matching_customers

    # given a rule for customers who owe money (a payment reminder call)
    rule = services.create_rule(
        chain,
        by=hq_admin,
        name="欠费提醒",
        trigger="birthday",
        has_arrears=True,
        has_allergy=False,
        nodes=[node(0, "days", "customer_service")],
    )
    owing = make_customer(store_a, name="欠费客", phone="13911117777")
    CustomerSummary.objects.filter(customer=owing).update(arrears_amount="500.00")
    allergic = make_customer(store_a, name="过敏客", phone="13911118888")
    CustomerSummary.objects.filter(customer=allergic).update(arrears_amount="80.00")
    Customer.objects.filter(pk=allergic.pk).update(allergies="青霉素")
    everyone = Customer.objects.filter(pk__in=[customer.pk, owing.pk, allergic.pk])
    # then only the customer who owes and has no allergy matches, in SQL and one by one
    assert list(matching_customers(rule, everyone).values_list("pk", flat=True)) == [owing.pk]
    assert [c.pk for c in everyone.select_related("summary") if applies(rule, c)] == [owing.pk]
    assert rule.tag_labels() == ["无过敏史", "有欠费"]
    # and a value that is neither yes, no nor "any" is refused
    with pytest.raises(BusinessError) as caught:
        services.update_rule(
            rule,
            by=hq_admin,
            name="欠费提醒",
            trigger="birthday",
            has_arrears="maybe",
            nodes=[node(0, "days", "customer_service")],
        )
    assert "has_arrears" in caught.value.fields
