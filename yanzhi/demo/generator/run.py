"""`generate()`: the chain, then the customers with their history in chunks, then the stock
ledger; each chunk one transaction written through the bulk writer. Deterministic for a seed (and
the day it runs: history ends today)."""

import multiprocessing
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from yanzhi.catalog.models import Category, Item, PackageComponent, StoreItem
from yanzhi.core.errors import BusinessError
from yanzhi.customers.models import (
    ConsentDocument,
    Customer,
    MembershipLevel,
    SourceChannel,
    Tag,
)
from yanzhi.demo.generator import people
from yanzhi.demo.generator import tables as T
from yanzhi.demo.generator.chain import build_chain
from yanzhi.demo.generator.clock import Clock
from yanzhi.demo.generator.history import HistoryBuilder
from yanzhi.demo.generator.stock import build_stock
from yanzhi.demo.generator.writers import reset_sequences, writer_for_connection
from yanzhi.followups.models import FollowupNode, FollowupRule
from yanzhi.inventory.models import Warehouse
from yanzhi.org.models import Department, Organization, Staff, StaffGroup, Store
from yanzhi.sales.models import DealDefinition

BLOCK = 1000  # customers per random stream and per unit of work
FULL_CUSTOMERS = 1_000_000
FULL_STORES = 100
TIMEZONE = "Asia/Shanghai"

# Which id counter fills which table.
ID_TABLES = {
    "customer": T.CUSTOMER,
    "customer_tags": T.CUSTOMER_TAGS,
    "store_link": T.STORE_LINK,
    "level_change": T.LEVEL_CHANGE,
    "consent": T.CONSENT,
    "appointment": T.APPOINTMENT,
    "visit": T.VISIT,
    "order": T.ORDER,
    "order_line": T.ORDER_LINE,
    "card": T.CARD,
    "payment": T.PAYMENT,
    "card_ledger": T.CARD_LEDGER,
    "entitlement": T.ENTITLEMENT,
    "entitlement_ledger": T.ENTITLEMENT_LEDGER,
    "execution": T.EXECUTION,
    "task": T.TASK,
    "attempt": T.ATTEMPT,
}
STOCK_ID_TABLES = {"receipt": T.RECEIPT, "stock_move": T.STOCK_MOVE, "stock_level": T.STOCK_LEVEL}
# Set-up tables written through the ORM: their sequences are reset first (PostgreSQL), so the
# same starting database gives the same ids.
SETUP_MODELS = [
    Organization,
    Store,
    Department,
    Staff,
    Staff.stores.through,
    StaffGroup,
    SourceChannel,
    Tag,
    MembershipLevel,
    ConsentDocument,
    DealDefinition,
    Category,
    Item,
    PackageComponent,
    StoreItem,
    Warehouse,
    FollowupRule,
    FollowupNode,
    FollowupRule.departments.through,
    FollowupRule.items.through,
]


class Progress:
    """One updating line per phase on stderr: counts, rows, rate and time left."""

    def __init__(self, stream, phase: str, total: int | None = None, unit: str = ""):
        self.stream, self.phase, self.total, self.unit = stream, phase, total, unit
        self.started = time.perf_counter()
        self.shown = 0.0
        self.done = self.rows = 0

    def update(self, done: int, rows: int, *, force: bool = False) -> None:
        self.done, self.rows = done, rows
        now = time.perf_counter()
        if self.stream is None or (not force and now - self.shown < 0.5):
            return
        self.shown = now
        elapsed = max(now - self.started, 1e-9)
        text = f"\r{self.phase}: "
        if self.total:
            left = (self.total - done) * elapsed / done if done else 0
            text += f"{done:,}/{self.total:,} {self.unit} ({100 * done / self.total:.0f} %), "
        text += f"{rows:,} rows, {rows / elapsed:,.0f} rows/s, {elapsed:,.0f} s"
        if self.total and done:
            text += f", ETA {int(left) // 60}:{int(left) % 60:02d}"
        self.stream.write(text + "   ")
        self.stream.flush()

    def end(self) -> float:
        self.update(self.done, self.rows, force=True)
        if self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()
        return time.perf_counter() - self.started


