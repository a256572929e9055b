"""Scheduled jobs of the follow-ups app (run by the worker; see yanzhi.core.schedule)."""

from datetime import time

from yanzhi.core.schedule import daily_job
from yanzhi.followups.triggers import SCHEDULED_TRIGGERS, days_to_process, run_store_trigger


@daily_job("followup_triggers", at=time(6, 0))
def followup_triggers_job(store, day) -> str:
    """Early morning, before the first calling window: the time-based rules (paid but not
    executed for N days, birthdays) create the store's tasks. Each trigger remembers the days it
    has processed, so a day is never processed twice, whoever runs it."""
    created = 0
    for trigger in SCHEDULED_TRIGGERS:
        for each in days_to_process(store, trigger, day):
            created += run_store_trigger(store, trigger, each) or 0
    return f"{created} task(s)"
