"""Load a demo chain: three stores, staff of every role, a few hundred customers with history.

Deterministic for a seed. Everything is written through the services, so summaries, audit rows
and rules are exactly what real use produces.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from yanzhi.demo.build import DEMO_PASSWORD, build_demo
from yanzhi.org.models import Organization


class Command(BaseCommand):
    help = "Load the demo chain (悦颜医美) with staff, customers and history."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if any chain exists"
        )
        parser.add_argument("--customers", type=int, default=300)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, if_empty=False, customers=300, seed=2026, **options):
        if if_empty and Organization.objects.exists():
            self.stdout.write("demo data already present; skipping")
            return
        with transaction.atomic():
            summary = build_demo(customers=customers, seed=seed, log=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(f"demo chain loaded: {summary} (password {DEMO_PASSWORD})")
        )
