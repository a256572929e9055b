"""Campaign tasks (专项回访): one task per customer per campaign, owners by role, due in the
first calling window, only customers in the caller's scope."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from yanzhi.core.errors import BusinessError, NotFound
from yanzhi.customers.models import Customer
from yanzhi.customers.tests.factories import make_customer
from yanzhi.followups.models import FollowupTask
from yanzhi.followups.services import create_campaign_tasks

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_survey_gives_each_customer_one_task_in_the_first_window(
    at, store_a, staff_a, customer, store_a_consultant
):
    # given two customers of store A, one with a consultant, at 10:00 (before the first window)
    other = make_customer(store_a, name="钱芳", phone="13911113333")
    customers = Customer.objects.filter(pk__in=[customer.pk, other.pk])
    # when the manager starts a satisfaction survey by the customers' consultant
    created = create_campaign_tasks(
        store_a,
        customers=customers,
        cause="segment:7",
        title="水光针满意度调查",
        owner_role="consultant",
        script="{称呼}您好,想了解一下您对水光针的感受",
        by=staff_a["manager"],
    )
    # then each gets one task at 11:00 today; without a consultant it goes to the manager
    assert created == 2
    tasks = {t.customer_id: t for t in FollowupTask.objects.filter(cause="segment:7")}
    assert tasks[customer.pk].owner == store_a_consultant
    assert tasks[other.pk].owner == staff_a["manager"] and tasks[other.pk].owner_note
    assert {t.due_at for t in tasks.values()} == {datetime(2026, 3, 16, 11, 0, tzinfo=SHANGHAI)}
    assert tasks[customer.pk].script.startswith("赵女士您好")
    assert {t.kind for t in tasks.values()} == {FollowupTask.Kind.CAMPAIGN}
    # when the campaign is run again with a newcomer
    third = make_customer(store_a, name="孙悦", phone="13911114444")
    again = create_campaign_tasks(
        store_a,
        customers=Customer.objects.filter(pk__in=[customer.pk, other.pk, third.pk]),
        cause="segment:7",
        title="水光针满意度调查",
        owner_role="customer_service",
        by=staff_a["manager"],
    )
    # then only the newcomer is added, to customer service
    assert again == 1
    assert FollowupTask.objects.get(cause="segment:7", customer=third).owner == staff_a["service"]


def test_a_later_day_falls_due_in_that_days_first_window(at, store_a, staff_a, customer):
    create_campaign_tasks(
        store_a,
        customers=Customer.objects.filter(pk=customer.pk),
        cause="repurchase",
        title="复购提醒",
        owner_role="consultant",
        due_on=date(2026, 3, 18),
        by=staff_a["consultant"],
    )
    task = FollowupTask.objects.get(cause="repurchase")
    assert task.due_at == datetime(2026, 3, 18, 11, 0, tzinfo=SHANGHAI)


def test_bad_input_and_foreign_customers_create_nothing(
    at, store_a, staff_a, customer, store_b, store_a_front_desk
):
    foreign = make_customer(store_b, name="李娜", phone="13911115555")
    with pytest.raises(BusinessError) as error:
        create_campaign_tasks(
            store_a,
            customers=Customer.objects.filter(pk=customer.pk),
            cause="segment:1",
            title="",
            owner_role="executor",
            due_on=date(2026, 3, 1),
            script="{暗号}",
            by=staff_a["manager"],
        )
    assert set(error.value.fields) == {"title", "owner_role", "due_on", "script"}
    # a consultant of store A cannot reach store B's customer
    with pytest.raises(NotFound):
        create_campaign_tasks(
            store_a,
            customers=Customer.objects.filter(pk__in=[customer.pk, foreign.pk]),
            cause="segment:1",
            title="回访",
            owner_role="consultant",
            by=staff_a["consultant"],
        )
    # front desk may not start campaigns
    with pytest.raises(BusinessError) as error:
        create_campaign_tasks(
            store_a,
            customers=Customer.objects.filter(pk=customer.pk),
            cause="segment:1",
            title="回访",
            owner_role="consultant",
            by=store_a_front_desk,
        )
    assert error.value.code == "forbidden"
    assert not FollowupTask.objects.filter(kind=FollowupTask.Kind.CAMPAIGN).exists()
