"""Scheduled jobs of the scheduling app (run by the worker; see yanzhi.core.schedule)."""

from datetime import time, timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from yanzhi.core.schedule import daily_job
from yanzhi.scheduling.services import mark_no_shows, queue_appointment_reminders


@daily_job("mark_no_shows", at=time(0, 10), label=_("标记爽约"))
def mark_no_shows_job(store, day) -> str:
    """Just after midnight: the previous day's appointments still booked become no-shows."""
    return f"{mark_no_shows(store, day=day - timedelta(days=1))} no-show(s)"


# Reminders for yesterday's tomorrow are useless: a missed day is not caught up, only a late
# run on the same day.
@daily_job(
    "appointment_reminders",
    at=lambda store: time.fromisoformat(settings.APPOINTMENT_REMINDER_AT),
    catch_up_days=0,
    label=_("预约提醒短信"),
)
def appointment_reminders_job(store, day) -> str:
    """The day before: one reminder SMS per appointment booked for tomorrow."""
    return f"{queue_appointment_reminders(store, day=day + timedelta(days=1))} reminder(s)"
