"""Scheduled jobs of the sales app (run by the worker; see yanzhi.core.schedule)."""

from datetime import time

from django.utils.translation import gettext_lazy as _

from yanzhi.core.schedule import daily_job
from yanzhi.sales.membership import refresh_all


@daily_job("refresh_member_levels", at=time(1, 0), catch_up_days=0, label=_("会员等级更新"))
def refresh_member_levels_job(store, day) -> str:
    """At night, each store's customers get the level their rolling spend reaches: spend that
    has left the window lowers it. A missed night needs no catch-up: the next run recomputes
    from the payments."""
    result = refresh_all(store.org_id, day, store_id=store.pk)
    return f"{result.customers} customer(s), {result.up} up, {result.down} down"