@dataclass
class Report:
    customers: int
    stores: int
    seed: int
    vendor: str
    phases: list = field(default_factory=list)  # (phase, seconds, rows)
    tables: dict = field(default_factory=dict)  # table → rows
    slowest: list = field(default_factory=list)  # (seconds, statement) of the index phase
    restore: dict = field(default_factory=dict)  # index phase: seconds per kind of statement
    workers: int = 0
    wait_seconds: float = 0.0  # the writer waiting for the next block of rows
    write_seconds: float = 0.0  # time inside the writer's calls (PostgreSQL: formatting)
    copy_seconds: float = 0.0  # PostgreSQL: the COPY thread's time, alongside the builder
    blocked_seconds: float = 0.0  # PostgreSQL: the builder waiting for the COPY thread

    def lines(self) -> list[str]:
        out = [
            f"{self.customers:,} customers, {self.stores} stores, seed {self.seed}, {self.vendor}",
            f"{'phase':<10} {'seconds':>9} {'rows':>12} {'rows/s':>10}",
        ]
        for phase, seconds, rows in self.phases:
            out.append(
                f"{phase:<10} {seconds:>9.1f} {rows:>12,} {rows / max(seconds, 1e-9):>10,.0f}"
            )
        out.append(
            f"history: {self.workers} worker process(es) building rows; the writer spent "
            f"{self.write_seconds:.1f} s writing and {self.wait_seconds:.1f} s waiting for rows"
        )
        if self.copy_seconds:
            out.append(
                f"history: COPY ran {self.copy_seconds:.1f} s in its thread, alongside; the "
                f"writer waited {self.blocked_seconds:.1f} s of its time for it"
            )
        if self.restore:
            out.append(
                "index phase: "
                + ", ".join(f"{kind} {seconds:.1f} s" for kind, seconds in self.restore.items())
            )
        if self.slowest:
            out.append("slowest index / foreign key statements:")
            out.extend(
                f"  {seconds:6.1f} s  {statement[:100]}" for seconds, statement in self.slowest
            )
        out.append("rows per table:")
        for name, rows in sorted(self.tables.items(), key=lambda kv: -kv[1]):
            out.append(f"  {name:<32} {rows:>12,}")
        return out


def scaled_stores(customers: int) -> int:
    return max(2, round(FULL_STORES * customers / FULL_CUSTOMERS))


_BUILDER: HistoryBuilder | None = None  # inherited by forked workers
_SEED = 0


def _build_block(block: int) -> dict:
    return _BUILDER.build_block(block, BLOCK, _SEED, T.HISTORY_TABLES).by_table


def _blocks(builder: HistoryBuilder, seed: int, count: int, workers: int):
    """The rows of every block, in block order: built here (workers=0) or by forked worker
    processes, at most two blocks per worker ahead of the writer (memory stays bounded). The
    workers are forked here, before the writer's COPY thread starts."""
    global _BUILDER, _SEED
    if workers <= 0:
        return (
            builder.build_block(block, BLOCK, seed, T.HISTORY_TABLES).by_table
            for block in range(count)
        )
    _BUILDER, _SEED = builder, seed
    pool = multiprocessing.get_context("fork").Pool(workers)
    return _pooled(pool, count, workers)


def _pooled(pool, count: int, workers: int):
    global _BUILDER
    try:
        pending: deque = deque()
        submitted = 0
        for _n in range(count):
            while submitted < count and len(pending) < 2 * workers:
                pending.append(pool.apply_async(_build_block, (submitted,)))
                submitted += 1
            yield pending.popleft().get()
    finally:
        pool.terminate()
        pool.join()
        _BUILDER = None


def _make_unique(
    customer_rows: list, registry: people.Registry, base: int, link_rows: list = ()
) -> int:
    """Phones and ID numbers unique in the chain, in customer order, with the phone tails
    the customers' store links copy; returns redraws."""
    redrawn = 0
    tails = {}
    for n, row in enumerate(customer_rows):
        index = row[0] - base
        phone = registry.unique_phone(index, row[8])
        id_card = registry.unique_id_card(index, row[10], row[6])
        if phone != row[8] or id_card != row[10]:
            row = list(row)
            row[8], row[22], row[10] = phone, phone[-4:], id_card
            customer_rows[n] = tuple(row)
            tails[row[0]] = row[22]
            redrawn += 1
    for n, link in enumerate(link_rows):
        if link[2] in tails and link[-1] != tails[link[2]]:
            link_rows[n] = (*link[:-1], tails[link[2]])
    return redrawn


