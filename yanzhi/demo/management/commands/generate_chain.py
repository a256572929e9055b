"""Fill an empty database with a generated chain for benchmarks:

    manage.py generate_chain                       # 100 stores, 1,000,000 customers, 3 years
    manage.py generate_chain --customers 10000     # everything scaled down (stores too, ≥ 2)
    manage.py generate_chain --customers 10000 --stores 5 --years 2 --seed 7

Deterministic for a seed (history ends today). Staff sign in with the password
"Yanzhi-bench-2026" (e.g. lr-hq, lr-s001-consultant1). Progress goes to stderr.
"""

from django.core.management.base import BaseCommand, CommandError

from yanzhi.core.errors import BusinessError
from yanzhi.demo.generator.chain import BENCH_PASSWORD
from yanzhi.demo.generator.run import generate


class Command(BaseCommand):
    help = "Generate a chain with customers and years of history (bulk writes; empty DB only)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--stores", type=int, default=None, help="default: scaled, ≥ 2")
        parser.add_argument("--years", type=int, default=3)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="forked processes building rows (default 0: built in this process, the fastest "
            "measured on a 2-core machine; the output does not depend on it)",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress display")

    def handle(self, *args, customers, stores, years, seed, workers, quiet, **options):
        try:
            report = generate(
                customers=customers,
                stores=stores,
                years=years,
                seed=seed,
                workers=workers,
                stream=None if quiet else self.stderr._out,
            )
        except BusinessError as error:
            raise CommandError(error.message) from None
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"chain generated; staff password {BENCH_PASSWORD}"))
