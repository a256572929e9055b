"""Scheduled jobs of the visits app (run by the worker; see yanzhi.core.schedule)."""

from django.utils.translation import gettext_lazy as _

from yanzhi.core.schedule import daily_job
from yanzhi.visits.models import Visit
from yanzhi.visits.services import close_open_visits


@daily_job("close_open_visits", at=lambda store: store.closes_at, label=_("营业结束自动离店"))
def close_open_visits_job(store, day) -> str:
    """At closing time: visits still open leave automatically, today's and any earlier day's
    left open (e.g. while the server was down)."""
    days = (
        Visit.objects.filter(store_id=store.pk, day__lte=day, left_at__isnull=True)
        .values_list("day", flat=True)
        .distinct()
        .order_by("day")
    )
    return f"{sum(close_open_visits(store, day=open_day) for open_day in list(days))} visit(s)"
