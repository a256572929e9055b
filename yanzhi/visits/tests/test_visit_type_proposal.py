"""The visit-type rule: every branch, the same-day rule across the chain, and the day boundary."""

from datetime import datetime, timedelta

import pytest
import time_machine

from yanzhi.core.errors import BusinessError
from yanzhi.customers.models import CustomerSummary, VisitType
from yanzhi.visits.models import Visit
from yanzhi.visits.rules import VisitFacts, decide_visit_type
from yanzhi.visits.services import (
    confirm_visit_type,
    leave,
    propose_visit_type,
    register_arrival,
)
from yanzhi.visits.tests.conftest import NOW, SHANGHAI, set_summary

pytestmark = pytest.mark.usefixtures("clock")


def facts(**overrides):
    base = dict(
        first_type_today=None,
        has_earlier_visit=True,
        deal_count=1,
        open_course_count=0,
        checkup_appointment=False,
    )
    return VisitFacts(**{**base, **overrides})


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"first_type_today": "checkup", "has_earlier_visit": False}, VisitType.CHECKUP),
        ({"has_earlier_visit": False, "open_course_count": 2, "deal_count": 0}, VisitType.FIRST),
        ({"has_earlier_visit": False, "deal_count": 3}, VisitType.FIRST),
        ({"deal_count": 0, "open_course_count": 1, "checkup_appointment": True}, VisitType.RETURN),
        ({"checkup_appointment": True, "open_course_count": 1}, VisitType.CHECKUP),
        ({"open_course_count": 1}, VisitType.IN_COURSE),
        ({}, VisitType.REPURCHASE),
    ],
)
def test_decide_visit_type_applies_the_first_matching_rule(overrides, expected):
    assert decide_visit_type(facts(**overrides)) == expected


def earlier_visit(customer, store, by, clock, *, days_ago=3):
    """A visit some days ago that has ended, then back to NOW."""
    clock.move_to(NOW - timedelta(days=days_ago))
    visit = register_arrival(store, customer=customer, by=by)
    leave(visit, by=by)
    clock.move_to(NOW)
    return visit


def test_first_ever_arrival_is_first_visit(store_a, customer, store_a_front_desk):
    # given a customer who never came
    # when they arrive
    visit = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    # then
    assert visit.visit_type == VisitType.FIRST == visit.proposed_visit_type
    assert visit.type_confirmed_by is None


def test_return_without_a_deal_is_return_visit(store_a, customer, store_a_front_desk, clock):
    earlier_visit(customer, store_a, store_a_front_desk, clock)
    assert propose_visit_type(customer, store_a) == VisitType.RETURN


def test_gifted_course_customer_is_first_then_return(store_a, customer, store_a_front_desk, clock):
    # given a customer gifted a course: an open course, but no deal and no visit yet
    set_summary(customer, open_course_count=1, deal_count=0)
    # when they come to use it, it is still a first visit
    first = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    assert first.visit_type == VisitType.FIRST
    leave(first, by=store_a_front_desk)
    # and their next visit (another day) is a return visit, though they hold a course
    clock.move_to(NOW + timedelta(days=7))
    second = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    assert second.visit_type == VisitType.RETURN


def test_checkup_appointment_after_a_deal_is_checkup(
    store_a, customer, store_a_front_desk, clock, make_appointment
):
    earlier_visit(customer, store_a, store_a_front_desk, clock)
    set_summary(customer, deal_count=1, open_course_count=1)
    appointment = make_appointment(store_a, customer, purpose="checkup")
    visit = register_arrival(
        store_a, customer=customer, appointment=appointment, by=store_a_front_desk
    )
    assert visit.visit_type == VisitType.CHECKUP


def test_checkup_appointment_without_a_deal_is_still_return(
    store_a, customer, store_a_front_desk, clock, make_appointment
):
    earlier_visit(customer, store_a, store_a_front_desk, clock)
    appointment = make_appointment(store_a, customer, purpose="checkup")
    assert propose_visit_type(customer, store_a, appointment=appointment) == VisitType.RETURN


def test_open_course_after_a_deal_is_in_course(store_a, customer, store_a_front_desk, clock):
    earlier_visit(customer, store_a, store_a_front_desk, clock)
    set_summary(customer, deal_count=1, open_course_count=2)
    assert propose_visit_type(customer, store_a) == VisitType.IN_COURSE


def test_deal_without_open_course_is_repurchase(store_a, customer, store_a_front_desk, clock):
    earlier_visit(customer, store_a, store_a_front_desk, clock)
    set_summary(customer, deal_count=2, open_course_count=0)
    assert propose_visit_type(customer, store_a) == VisitType.REPURCHASE


def test_ordered_before_arriving_the_same_day_is_still_first(store_a, customer, store_a_front_desk):
    # given an order paid online this morning, before the customer's first ever arrival
    set_summary(customer, deal_count=1, open_course_count=1, first_deal_at=NOW - timedelta(hours=2))
    # when they arrive, then it is their first visit
    visit = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    assert visit.visit_type == VisitType.FIRST


