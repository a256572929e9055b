"""Timing, SQL capture and statistics for the benchmark suite (docs/benchmarks.md).

Every operation runs in-process through Django's test client (URL routing, middleware, views,
templates, the same code a real request runs; the HTTP server itself is measured by bench/load.py).
The SQL it issues is captured with a connection execute wrapper: number of statements and time
spent in the database driver, and the longest statement ("main": on a page or report, the one
that fetches its rows). The operation's reference is hand-written SQL for the same rows, run on
the same connection's raw DB-API cursor (psycopg on PostgreSQL, sqlite3 on SQLite); ×ref is the
main statement's time over the reference's (the query shape), and "other" the time outside SQL
(Python, templates)."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection


@dataclass
class SqlMeter:
    """Counts statements and sums their time while installed (connection.execute_wrapper)."""

    count: int = 0
    seconds: float = 0.0
    slowest: float = 0.0  # the longest statement: on a page, the one that fetches its rows

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - start
            self.seconds += took
            self.slowest = max(self.slowest, took)
            self.count += 1


@dataclass
class Operation:
    name: str
    label: str
    run: Callable[[int], object]  # performs iteration i, raises on a wrong answer
    reference: Callable[[int], object] | None = None  # raw SQL for the same rows
    group: str = "read"  # read | write | report
    setup: Callable[[int], object] | None = (
        None  # untimed, before iteration i (e.g. an order to pay)
    )
    # untimed, after iteration i (e.g. the customer who arrived leaves again, so that the
    # store's day does not grow with every benchmark run)
    teardown: Callable[[int], object] | None = None


@dataclass
class Result:
    name: str
    label: str
    group: str
    latencies: list[float] = field(default_factory=list)
    sql_seconds: list[float] = field(default_factory=list)
    slowest_sql_seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    reference_seconds: list[float] = field(default_factory=list)
    wall: float = 0.0
    error: str = ""

    @staticmethod
    def _pct(values: list[float], p: float) -> float:
        if not values:
            return float("nan")
        ordered = sorted(values)
        k = (len(ordered) - 1) * p
        low, high = int(k), min(int(k) + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (k - low)

    def summary(self) -> dict:
        ms = [v * 1000 for v in self.latencies]
        sql_ms = [v * 1000 for v in self.sql_seconds]
        outside = [a - b for a, b in zip(ms, sql_ms, strict=True)]
        ref_ms = [v * 1000 for v in self.reference_seconds]
        sql_p50 = self._pct(sql_ms, 0.5)
        main_p50 = self._pct([v * 1000 for v in self.slowest_sql_seconds], 0.5)
        ref_p50 = self._pct(ref_ms, 0.5) if ref_ms else None
        return {
            "name": self.name,
            "label": self.label,
            "group": self.group,
            "n": len(ms),
            "p50_ms": self._pct(ms, 0.5),
            "p95_ms": self._pct(ms, 0.95),
            "p99_ms": self._pct(ms, 0.99),
            "ops_per_s": len(ms) / self.wall if self.wall else float("nan"),
            "queries": statistics.median(self.queries) if self.queries else 0,
            "queries_min": min(self.queries) if self.queries else 0,
            "queries_max": max(self.queries) if self.queries else 0,
            "sql_p50_ms": sql_p50,
            "main_sql_p50_ms": main_p50,
            "outside_sql_p50_ms": self._pct(outside, 0.5),
            "reference_p50_ms": ref_p50,
            # the statement that fetches the rows against hand-written SQL for the same rows
            "sql_vs_reference": (main_p50 / ref_p50) if ref_p50 else None,
            "error": self.error,
        }


def raw_query(sql: str, params=()) -> list[tuple]:
    """Hand-written SQL on the raw driver cursor (no Django in between)."""
    connection.ensure_connection()
    raw = connection.connection.cursor()
    try:
        if connection.vendor == "sqlite":
            sql = sql.replace("%s", "?")
        raw.execute(sql, params)
        return raw.fetchall()
    finally:
        raw.close()


def measure(op: Operation, iterations: int, warmup: int = 3) -> Result:
    result = Result(op.name, op.label, op.group)
    try:
        for i in range(warmup):
            if op.setup is not None:
                op.setup(i)
            op.run(i)
            if op.teardown is not None:
                op.teardown(i)
        wall = 0.0
        for i in range(warmup, warmup + iterations):
            if op.setup is not None:
                op.setup(i)
            meter = SqlMeter()
            t0 = time.perf_counter()
            with connection.execute_wrapper(meter):
                op.run(i)
            result.latencies.append(time.perf_counter() - t0)
            wall += result.latencies[-1]
            result.sql_seconds.append(meter.seconds)
            result.slowest_sql_seconds.append(meter.slowest)
            result.queries.append(meter.count)
            if op.teardown is not None:
                op.teardown(i)
        result.wall = wall
        if op.reference is not None:
            for i in range(warmup, warmup + iterations):
                t0 = time.perf_counter()
                op.reference(i)
                result.reference_seconds.append(time.perf_counter() - t0)
    except Exception as exc:  # one failing operation must not hide the others' figures
        result.error = f"{type(exc).__name__}: {exc}"[:300]
    return result


def format_table(summaries: list[dict]) -> str:
    head = (
        f"{'operation':<28} {'n':>5} {'p50':>8} {'p95':>8} {'p99':>8} {'ops/s':>8} "
        f"{'SQL#':>9} {'SQL p50':>8} {'main':>8} {'other':>8} {'ref':>8} {'×ref':>6}"
    )
    lines = [head, "-" * len(head)]
    for s in summaries:
        if s["error"]:
            lines.append(f"{s['name']:<28} ERROR {s['error']}")
            continue
        spread = (
            f"{s['queries']:.0f}"
            if s["queries_min"] == s["queries_max"]
            else f"{s['queries_min']}-{s['queries_max']}"
        )
        ref = f"{s['reference_p50_ms']:8.2f}" if s["reference_p50_ms"] is not None else f"{'—':>8}"
        ratio = (
            f"{s['sql_vs_reference']:6.2f}" if s["sql_vs_reference"] is not None else f"{'—':>6}"
        )
        lines.append(
            f"{s['name']:<28} {s['n']:>5} {s['p50_ms']:8.2f} {s['p95_ms']:8.2f} "
            f"{s['p99_ms']:8.2f} {s['ops_per_s']:8.1f} {spread:>9} {s['sql_p50_ms']:8.2f} "
            f"{s['main_sql_p50_ms']:8.2f} {s['outside_sql_p50_ms']:8.2f} {ref} {ratio}"
        )
    return "\n".join(lines)
