"""Running the scheduled jobs (registered in yanzhi.core.schedule) for every active store.

Each (job, store, day) is claimed by inserting its JobRun row before the job runs; the unique
constraint means a period runs at most once even with several workers. A failed run is tried
again after RETRY_FAILED_AFTER, at most MAX_RUN_ATTEMPTS times; a run left "running" by a worker
that died is taken over after STALE_RUN_AFTER. Missed days are caught up oldest first."""

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from yanzhi.core.schedule import DailyJob, frequent_jobs, registered_jobs
from yanzhi.core.timeutil import store_datetime, store_zone
from yanzhi.messaging.models import JobRun
from yanzhi.org.models import Store

log = logging.getLogger("yanzhi.schedule")

RETRY_FAILED_AFTER = timedelta(minutes=10)
STALE_RUN_AFTER = timedelta(hours=1)
MAX_RUN_ATTEMPTS = 3


def due_days(job: DailyJob, store: Store, now: datetime) -> list[date]:
    """The store-local days, oldest first, whose run time for this job has passed, within the
    catch-up window."""
    today = now.astimezone(store_zone(store)).date()
    back = settings.SCHEDULE_CATCH_UP_DAYS if job.catch_up_days is None else job.catch_up_days
    at = job.time_for(store)
    days = [today - timedelta(days=n) for n in range(back, -1, -1)]
    return [day for day in days if store_datetime(store, day, at) <= now]


def _claim(job: DailyJob, store: Store, day: date, run: JobRun | None, now: datetime):
    period = day.isoformat()
    if run is None:
        try:
            with transaction.atomic():
                return JobRun.objects.create(
                    job=job.name,
                    org_id=store.org_id,
                    store_id=store.pk,
                    period=period,
                    started_at=now,
                )
        except IntegrityError:
            return None  # another worker claimed it first
    retry = run.status == JobRun.Status.FAILED and run.attempt_count < MAX_RUN_ATTEMPTS
    retry = retry and run.finished_at is not None and run.finished_at <= now - RETRY_FAILED_AFTER
    stale = run.status == JobRun.Status.RUNNING and run.started_at <= now - STALE_RUN_AFTER
    if not (retry or stale):
        return None
    # Conditional update: only one worker wins the row.
    claimed = JobRun.objects.filter(pk=run.pk, status=run.status, attempt_count=run.attempt_count)
    if not claimed.update(
        status=JobRun.Status.RUNNING,
        attempt_count=run.attempt_count + 1,
        started_at=now,
        finished_at=None,
    ):
        return None
    run.refresh_from_db()
    return run


def _execute(job: DailyJob, store: Store, day: date, run: JobRun) -> JobRun:
    try:
        with transaction.atomic():
            result = job.run(store, day)
    except Exception as exc:  # recorded on the run and tried again later; the worker goes on
        log.exception("scheduled job %s for store %s on %s failed", job.name, store.pk, day)
        run.status, run.result = JobRun.Status.FAILED, f"{type(exc).__name__}: {exc}"[:300]
    else:
        run.status, run.result = (
            JobRun.Status.SUCCEEDED,
            str("" if result is None else result)[:300],
        )
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "result", "finished_at"])
    return run


def run_due_jobs(
    *, now: datetime | None = None, jobs: dict[str, DailyJob] | None = None
) -> list[JobRun]:
    """Run every due, not yet run period of every job for every active store, oldest day
    first. Returns the runs made by this call."""
    now = now or timezone.now()
    jobs = registered_jobs() if jobs is None else jobs
    stores = list(Store.objects.filter(is_active=True).order_by("pk"))
    candidates = sorted(
        (
            (day, name, store.pk, job, store)
            for name, job in jobs.items()
            for store in stores
            for day in due_days(job, store, now)
        ),
        key=lambda c: c[:3],
    )
    if not candidates:
        return []
    known = {
        (run.job, run.store_id, run.period): run
        for run in JobRun.objects.filter(
            job__in=list(jobs), period__gte=min(c[0] for c in candidates).isoformat()
        )
    }
    done = []
    for day, name, store_id, job, store in candidates:
        run = _claim(job, store, day, known.get((name, store_id, day.isoformat())), now)
        if run is not None:
            done.append(_execute(job, store, day, run))
    return done


def run_frequent_jobs(*, now: datetime | None = None) -> int:
    """Run every frequent job once (core.schedule.frequent_job); a failing job is logged and
    does not stop the others. Returns the number of things done."""
    now = now or timezone.now()
    done = 0
    for name, func in frequent_jobs().items():
        try:
            done += int(func(now) or 0)
        except Exception:
            log.exception("frequent job %s failed", name)
    return done
