"""Automatic leave at closing time, and the customer summary kept current and rebuilt."""

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from yanzhi.core.errors import BusinessError
from yanzhi.customers.models import CustomerSummary
from yanzhi.customers.tests.factories import make_customer
from yanzhi.visits.models import Visit
from yanzhi.visits.services import (
    close_open_visits,
    confirm_visit_type,
    leave,
    record_stage,
    register_arrival,
)
from yanzhi.visits.tests.conftest import NOW, SHANGHAI

CLOSING = datetime(2026, 3, 10, 21, 0, tzinfo=SHANGHAI)


@pytest.fixture
def open_visits(store_a, store_a_front_desk, store_a_nurse, clock):
    """Three visits today: one left, one waiting, one treated late (21:20, after closing)."""
    left, waiting, late = (make_customer(store_a, name=n) for n in ("甲", "乙", "丙"))
    v_left = register_arrival(store_a, customer=left, by=store_a_front_desk)
    leave(v_left, by=store_a_front_desk, at=NOW + timedelta(minutes=0))
    v_waiting = register_arrival(store_a, customer=waiting, by=store_a_front_desk)
    v_late = register_arrival(store_a, customer=late, by=store_a_front_desk)
    clock.move_to(datetime(2026, 3, 10, 21, 20, tzinfo=SHANGHAI))
    record_stage(v_late, stage="treated", by=store_a_nurse)
    return v_left, v_waiting, v_late


def test_close_open_visits_at_closing_time(store_a, open_visits, clock):
    v_left, v_waiting, v_late = open_visits
    clock.move_to(CLOSING + timedelta(hours=1))
    # when the store's closing has passed
    assert close_open_visits(store_a, day=NOW.date()) == 2
    # then open visits left at closing time, never before their last stage
    for visit in open_visits:
        visit.refresh_from_db()
    assert v_waiting.left_at == CLOSING and v_waiting.left_automatically
    assert v_late.left_at == v_late.treated_at and v_late.status == Visit.Status.LEFT
    assert v_left.left_at == NOW and not v_left.left_automatically
    # and running it again changes nothing
    assert close_open_visits(store_a, day=NOW.date()) == 0
    v_waiting.refresh_from_db()
    assert v_waiting.left_at == CLOSING


def test_close_open_visits_refuses_before_closing(store_a, store_a_front_desk, customer, clock):
    visit = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    with pytest.raises(BusinessError, match="store_still_open"):
        close_open_visits(store_a, day=NOW.date())
    visit.refresh_from_db()
    assert visit.left_at is None


def test_command_closes_passed_days_and_stores_only(
    store_a, store_b, store_a_front_desk, store_b_front_desk, customer, clock
):
    # given an open visit from yesterday in store A and one today in store B (closing at 22:00)
    clock.move_to(NOW - timedelta(days=1))
    yesterday = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    clock.move_to(NOW)
    store_b.closes_at = datetime(2026, 1, 1, 22, 0).time()
    store_b.save()
    other = make_customer(store_b, name="赵六")
    today_b = register_arrival(store_b, customer=other, by=store_b_front_desk)
    # when the command runs at 21:30: yesterday caught up, store B still open
    clock.move_to(datetime(2026, 3, 10, 21, 30, tzinfo=SHANGHAI))
    call_command("close_open_visits", stdout=StringIO())
    yesterday.refresh_from_db()
    today_b.refresh_from_db()
    assert yesterday.left_automatically
    assert yesterday.left_at == datetime(2026, 3, 9, 21, 0, tzinfo=SHANGHAI)
    assert today_b.left_at is None
    # and after 22:00 store B's visit closes too
    clock.move_to(datetime(2026, 3, 10, 22, 5, tzinfo=SHANGHAI))
    call_command("close_open_visits", stdout=StringIO())
    today_b.refresh_from_db()
    assert today_b.left_at == datetime(2026, 3, 10, 22, 0, tzinfo=SHANGHAI)


def summary_facts(customer_ids):
    return list(
        CustomerSummary.objects.filter(customer_id__in=customer_ids)
        .order_by("customer_id")
        .values_list(
            "customer_id", "visit_count", "first_visit_at", "last_visit_at", "last_visit_type"
        )
    )


def test_summary_is_kept_current_and_rebuilt_identically(
    store_a, store_b, store_a_front_desk, store_b_front_desk, clock
):
    # given customers with histories across days and stores, and a confirmed type change
    regular, newcomer, never = (make_customer(store_a, name=n) for n in ("老客", "新客", "未到"))
    clock.move_to(NOW - timedelta(days=10))
    leave(register_arrival(store_a, customer=regular, by=store_a_front_desk), by=store_a_front_desk)
    clock.move_to(NOW)
    first_today = register_arrival(store_a, customer=regular, by=store_a_front_desk)
    clock.move_to(NOW + timedelta(hours=1))
    register_arrival(store_b, customer=regular, by=store_b_front_desk)
    register_arrival(store_a, customer=newcomer, by=store_a_front_desk)
    confirm_visit_type(first_today, visit_type="checkup", by=store_a_front_desk)
    ids = [regular.pk, newcomer.pk, never.pk]
    kept = summary_facts(ids)
    assert kept[0][1:2] == (3,) and kept[0][4] == "checkup"
    assert kept[2][1:] == (0, None, None, "")
    # when the summaries are wiped and rebuilt from the visits
    CustomerSummary.objects.filter(customer_id=newcomer.pk).delete()
    CustomerSummary.objects.filter(customer_id__in=ids).update(
        visit_count=99, first_visit_at=None, last_visit_at=None, last_visit_type="first"
    )
    call_command("rebuild_customer_summaries", stdout=StringIO())
    # then they equal what the services kept
    assert summary_facts(ids) == kept


def test_rebuild_for_one_org_leaves_others_alone(store_a, other_chain, store_a_front_desk, clock):
    from yanzhi.org.models import Store

    theirs = make_customer(Store.objects.get(org=other_chain), name="别家客")
    CustomerSummary.objects.filter(pk=theirs.pk).update(visit_count=7)
    call_command("rebuild_customer_summaries", "--org", store_a.org.code, stdout=StringIO())
    assert CustomerSummary.objects.get(pk=theirs.pk).visit_count == 7
    call_command("rebuild_customer_summaries", stdout=StringIO())
    assert CustomerSummary.objects.get(pk=theirs.pk).visit_count == 0
