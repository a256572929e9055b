"""Scheduled jobs of the customers app (run by the worker; see yanzhi.core.schedule)."""

from datetime import time

from django.utils.translation import gettext_lazy as _

from yanzhi.core.schedule import daily_job
from yanzhi.customers.activity import refresh_store


@daily_job("member_activity", at=time(5, 30), label=_("会员活跃度更新"))
def member_activity_job(store, day) -> str:
    """Early morning, before the time-based follow-up rules (06:00): customers move into
    沉睡 / 深度睡眠 as days pass (新会员 into 活跃 too); each one who falls asleep emits
    `customer.became_sleeping`. Idempotent: a second run of the day moves nobody."""
    return str(refresh_store(store, day))
