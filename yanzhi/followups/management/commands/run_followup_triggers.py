"""Run the time-based follow-up triggers (paid but not executed, birthdays) for every store.

Idempotent: each store and trigger remembers the days it has processed, so running the same day
twice creates nothing, and a day the schedule missed is processed on the next run (at most 7
days back)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from yanzhi.followups.triggers import run_scheduled_triggers


class Command(BaseCommand):
    help = "Create the follow-up tasks of the time-based rules (catching up missed days)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="process up to this day (YYYY-MM-DD); default today")
        parser.add_argument("--org", type=int, help="only this organization id")

    def handle(self, *args, date=None, org=None, **options):
        day = None
        if date:
            try:
                day = _parse(date)
            except ValueError as error:
                raise CommandError(f"--date must be YYYY-MM-DD: {error}") from None
        totals = run_scheduled_triggers(day=day, org_id=org)
        for trigger, count in totals.items():
            self.stdout.write(f"{trigger}: {count} task(s) created")


def _parse(value: str) -> date:
    return date.fromisoformat(value)
