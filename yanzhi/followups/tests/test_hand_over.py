"""Nothing is lost when staff leave: a leaver's pending follow-ups are handed on."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from yanzhi.followups.models import FollowupTask
from yanzhi.org.services import update_staff
from yanzhi.org.tests.factories import make_staff

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def task(customer, owner, role, *, status="pending", cause):
    return FollowupTask.objects.create(
        org_id=customer.org_id,
        store=customer.store,
        customer=customer,
        kind="executed",
        cause=cause,
        title="术后72小时",
        channel="call",
        owner_role=role,
        owner=owner,
        status=status,
        due_at=datetime(2026, 3, 18, 11, tzinfo=SHANGHAI),
    )


def test_a_leavers_pending_tasks_go_to_whoever_the_role_now_points_to(
    store_a, staff_a, customer, store_a_manager, at
):
    # given the consultant's and the nurse's pending tasks, one of them already done
    consultant, nurse = staff_a["consultant"], staff_a["nurse"]
    other_nurse = make_staff(store_a.org, "nurse", [store_a], username="nurse_a2", name="A护士二")
    mine = task(customer, consultant, "consultant", cause="t:1")
    done = task(customer, consultant, "consultant", status="done", cause="t:2")
    care = task(customer, nurse, "nurse", cause="t:3")
    # when the consultant leaves (deactivated by the manager)
    update_staff(consultant, by=store_a_manager, is_active=False)
    # then the consultant's pending call goes to the manager (no consultant for the customer now)
    mine.refresh_from_db()
    done.refresh_from_db()
    assert mine.owner == store_a_manager and mine.owner_note
    assert done.owner == consultant  # the record of work done stays theirs
    # when the nurse changes role, her task goes to the other nurse
    update_staff(nurse, by=store_a_manager, role="customer_service")
    care.refresh_from_db()
    assert care.owner == other_nurse
    # a change that releases nothing moves nothing
    update_staff(other_nurse, by=store_a_manager, title="主管护师")
    care.refresh_from_db()
    assert care.owner == other_nurse


def test_a_new_task_goes_to_the_colleague_with_the_fewest_pending_tasks(
    store_a, store_a_service, customer
):
    from yanzhi.followups.models import OwnerRole
    from yanzhi.followups.services import OwnerPicker, resolve_owner

    first = store_a_service
    second = make_staff(
        store_a.org, "customer_service", [store_a], username="cs_a2", name="A客服二"
    )
    # the first has two pending calls and many done ones; the second three pending
    for n in range(2):
        task(customer, first, "customer_service", cause=f"p1:{n}")
    for n in range(6):
        task(customer, first, "customer_service", status="done", cause=f"d1:{n}")
    for n in range(3):
        task(customer, second, "customer_service", cause=f"p2:{n}")

    def owner():
        return resolve_owner(OwnerRole.CUSTOMER_SERVICE, store=store_a, customer=customer)[0]

    # only pending tasks count: the first (2 pending) gets the next call
    assert owner() == first
    assert OwnerPicker(store_a).pick(OwnerRole.CUSTOMER_SERVICE, customer)[0] == first
    # two more pending for the first: now the second has fewer
    for n in range(2, 4):
        task(customer, first, "customer_service", cause=f"p1:{n}")
    assert owner() == second
    # a tie goes to the earlier account
    task(customer, second, "customer_service", cause="p2:3")
    assert owner() == first
    # the picker counts what it hands out: 4 each, then alternately
    picker = OwnerPicker(store_a)
    picks = [picker.pick(OwnerRole.CUSTOMER_SERVICE, customer)[0] for _ in range(3)]
    assert picks == [first, second, first]
