"""Automatic leave at closing time. The worker runs this as the scheduled job
"close_open_visits" (yanzhi/visits/jobs.py) at each store's closing time; the command is for a
manual run. It closes today's open visits of every store whose closing time has passed, and catches up on
any earlier day that still has open visits (e.g. after the server was down)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from yanzhi.core.timeutil import store_datetime, store_today
from yanzhi.org.models import Store
from yanzhi.visits.models import Visit
from yanzhi.visits.services import close_open_visits


class Command(BaseCommand):
    help = "Let visits left open at closing time leave automatically (today and earlier days)."

    def handle(self, *args, **options):
        now = timezone.now()
        open_days = (
            Visit.objects.filter(left_at__isnull=True)
            .values_list("store_id", "day")
            .distinct()
            .order_by("store_id", "day")
        )
        stores = {s.pk: s for s in Store.objects.filter(pk__in={sid for sid, _ in open_days})}
        total = 0
        for store_id, day in open_days:
            store = stores[store_id]
            if day > store_today(store):
                continue
            if day == store_today(store) and now < store_datetime(store, day, store.closes_at):
                continue
            closed = close_open_visits(store, day=day)
            total += closed
            if closed:
                self.stdout.write(f"{store.name} {day}: {closed}")
        self.stdout.write(self.style.SUCCESS(f"closed {total} visit(s)"))
