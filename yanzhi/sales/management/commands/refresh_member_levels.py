"""Recompute every customer's rolling spend and membership level (run daily: spend older than
the window leaves it, so levels go down; running it again changes nothing)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from yanzhi.sales.membership import refresh_all


class Command(BaseCommand):
    help = "Recompute rolling spend and membership levels (会员等级) of every customer."

    def add_arguments(self, parser):
        parser.add_argument("--org", type=int, default=None, help="only this chain (id)")
        parser.add_argument("--date", default=None, help="as of this day (YYYY-MM-DD)")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **options):
        today = None
        if options["date"]:
            try:
                today = date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date must be YYYY-MM-DD") from None
        result = refresh_all(options["org"], today, batch_size=max(1, options["batch_size"]))
        self.stdout.write(
            f"{result.customers} customer(s): {result.up} up, {result.down} down, "
            f"{result.spend_only} spend only, {result.unchanged} unchanged"
        )
