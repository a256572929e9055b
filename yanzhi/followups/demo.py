"""Demo follow-ups: the default rules and calling windows for the demo chain, medical advice for
the injection and laser items, and today's follow-up tasks for the demo users of store A
(customer service, consultant 张敏, the doctors). Called by yanzhi/demo/build.py at the end, so
the history it built did not fire the rules:

    from yanzhi.followups.demo import build_followups
    build_followups(builder.org, builder.stores["A"], builder.staff)
"""

from datetime import time, timedelta

from django.db.models import Q

from yanzhi.catalog.models import Item
from yanzhi.core.timeutil import store_datetime, store_today
from yanzhi.customers.models import Customer
from yanzhi.followups import services
from yanzhi.followups.models import FollowupAttempt, FollowupRule, FollowupTask

ADVICE = {
    "微整科": "{称呼}您好,{项目}术后6小时内注射部位勿沾水,24小时内勿化妆,一周内避免桑拿、饮酒和剧烈运动。如有异常请致电{门店}。",
    "皮肤科": "{称呼}您好,{项目}后请注意保湿和严格防晒,一周内勿去角质。如有红肿不退请致电{门店}。",
}


def _at(store, day, hour):
    return store_datetime(store, day, time(hour))


def build_followups(org, store, staff: dict) -> int:
    """Returns the number of tasks created for today."""
    hq = staff["hq"]
    services.install_default_rules(org, by=hq)
    for item in Item.objects.filter(org=org, kind=Item.Kind.SERVICE, department__name__in=ADVICE):
        services.save_advice_template(org, item=item, text=ADVICE[item.department.name], by=hq)
    rules = {r.default_key: r for r in FollowupRule.objects.filter(org=org).exclude(default_key="")}
    today = store_today(store)
    customers = list(
        Customer.objects.filter(org=org, store=store)
        .select_related("consultant", "doctor", "summary")
        .order_by("pk")
    )
    consultant = staff["consultant_a"]
    mine = [c for c in customers if c.consultant_id == consultant.pk]
    others = [c for c in customers if c.consultant_id != consultant.pk]
    injection = Item.objects.filter(
        org=org, kind=Item.Kind.SERVICE, department__name="微整科"
    ).first()
    created = 0
    # 新建客户: customer service calls at 11:00 today
    for customer in others[:3]:
        created += len(
            services.create_tasks(
                rules["new_customer"],
                store=store,
                customer=customer,
                cause=f"demo-new:{customer.pk}",
                base=_at(store, today, 10),
            )
        )
    # 预约未到访: the consultant calls at 14:30 today
    for customer in mine[:2]:
        created += len(
            services.create_tasks(
                rules["no_show"],
                store=store,
                customer=customer,
                cause=f"demo-no-show:{customer.pk}",
                base=_at(store, today, 14),
            )
        )
    # 术后: yesterday afternoon's injections — the consultant's 24-hour call is today
    for customer in mine[2:4] + others[3:5]:
        created += len(
            services.create_tasks(
                rules["post_op"],
                store=store,
                customer=customer,
                cause=f"demo-post-op:{customer.pk}",
                base=_at(store, today - timedelta(days=1), 15),
                item=injection,
            )
        )
    # 到访未支付 from two days ago: overdue
    for customer in mine[4:5]:
        created += len(
            services.create_tasks(
                rules["visited_not_paid"],
                store=store,
                customer=customer,
                cause=f"demo-visit:{customer.pk}",
                base=_at(store, today - timedelta(days=2), 16),
            )
        )
    _past_fortnight(store, rules["post_op"], customers[:12], injection, today)
    day_start = _at(store, today, 0)
    return (
        FollowupTask.objects.filter(
            Q(due_at__gte=day_start) & Q(due_at__lt=day_start + timedelta(days=1)), org=org
        ).count()
        if created
        else 0
    )


SATISFACTION = (5, 4, 5, 3, 4, 5, 2, 4, 5, 4, 5, 4)


def _past_fortnight(store, rule, customers, item, today) -> None:
    """The last two weeks' post-op calls (术后24小时), done, so the completion figures have
    history: one customer a day, every fourth not answered at first and reached later that day.
    Results are recorded through the service, then dated back to when the calls were made."""
    node = rule.nodes.filter(offset_value=24, offset_unit="hours").first() or rule.nodes.first()
    for index, customer in enumerate(customers):
        day = today - timedelta(days=index + 1)
        cause = f"demo-history:{customer.pk}"
        services.create_tasks(
            rule,
            store=store,
            customer=customer,
            cause=cause,
            base=_at(store, day - timedelta(days=1), 15),
            item=item,
        )
        task = FollowupTask.objects.get(node=node, cause=cause)
        later = FollowupTask.objects.filter(cause=cause).exclude(pk=task.pk)
        # the earlier nodes of those days are not part of the story
        later.filter(due_at__lt=_at(store, today, 0)).delete()
        calls = []
        if index % 4 == 3:
            services.complete_task(task, by=task.owner, outcome="not_reached")
            calls.append(task.first_due_at + timedelta(minutes=5))
            task.refresh_from_db()
        score = SATISFACTION[index % len(SATISFACTION)]
        services.complete_task(
            task,
            by=task.owner,
            outcome="reached",
            satisfaction=score,
            dissatisfaction_reason="recovery" if score <= 3 else "",
            notes="恢复情况良好" if score > 3 else "消肿较慢,已嘱冰敷",
        )
        calls.append(task.first_due_at + timedelta(hours=3 if calls else 0, minutes=12))
        for attempt, at in zip(task.attempts.order_by("pk"), calls, strict=True):
            FollowupAttempt.objects.filter(pk=attempt.pk).update(attempted_at=at)
        FollowupTask.objects.filter(pk=task.pk).update(
            completed_at=calls[-1], due_at=task.first_due_at
        )
