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
