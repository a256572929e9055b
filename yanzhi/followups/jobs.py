"""Scheduled jobs of the follow-ups app (run by the worker; see yanzhi.core.schedule)."""

from datetime import time

from django.utils.translation import gettext_lazy as _

from yanzhi.core.schedule import daily_job, frequent_job
from yanzhi.followups.services import send_due_sms_tasks
from yanzhi.followups.triggers import SCHEDULED_TRIGGERS, days_to_process, run_store_trigger


@daily_job("followup_triggers", at=time(6, 0), label=_("定时回访规则"))
def followup_triggers_job(store, day) -> str:
    """Early morning, before the first calling window: the time-based rules (paid but not
    executed for N days, birthdays) create the store's tasks. Each trigger remembers the days it
    has processed, so a day is never processed twice, whoever runs it."""
    created = 0
    for trigger in SCHEDULED_TRIGGERS:
        for each in days_to_process(store, trigger, day):
            created += run_store_trigger(store, trigger, each) or 0
    return f"{created} task(s)"


@frequent_job("send_sms_followups")
def send_sms_followups_job(now) -> int:
    """SMS follow-ups go out as soon as they fall due (inside the calling windows)."""
    return send_due_sms_tasks(now)
