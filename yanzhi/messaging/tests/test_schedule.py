"""The schedule: due periods run oldest first, missed days are caught up (bounded), a period never
runs twice, a failed run is retried later."""

import threading
from datetime import date, time, timedelta

import pytest
import time_machine
from django.db import connections

from yanzhi.core.schedule import DailyJob, registered_jobs
from yanzhi.messaging.models import JobRun
from yanzhi.messaging.schedule import run_due_jobs

MONDAY = date(2026, 3, 2)


def probe(calls, *, fail_on=(), at=time(0, 30), catch_up_days=None):
    def func(store, day):
        if day in fail_on:
            raise RuntimeError(f"boom on {day}")
        calls.append((store.pk, day))
        return "ok"

    return {"probe": DailyJob("probe", func, at, catch_up_days)}


def days_run(calls, store):
    return [day for store_id, day in calls if store_id == store.pk]


def test_first_start_catches_up_seven_days_oldest_first_then_nothing(store_a):
    calls = []
    jobs = probe(calls)
    with time_machine.travel("2026-03-02 01:00 +08:00", tick=False):
        run_due_jobs(jobs=jobs)
        assert days_run(calls, store_a) == [MONDAY - timedelta(days=n) for n in range(7, -1, -1)]
        # when: the worker looks again
        again = run_due_jobs(jobs=jobs)
    # then: no period runs twice
    assert again == [] and len(days_run(calls, store_a)) == 8
    run = JobRun.objects.get(job="probe", store_id=store_a.pk, period="2026-03-02")
    assert run.status == "succeeded" and run.result == "ok" and run.finished_at


def test_not_before_the_store_local_run_time(store_a):
    calls = []
    with time_machine.travel("2026-03-02 00:29 +08:00", tick=False):
        run_due_jobs(jobs=probe(calls, catch_up_days=0))
    assert calls == []
    with time_machine.travel("2026-03-02 00:31 +08:00", tick=False):
        run_due_jobs(jobs=probe(calls, catch_up_days=0))
    assert days_run(calls, store_a) == [MONDAY]


def test_downtime_is_caught_up_in_order_and_bounded(store_a):
    calls = []
    jobs = probe(calls)
    with time_machine.travel("2026-03-02 01:00 +08:00", tick=False):
        run_due_jobs(jobs=jobs)
    calls.clear()
    # when: the worker was down three days
    with time_machine.travel("2026-03-05 09:00 +08:00", tick=False):
        run_due_jobs(jobs=jobs)
    assert days_run(calls, store_a) == [date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 5)]
    calls.clear()
    # when: down for a month: only the last seven days (and today) are caught up
    with time_machine.travel("2026-04-10 09:00 +08:00", tick=False):
        run_due_jobs(jobs=jobs)
    assert days_run(calls, store_a)[0] == date(2026, 4, 3) and len(days_run(calls, store_a)) == 8


def test_a_failed_run_is_recorded_and_retried_later_not_at_once(store_a):
    calls = []
    with time_machine.travel("2026-03-02 01:00 +08:00", tick=False) as clock:
        run_due_jobs(jobs=probe(calls, fail_on={MONDAY}, catch_up_days=0))
        run = JobRun.objects.get(job="probe", store_id=store_a.pk)
        assert run.status == "failed" and "boom" in run.result and run.attempt_count == 1
        run_due_jobs(jobs=probe(calls, catch_up_days=0))
        assert days_run(calls, store_a) == []  # not hammered
        clock.shift(timedelta(minutes=11))
        run_due_jobs(jobs=probe(calls, catch_up_days=0))
    run.refresh_from_db()
    assert run.status == "succeeded" and run.attempt_count == 2
    assert days_run(calls, store_a) == [MONDAY]


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_run_each_period_once(store_a, store_b):
    calls = []
    lock = threading.Lock()

    def func(store, day):
        with lock:
            calls.append((store.pk, day))

    jobs = {"probe": DailyJob("probe", func, time(0, 30), 2)}
    errors = []

    def worker():
        try:
            with time_machine.travel("2026-03-02 01:00 +08:00", tick=False):
                run_due_jobs(jobs=jobs)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(calls) == sorted(
        (store.pk, MONDAY - timedelta(days=n)) for store in (store_a, store_b) for n in range(3)
    )
    assert JobRun.objects.filter(job="probe").count() == 6


def test_the_apps_register_their_jobs():
    jobs = registered_jobs()
    assert {
        "close_open_visits",
        "mark_no_shows",
        "expire_courses",
        "appointment_reminders",
        "refresh_member_levels",
        "followup_triggers",
    } <= set(jobs)
    assert jobs["appointment_reminders"].catch_up_days == 0
