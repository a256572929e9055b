"""The working-time rule: work shifts ∪ minus rest shifts; rest shifts only ⇒ opening hours minus
rest; no roster entries ⇒ not working. Intervals are half-open."""

from datetime import time

import pytest

from yanzhi.scheduling import queries
from yanzhi.scheduling.tests.conftest import DAY, at, roster


def t(h, m=0):
    return time(h, m)


def test_work_shifts_only_are_the_union_of_the_shifts(store_a, store_a_doctor, morning, afternoon):
    # given
    roster(store_a, store_a_doctor, morning)
    roster(store_a, store_a_doctor, afternoon)
    # when
    working = queries.working_intervals(store_a_doctor.pk, store_a, DAY)
    # then
    assert working == [(t(9), t(12)), (t(13), t(18))]


def test_touching_work_shifts_merge(store_a, store_a_doctor, morning):
    from yanzhi.scheduling.models import ShiftType

    late = ShiftType.objects.create(
        org_id=store_a.org_id, store=store_a, name="接班", starts_at=t(12), ends_at=t(15)
    )
    roster(store_a, store_a_doctor, morning)
    roster(store_a, store_a_doctor, late)
    assert queries.working_intervals(store_a_doctor.pk, store_a, DAY) == [(t(9), t(15))]


def test_rest_shift_only_means_opening_hours_minus_the_rest(store_a, store_a_doctor, lunch_rest):
    # given: the store opens 09:00–21:00 and the doctor has only a lunch rest
    roster(store_a, store_a_doctor, lunch_rest)
    # when
    working = queries.working_intervals(store_a_doctor.pk, store_a, DAY)
    # then
    assert working == [(t(9), t(12)), (t(13, 30), t(21))]


def test_rest_inside_a_work_shift_is_cut_out(store_a, store_a_doctor, full_day, lunch_rest):
    roster(store_a, store_a_doctor, full_day)
    roster(store_a, store_a_doctor, lunch_rest)
    assert queries.working_intervals(store_a_doctor.pk, store_a, DAY) == [
        (t(9), t(12)),
        (t(13, 30), t(18)),
    ]


def test_no_roster_entries_means_not_working(store_a, store_a_doctor):
    assert queries.working_intervals(store_a_doctor.pk, store_a, DAY) == []
    assert not queries.is_available(store_a_doctor, store_a, at(10), at(11))


def test_entries_of_another_day_or_store_do_not_count(store_a, store_b, store_a_doctor, full_day):
    from datetime import timedelta

    roster(store_a, store_a_doctor, full_day, on=DAY + timedelta(days=1))
    assert queries.working_intervals(store_a_doctor.pk, store_a, DAY) == []
    assert queries.working_intervals(store_a_doctor.pk, store_b, DAY + timedelta(days=1)) == []


@pytest.mark.parametrize(
    ("start", "end", "available"),
    [
        ((9, 0), (9, 30), True),  # starts exactly when the shift starts
        ((11, 30), (12, 0), True),  # ends exactly when the rest begins (half-open)
        ((11, 30), (12, 1), False),  # one minute into the rest
        ((12, 0), (12, 30), False),  # inside the rest
        ((13, 30), (14, 0), True),  # starts exactly when the rest ends
        ((13, 29), (14, 0), False),
        ((8, 30), (9, 30), False),  # before the shift
        ((17, 30), (18, 0), True),
        ((17, 30), (18, 1), False),  # after the shift
        ((11, 0), (14, 0), False),  # spans the rest
    ],
)
def test_is_available_boundaries_are_half_open(
    store_a, store_a_doctor, full_day, lunch_rest, start, end, available
):
    roster(store_a, store_a_doctor, full_day)
    roster(store_a, store_a_doctor, lunch_rest)
    assert queries.is_available(store_a_doctor, store_a, at(*start), at(*end)) is available


def test_batched_working_intervals_use_one_query(
    store_a,
    store_a_doctor,
    store_a_consultant,
    store_a_nurse,
    morning,
    lunch_rest,
    django_assert_num_queries,
):
    # given: a doctor on the morning shift, a consultant with only a lunch rest, a nurse off
    roster(store_a, store_a_doctor, morning)
    roster(store_a, store_a_consultant, lunch_rest)
    ids = [store_a_doctor.pk, store_a_consultant.pk, store_a_nurse.pk]
    # when
    with django_assert_num_queries(1):
        working = queries.working_intervals_for_day(store_a, DAY, ids)
    # then
    assert working == {
        store_a_doctor.pk: [(t(9), t(12))],
        store_a_consultant.pk: [(t(9), t(12)), (t(13, 30), t(21))],
        store_a_nurse.pk: [],
    }


def test_interval_subtraction_handles_rests_at_the_edges():
    assert queries.subtract([(t(9), t(18))], [(t(8), t(10)), (t(17), t(19))]) == [(t(10), t(17))]
    assert queries.subtract([(t(9), t(12))], [(t(9), t(12))]) == []
    assert queries.subtract([(t(9), t(12))], [(t(12), t(13))]) == [(t(9), t(12))]


# --- the rule against a minute-by-minute model ----------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


class _Entry:
    def __init__(self, start, end, is_rest):
        self.starts_at, self.ends_at, self.is_rest = start, end, is_rest


class _Store:
    opens_at, closes_at = time(9), time(21)


def _minute(m):
    return time(m // 60, m % 60)


_entries = st.lists(
    st.tuples(st.integers(6 * 60, 22 * 60), st.integers(10, 8 * 60), st.booleans()).map(
        lambda x: _Entry(_minute(x[0]), _minute(min(x[0] + x[1], 23 * 60 + 59)), x[2])
    ),
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(_entries)
def test_working_time_matches_minute_model(entries):
    store = _Store()
    working = queries.working_time(entries, store)
    work = [e for e in entries if not e.is_rest]
    rest = [e for e in entries if e.is_rest]
    for m in range(6 * 60, 24 * 60 - 1):
        t = _minute(m)
        if not entries:
            expected = False
        elif work:
            expected = any(e.starts_at <= t < e.ends_at for e in work)
        else:
            expected = store.opens_at <= t < store.closes_at
        expected = expected and not any(e.starts_at <= t < e.ends_at for e in rest)
        actual = any(s <= t < e for s, e in working)
        assert actual == expected, (t, working)
