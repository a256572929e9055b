"""Scheduled jobs of the treatments app (run by the worker; see yanzhi.core.schedule)."""

from datetime import time

from django.utils.translation import gettext_lazy as _

from yanzhi.core.schedule import daily_job
from yanzhi.treatments.services import expire_entitlements


@daily_job("expire_courses", at=time(0, 5), label=_("疗程到期"))
def expire_courses_job(store, day) -> str:
    """Just after midnight: courses whose expiry date has passed are closed."""
    return f"{expire_entitlements(store, day=day)} course(s)"
