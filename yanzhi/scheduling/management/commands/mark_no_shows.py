"""End of day: appointments still booked on a store's previous day become no-shows.

The worker runs this nightly as the scheduled job "mark_no_shows" (yanzhi/scheduling/jobs.py);
the command is for a manual run or a given --day. It is idempotent: running it twice changes nothing.
"""

from datetime import date, timedelta

from django.core.management.base import BaseCommand

from yanzhi.core.timeutil import store_today
from yanzhi.org.models import Store
from yanzhi.scheduling.services import mark_no_shows


class Command(BaseCommand):
    help = "Mark appointments still booked on each store's previous local day as no-shows."

    def add_arguments(self, parser):
        parser.add_argument(
            "--day", type=date.fromisoformat, help="YYYY-MM-DD (default: yesterday)"
        )

    def handle(self, *args, day=None, **options):
        total = 0
        for store in Store.objects.filter(is_active=True).order_by("pk"):
            target = day or store_today(store) - timedelta(days=1)
            total += mark_no_shows(store, day=target)
        self.stdout.write(f"{total} appointment(s) marked as no-show")
