"""Recompute every balance from its ledger and report the mismatches (exit status 1 if any).

There is deliberately no --rebuild: a balance that disagrees with its ledger means a bug or a
manual edit, and needs investigating, not overwriting."""

from django.core.management.base import BaseCommand, CommandError

from yanzhi.core.balances import checks


class Command(BaseCommand):
    help = "Check every balance (stock, …) against the sum of its ledger rows."

    def add_arguments(self, parser):
        parser.add_argument("--only", action="append", help="run only this check (repeatable)")

    def handle(self, *args, only=None, **options):
        registered = checks()
        unknown = set(only or []) - set(registered)
        if unknown:
            raise CommandError(f"unknown check(s): {', '.join(sorted(unknown))}")
        problems = 0
        for name, check in registered.items():
            if only and name not in only:
                continue
            mismatches = list(check())
            problems += len(mismatches)
            if not mismatches:
                self.stdout.write(f"{name}: ok")
                continue
            self.stdout.write(f"{name}: {len(mismatches)} mismatch(es)")
            for m in mismatches:
                self.stdout.write(f"  {m.key}: stored {m.stored}, ledger {m.recomputed}")
        if problems:
            raise CommandError(f"{problems} balance(s) differ from their ledgers")
