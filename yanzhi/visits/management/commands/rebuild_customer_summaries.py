"""Recompute the visit facts of every customer summary from the visits table.

    manage.py rebuild_customer_summaries [--org CODE]

One UPDATE with correlated subqueries per organization (no loop over customers), after creating
any missing summary rows in bulk. Deal and course facts belong to the sales app's history and are
left as they are."""

from django.core.management.base import BaseCommand, CommandError

from yanzhi.org.models import Organization
from yanzhi.visits.services import rebuild_visit_facts


class Command(BaseCommand):
    help = "Recompute customer summaries' visit facts from the visits table."

    def add_arguments(self, parser):
        parser.add_argument("--org", help="organization code (default: all organizations)")

    def handle(self, *args, org=None, **options):
        org_id = None
        if org:
            found = Organization.objects.filter(code=org).first()
            if found is None:
                raise CommandError(f"no organization with code {org!r}")
            org_id = found.pk
        count = rebuild_visit_facts(org_id)
        self.stdout.write(self.style.SUCCESS(f"rebuilt {count} customer summaries"))