# Builder processes by default: none. Measured at 100,000 customers on the 2-core benchmark
# machine (docs/benchmarks.md), building in the writing process beat 1 and 2 forked builders:
# the builders, the writer and PostgreSQL then compete for the same two cores.
DEFAULT_WORKERS = 0


def default_workers() -> int:
    return DEFAULT_WORKERS


def generate(
    *,
    customers: int = FULL_CUSTOMERS,
    stores: int | None = None,
    years: int = 3,
    seed: int = 2026,
    workers: int | None = None,
    stream=sys.stderr,
) -> Report:
    """Fill an empty (migrated) database with a generated chain. Refuses a database that already
    has customers. The output depends on the seed, the sizes and the day it runs, not on the
    number of workers."""
    if Customer.objects.exists():
        raise BusinessError(
            "not_empty", "the database already has customers: generate_chain fills an empty one"
        )
    if customers < 1 or years < 1:
        raise BusinessError("invalid_size", "customers and years must be at least 1")
    T.check_columns()
    stores = stores or scaled_stores(customers)
    workers = default_workers() if workers is None else workers
    writer = writer_for_connection()
    clock = Clock(now=timezone.now(), timezone=TIMEZONE, vendor=writer.vendor)
    report = Report(
        customers=customers, stores=stores, seed=seed, vendor=writer.vendor, workers=workers
    )

    progress = Progress(stream, "chain")
    reset_sequences(SETUP_MODELS)
    start = clock.datetime(clock.at(clock.today - int(years * 365), 0)) - timedelta(days=1)
    with transaction.atomic():
        world = build_chain(stores=stores, seed=seed, start=start)
    setup_rows = Store.objects.count() + Staff.objects.count() + StoreItem.objects.count()
    progress.update(1, setup_rows)
    report.phases.append(("chain", progress.end(), setup_rows))

    blocks = (customers + BLOCK - 1) // BLOCK
    bases = {key: writer.next_id(table.name) for key, table in ID_TABLES.items()}
    builder = HistoryBuilder(
        world, clock, customers=customers, years=years, bases=bases, stride=blocks
    )
    registry = people.Registry(seed)
    # One transaction for the history, the stock and the restored constraints: a failure
    # leaves the database as the chain phase left it.
    with transaction.atomic():
        writer.prepare(T.ALL_TABLES)
        progress = Progress(stream, "history", customers, "customers")
        written = done = 0
        waited = time.perf_counter()
        built = _blocks(builder, seed, blocks, workers)
        with writer.stream() as write:
            for tables in built:
                report.wait_seconds += time.perf_counter() - waited
                links = tables[T.STORE_LINK.name]
                customer_rows = tables[T.CUSTOMER.name]
                _make_unique(customer_rows, registry, bases["customer"], links)
                before = writer.seconds
                for table in T.HISTORY_TABLES:
                    write(table, tables[table.name])
                report.write_seconds += writer.seconds - before
                done += len(customer_rows)
                written += sum(len(rows) for rows in tables.values())
                progress.update(done, written)
                del tables, customer_rows, links
                waited = time.perf_counter()
        report.copy_seconds = getattr(writer, "copy_seconds", 0.0)
        report.blocked_seconds = getattr(writer, "blocked_seconds", 0.0)
        report.phases.append(("history", progress.end(), written))

        progress = Progress(stream, "stock")
        writer.analyze([T.ORDER, T.ORDER_LINE])  # the stock query plans on real sizes
        ids = {key: writer.next_id(table.name) for key, table in STOCK_ID_TABLES.items()}
        stock_rows = build_stock(
            world, clock, writer, ids, progress=lambda n: progress.update(0, n)
        )
        progress.update(0, stock_rows)
        report.phases.append(("stock", progress.end(), stock_rows))

        steps = getattr(writer, "restore_steps", 0)
        progress = Progress(stream, "indexes", steps or None, "indexes and foreign keys")
        writer.restore(progress=lambda n: progress.update(n, 0))
        report.phases.append(("indexes", progress.end(), 0))

        progress = Progress(stream, "finish")
        writer.finish(T.ALL_TABLES)
    writer.analyze(T.ALL_TABLES)
    report.phases.append(("finish", progress.end(), 0))
    report.tables = dict(writer.rows)
    report.slowest = list(getattr(writer, "slowest", []))
    report.restore = dict(getattr(writer, "restore_seconds", {}))
    return report
