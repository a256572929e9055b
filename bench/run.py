#!/usr/bin/env python
"""The benchmark suite (issue 6, docs/benchmarks.md): every operation's latency (p50/p95/p99),
operations per second, SQL statements per operation, SQL time against hand-written SQL for the
same rows, and the time spent outside SQL.

    DATABASE_URL=postgres://… .venv/bin/python bench/run.py --iterations 200
    .venv/bin/python bench/run.py --iterations 5          # the configured SQLite database

Run it on a database made by `manage.py generate_chain`; the write operations add rows (run on a
bench database, never on a clinic's)."""

import argparse
import json
import os
import platform
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yanzhi.settings")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated operation names")
    parser.add_argument("--skip-writes", action="store_true")
    parser.add_argument("--json", default="", help="write the figures to this file")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    from bench.harness import format_table, measure
    from bench.operations import build_context, operations

    ctx = build_context()
    only = {name for name in args.only.split(",") if name}
    chosen = [
        op
        for op in operations(ctx)
        if (not only or op.name in only) and not (args.skip_writes and op.group == "write")
    ]
    from yanzhi.customers.models import Customer

    customers = Customer.objects.filter(org_id=ctx.store.org_id).count()
    print(
        f"# {connection.vendor} · {customers:,} customers · store {ctx.store.name} · "
        f"{args.iterations} iterations · {platform.node()} ({os.cpu_count()} cpu)",
        flush=True,
    )
    summaries = []
    for op in chosen:
        summary = measure(op, args.iterations, args.warmup).summary()
        summaries.append(summary)
        print(format_table([summary]).splitlines()[-1], flush=True)
    print()
    print(format_table(summaries))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "at": datetime.now().isoformat(timespec="seconds"),
                    "database": connection.vendor,
                    "customers": customers,
                    "iterations": args.iterations,
                    "operations": summaries,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    failed = [s["name"] for s in summaries if s["error"]]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed or not summaries else 0


if __name__ == "__main__":
    sys.exit(main())