def test_same_day_rule_across_two_stores(
    store_a, store_b, customer, store_a_front_desk, store_b_front_desk, clock
):
    # given a first arrival at store A this morning
    first = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    leave(first, by=store_a_front_desk)
    set_summary(customer, deal_count=1)  # bought something in store A
    # when the customer arrives at store B the same afternoon
    clock.move_to(NOW + timedelta(hours=4))
    second = register_arrival(store_b, customer=customer, by=store_b_front_desk)
    # then the day's type is that of the first arrival (not 再消费)
    assert second.visit_type == second.proposed_visit_type == VisitType.FIRST


def test_same_day_rule_follows_a_type_confirmed_by_staff(
    store_a, store_b, customer, store_a_front_desk, store_b_front_desk, clock
):
    # given an earlier visit, and the day's first arrival confirmed by staff as a check-up
    earlier_visit(customer, store_a, store_a_front_desk, clock)
    first = register_arrival(
        store_a, customer=customer, by=store_a_front_desk, visit_type=VisitType.CHECKUP
    )
    assert first.proposed_visit_type == VisitType.RETURN
    assert first.visit_type == VisitType.CHECKUP and first.type_confirmed_by == store_a_front_desk
    # when the customer arrives at store B later that day and staff pick another type
    clock.move_to(NOW + timedelta(hours=2))
    second = register_arrival(
        store_b, customer=customer, by=store_b_front_desk, visit_type=VisitType.REPURCHASE
    )
    # then the day's first type wins, and the coercion is reported
    assert second.visit_type == second.proposed_visit_type == VisitType.CHECKUP
    assert second.type_coerced and second.type_confirmed_by is None


def test_day_boundary_is_the_stores_local_midnight(store_a, customer, store_a_front_desk, clock):
    # given an arrival at 23:59 Shanghai time (15:59 UTC)
    clock.move_to(datetime(2026, 3, 10, 23, 59, tzinfo=SHANGHAI))
    late = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    leave(late, by=store_a_front_desk)
    assert str(late.day) == "2026-03-10"
    # when the customer arrives again at 00:01 (a new local day, the same UTC day)
    clock.move_to(datetime(2026, 3, 11, 0, 1, tzinfo=SHANGHAI))
    early = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    # then it is another day: no deal yet, so a return visit, not the previous day's first
    assert str(early.day) == "2026-03-11"
    assert early.visit_type == VisitType.RETURN


def test_second_arrival_within_the_same_local_day_keeps_the_type(
    store_a, customer, store_a_front_desk
):
    with time_machine.travel(datetime(2026, 3, 10, 0, 1, tzinfo=SHANGHAI), tick=False) as clock:
        first = register_arrival(store_a, customer=customer, by=store_a_front_desk)
        leave(first, by=store_a_front_desk)
        clock.move_to(datetime(2026, 3, 10, 23, 59, tzinfo=SHANGHAI))
        second = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    assert first.day == second.day and second.visit_type == VisitType.FIRST


def test_confirming_the_first_visit_moves_the_days_later_visits(
    store_a, store_b, customer, store_a_front_desk, store_b_front_desk, clock
):
    # given two arrivals today (store A then store B), both proposed 初诊
    earlier_visit(customer, store_a, store_a_front_desk, clock)  # so 初诊 is wrong
    set_summary(customer, deal_count=1, open_course_count=1)
    first = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    leave(first, by=store_a_front_desk)
    clock.move_to(NOW + timedelta(hours=1))
    second = register_arrival(store_b, customer=customer, by=store_b_front_desk)
    assert first.visit_type == second.visit_type == VisitType.IN_COURSE
    # when staff correct the day's first visit to 复查
    confirm_visit_type(first, visit_type=VisitType.CHECKUP, by=store_a_front_desk)
    # then the later visit follows, and the summary's last visit type too
    second.refresh_from_db()
    first.refresh_from_db()
    assert first.visit_type == second.visit_type == VisitType.CHECKUP
    assert first.type_confirmed_by == store_a_front_desk
    assert CustomerSummary.objects.get(pk=customer.pk).last_visit_type == VisitType.CHECKUP


def test_a_later_visit_of_the_day_cannot_differ_from_the_first(
    store_a, store_b, customer, store_a_front_desk, store_b_front_desk, clock
):
    first = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    clock.move_to(NOW + timedelta(hours=1))
    second = register_arrival(store_b, customer=customer, by=store_b_front_desk)
    with pytest.raises(BusinessError, match="same_day_rule"):
        confirm_visit_type(second, visit_type=VisitType.REPURCHASE, by=store_b_front_desk)
    second.refresh_from_db()
    assert second.visit_type == VisitType.FIRST and second.type_confirmed_by is None
    assert first.visit_type == VisitType.FIRST


def test_confirm_refuses_an_unknown_type(store_a, customer, store_a_front_desk):
    visit = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    with pytest.raises(BusinessError, match="invalid_visit_type"):
        confirm_visit_type(visit, visit_type="vip", by=store_a_front_desk)
    assert Visit.objects.get(pk=visit.pk).visit_type == VisitType.FIRST
