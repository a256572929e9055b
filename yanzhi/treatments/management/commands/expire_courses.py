"""Close the courses whose expiry date has passed. The worker runs this daily as the scheduled
job "expire_courses" (yanzhi/treatments/jobs.py); running it again changes nothing."""

from django.core.management.base import BaseCommand

from yanzhi.core.timeutil import store_today
from yanzhi.org.models import Store
from yanzhi.treatments.services import expire_entitlements


class Command(BaseCommand):
    help = "Expire courses (疗程) past their expiry date, per store, on the store's own date."

    def handle(self, *args, **options):
        total = 0
        for store in Store.objects.order_by("pk"):
            total += expire_entitlements(store, day=store_today(store))
        self.stdout.write(f"{total} course(s) expired")
