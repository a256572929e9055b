"""Scheduled jobs of insight (run by the worker; see yanzhi.core.schedule)."""

from datetime import time

from yanzhi.core.schedule import daily_job
from yanzhi.core.timeutil import store_today
from yanzhi.insight.scoring import refresh_scores


@daily_job("customer_scores", at=time(6, 30), catch_up_days=0)
def customer_scores_job(store, day) -> str:
    """Every morning, after member activity (05:30) moved customers into 沉睡: recompute the
    whole chain's scores once, as of today. The job runs per store; the first store's run of
    the day does the work, the others find the chain computed (idempotent)."""
    count = refresh_scores(store.org, day=store_today(store), once_a_day=True)
    return "already computed today" if count is None else f"{count} customers scored"
