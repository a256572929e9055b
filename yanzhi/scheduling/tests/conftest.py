"""Scheduling fixtures: a frozen "now" (Monday 2 March 2026, 08:00 in Shanghai), shift types of
store A and helpers to roster staff and to build store-local datetimes."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from yanzhi.scheduling.models import RosterEntry, ShiftType

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)
DAY = date(2026, 3, 3)  # tomorrow, a Tuesday


@pytest.fixture(autouse=True)
def frozen_now(time_machine):
    time_machine.move_to(NOW, tick=True)
    return NOW


@pytest.fixture
def day():
    return DAY


def at(hour: int, minute: int = 0, on: date = DAY) -> datetime:
    return datetime.combine(on, time(hour, minute), tzinfo=SHANGHAI)


def _shift(store, name, start, end, is_rest=False):
    return ShiftType.objects.create(
        org_id=store.org_id, store=store, name=name, starts_at=start, ends_at=end, is_rest=is_rest
    )


@pytest.fixture
def morning(store_a):
    return _shift(store_a, "早班", time(9), time(12))


@pytest.fixture
def afternoon(store_a):
    return _shift(store_a, "午班", time(13), time(18))


@pytest.fixture
def full_day(store_a):
    return _shift(store_a, "全天", time(9), time(18))


@pytest.fixture
def lunch_rest(store_a):
    return _shift(store_a, "午休", time(12), time(13, 30), is_rest=True)


def roster(store, staff, shift_type, on: date = DAY) -> RosterEntry:
    """Write a roster entry directly (tests of other rules should not depend on assign_shift)."""
    return RosterEntry.objects.create(
        org_id=store.org_id,
        store=store,
        staff=staff,
        day=on,
        shift_type=shift_type,
        starts_at=shift_type.starts_at,
        ends_at=shift_type.ends_at,
        is_rest=shift_type.is_rest,
    )


@pytest.fixture
def doctor_on_duty(store_a, store_a_doctor, full_day):
    """Store A's doctor works 09:00–18:00 tomorrow."""
    roster(store_a, store_a_doctor, full_day)
    return store_a_doctor


@pytest.fixture
def consultant_on_duty(store_a, store_a_consultant, full_day):
    roster(store_a, store_a_consultant, full_day)
    return store_a_consultant


@pytest.fixture
def room_1(store_a):
    from yanzhi.scheduling.models import Room

    return Room.objects.create(org_id=store_a.org_id, store=store_a, name="1号治疗室")


@pytest.fixture
def customer(store_a, store_a_consultant):
    from yanzhi.customers.tests.factories import make_customer

    return make_customer(store_a, name="王小美", consultant=store_a_consultant)


@pytest.fixture
def other_customer(store_a, store_a_consultant_2):
    from yanzhi.customers.tests.factories import make_customer

    return make_customer(store_a, name="李娜", consultant=store_a_consultant_2)
