"""Recompute the visit and deal facts of every customer summary from history.

    manage.py rebuild_customer_summaries [--org CODE]

One UPDATE with correlated subqueries per kind of fact (no loop over customers), after creating
any missing summary rows in bulk: visit facts from the visits table, deal facts (deal count,
first/second/last deal) from the deal orders. It lives in the sales app because it needs both.
Money and course facts are left as they are (check_balances verifies the ledgers)."""

from django.core.management.base import BaseCommand, CommandError

from yanzhi.org.models import Organization
from yanzhi.sales.summaries import rebuild_deal_facts
from yanzhi.visits.services import rebuild_visit_facts


class Command(BaseCommand):
    help = "Recompute customer summaries' visit and deal facts from history."

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
        rebuild_deal_facts(org_id)
        self.stdout.write(self.style.SUCCESS(f"rebuilt {count} customer summaries"))
