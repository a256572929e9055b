"""The registry of scheduled jobs. An app registers a job in its own `jobs.py`, which the worker
imports at start (yanzhi.messaging.schedule runs them):

    from yanzhi.core.schedule import daily_job

    @daily_job("mark_no_shows", at=time(0, 10))
    def mark_no_shows_job(store, day):
        return mark_no_shows(store, day=day - timedelta(days=1))

A daily job runs once per store and store-local day, at `at` in the store's timezone (a time,
or a function of the store, e.g. its closing time). Its function gets the store and the day
it runs for and returns a short result (a count or a text) that is kept with the run. Jobs
must be idempotent: a run that failed is tried again, and after downtime the worker catches up
missed days oldest first (at most `catch_up_days` back; 0 = only today's run, late).

A frequent job (`@frequent_job("send_sms_followups")`) runs on every pass of the worker's
schedule (about every 30 seconds) with the current time, for work that falls due at a moment
rather than on a day (an SMS follow-up due at 11:00). It must be idempotent and bounded (a batch
per pass), and return how many things it did.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time


@dataclass(frozen=True)
class DailyJob:
    name: str
    func: Callable[..., object]
    at: time | Callable[..., time]
    catch_up_days: int | None = None  # None: settings.SCHEDULE_CATCH_UP_DAYS
    label: str = ""  # what staff read on the job-run page (a lazy translation)

    def time_for(self, store) -> time:
        return self.at(store) if callable(self.at) else self.at

    def run(self, store, day: date) -> object:
        return self.func(store, day)


_jobs: dict[str, DailyJob] = {}


def daily_job(name: str, *, at, catch_up_days: int | None = None, label=""):
    """Register the decorated function as the daily job `name` (see the module docstring)."""

    def register(func):
        _jobs[name] = DailyJob(
            name=name, func=func, at=at, catch_up_days=catch_up_days, label=label or name
        )
        return func

    return register


_frequent: dict[str, Callable[..., int]] = {}


def frequent_job(name: str):
    """Register the decorated function(now) as the frequent job `name`."""

    def register(func):
        _frequent[name] = func
        return func

    return register


def frequent_jobs() -> dict[str, Callable[..., int]]:
    registered_jobs()
    return dict(sorted(_frequent.items()))


def registered_jobs() -> dict[str, DailyJob]:
    """Every app's jobs: imports each installed app's `jobs` module once."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("jobs")
    return dict(sorted(_jobs.items()))
