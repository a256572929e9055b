"""Bulk writers: binary COPY on PostgreSQL (psycopg 3), executemany on SQLite. Rows are tuples
(or lists) in the column order of their `tables.Table`; values are already what the writer sends
(`clock.Clock` makes moments, days and money for the database in use; ints; bools; str; None)."""

import hashlib
import queue
import sys
import threading
import time
from contextlib import contextmanager

from django.db import connection
from psycopg.copy import Copy
from psycopg.copy import Writer as CopyWriter

from yanzhi.demo.generator.tables import Table, has_id


class Writer:
    vendor = ""

    def __init__(self):
        self.seconds = 0.0  # time spent inside the database calls
        self.rows: dict[str, int] = {}

    def write(self, table: Table, rows) -> None:
        if not rows:
            return
        started = time.perf_counter()
        self._write(table, rows)
        self.seconds += time.perf_counter() - started
        self.rows[table.name] = self.rows.get(table.name, 0) + len(rows)

    def _write(self, table: Table, rows) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def next_id(self, table_name: str, column: str = "id") -> int:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT MAX("{column}") FROM "{table_name}"')
            (value,) = cursor.fetchone()
        return (value or 0) + 1

    @contextmanager
    def stream(self):
        """`write` for the history's blocks; a writer may hand the rows to the database while
        the caller builds the next block. Everything is written when the block exits."""
        yield self.write

    def prepare(self, tables) -> None:
        """Before the first chunk."""

    def restore(self, progress=None) -> None:
        """After the last chunk, before the sequences."""

    def finish(self, tables) -> None:
        """After the last chunk (sequences, statistics)."""


class PostgresWriter(Writer):
    """COPY into bare tables: the loaded tables' foreign keys (and those of other tables that
    point at them), primary keys, unique constraints and secondary indexes are dropped for the
    load and recreated (and so validated) after it. Checking each row's foreign keys as it
    arrives costs far more than one validating join per key at the end, and one sort per index
    far less than inserting rows whose ids interleave across blocks into a B-tree bigger than
    shared_buffers (docs/benchmarks.md has the figures). The whole load is one transaction, so
    a failure leaves the schema and data as they were.

    The rows go in as binary COPY: PostgreSQL then reads fixed-width ints instead of parsing text
    (15–40 % less server time per row, measured), and psycopg formats them in C with less work
    than text. Each column is sent as the wire type its value has (`WIRE_TYPES`). The loaded
    tables are TRUNCATEd in the load's transaction (only the empty ones), so the history's COPYs
    can use FREEZE: rows written frozen and all-visible, never rewritten later for hint bits or
    freezing, and with `wal_level = minimal` not WAL-logged at all (docs/benchmarks.md). During
    the history the COPYs run in a thread while the caller builds the next block: the builder
    and PostgreSQL each keep one of the two cores busy instead of taking turns."""

    vendor = "postgresql"
    # format_type() of a column → the type whose binary psycopg writes for its values. Moments and
    # days come as ints (microseconds / days since 2000-01-01, the binary of timestamptz and
    # date), amounts and JSON as their binary, pre-encoded (clock.Clock). A column of another
    # type stops the load before anything is written.
    WIRE_TYPES = {
        "bigint": "int8",
        "integer": "int4",
        "smallint": "int2",
        "boolean": "bool",
        "text": "text",
        "character varying": "text",
        "timestamp with time zone": "int8",
        "date": "int4",
        "numeric": "bytea",
        "jsonb": "bytea",
    }
    QUEUE_TABLES = 40  # formatted tables waiting for the COPY thread (about two blocks)
    # The COPY thread needs the GIL for a moment per 128 KiB psycopg sends, and the builder
    # holds it: with Python's default 5 ms switch interval, the thread spent most of its time
    # waiting for it (68 s of COPY for 100,000 customers, PostgreSQL's share ~25 s).
    SWITCH_INTERVAL = 0.0005
    # Index builds sort in memory (and in parallel workers, each with a share of it); the
    # foreign-key validation joins hash with it too (PostgreSQL uses maintenance_work_mem there).
    MAINTENANCE_WORK_MEM = "1GB"
    PARALLEL_MAINTENANCE_WORKERS = 2

    def __init__(self, *, drop_constraints: bool = True):
        super().__init__()
        self.drop_constraints = drop_constraints
        self.foreign_keys: list[tuple[str, str, str]] = []
        self.keys: list[tuple[str, str, str]] = []  # primary keys and unique constraints
        self.indexes: list[tuple[str, str, str]] = []  # (table, index, definition)
        self.slowest: list[tuple[float, str]] = []  # (seconds, statement) of the restore
        self.restore_seconds: dict[str, float] = {}  # indexes (keys too) / foreign keys
        self.wire_types: dict[str, list[str]] = {}  # table → psycopg type per column
        self.truncated: set[str] = set()  # emptied in this transaction: COPY may FREEZE
        self.copy_seconds = 0.0  # the COPY thread's time in COPY (alongside the builder)
        self.blocked_seconds = 0.0  # the caller waiting for the COPY thread to take rows
        self._format_cursor = None

    @property
    def restore_steps(self) -> int:
        return len(self.indexes) + len(self.keys) + len(self.foreign_keys)

    def prepare(self, tables) -> None:
        self.wire_types = self._wire_types(tables)
        if not self.drop_constraints:
            return
        names = [t.name for t in tables]
        with connection.cursor() as cursor:
            # Checks still deferred from earlier writes of this transaction (the chain, or a
            # caller's) would forbid altering the tables: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            # Foreign keys of the loaded tables, and of other tables that reference them (they
            # depend on the referenced primary key or unique constraint dropped below).
            cursor.execute(
                "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' "
                "AND (conrelid = ANY(%s::regclass[]) OR confrelid = ANY(%s::regclass[])) "
                "ORDER BY 1, 2",
                [names, names],
            )
            self.foreign_keys = cursor.fetchall()
            cursor.execute(
                "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype IN ('p', 'u') "
                "AND conrelid = ANY(%s::regclass[]) ORDER BY contype, 1, 2",
                [names],
            )
            self.keys = cursor.fetchall()
            cursor.execute(
                "SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, "
                "pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
                "ORDER BY 1, 2",
                [names],
            )
            self.indexes = cursor.fetchall()
            for table, name, _definition in self.foreign_keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            for table, name, _definition in self.keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            for _table, name, _definition in self.indexes:
                cursor.execute(f"DROP INDEX {name}")
            # Empty the (empty) tables in this transaction: COPY FREEZE needs the table created
            # or truncated in the current (sub)transaction. A table with rows keeps them and is
            # loaded without FREEZE. No foreign key points at them any more (dropped above).
            empty = []
            for name in names:
                cursor.execute(f'SELECT NOT EXISTS (SELECT 1 FROM "{name}")')
                if cursor.fetchone()[0]:
                    empty.append(name)
            if empty:
                cursor.execute("TRUNCATE " + ", ".join(f'"{name}"' for name in empty))
            self.truncated = set(empty)

    def _wire_types(self, tables) -> dict[str, list[str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, a.attname, format_type(a.atttypid, NULL) "
                "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                "WHERE a.attrelid = ANY(%s::regclass[]) AND a.attnum > 0 "
                "AND NOT a.attisdropped",
                [[t.name for t in tables]],
            )
            found = {(table, column): kind for table, column, kind in cursor.fetchall()}
        out = {}
        for t in tables:
            kinds = [found[(t.name, column)] for column in t.columns]
            unknown = sorted(set(kinds) - set(self.WIRE_TYPES))
            if unknown:
                raise NotImplementedError(f"{t.name}: no binary COPY for columns of {unknown}")
            out[t.name] = [self.WIRE_TYPES[kind] for kind in kinds]
        return out

    def restore(self, progress=None) -> None:
        """Recreate the primary keys, unique constraints and indexes, table by table (its pages
        still cached from one build to the next), then the foreign keys (which need the
        referenced keys; each is validated by one query)."""
        indexes = sorted(
            [(table, f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
             for table, name, definition in self.keys]
            + [(table, definition) for table, _name, definition in self.indexes],
            key=lambda pair: pair[0],
        )  # fmt: skip
        statements = [statement for _table, statement in indexes] + [
            f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
            for table, name, definition in self.foreign_keys
        ]
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{self.MAINTENANCE_WORK_MEM}'")
            cursor.execute(
                f"SET LOCAL max_parallel_maintenance_workers = {self.PARALLEL_MAINTENANCE_WORKERS}"
            )
            for done, statement in enumerate(statements, 1):
                started = time.perf_counter()
                cursor.execute(statement)
                self.slowest.append((time.perf_counter() - started, statement))
                if progress:
                    progress(done)
        self.restore_seconds = {"indexes": 0.0, "foreign keys": 0.0}
        for seconds, statement in self.slowest:
            kind = "foreign keys" if " FOREIGN KEY " in statement else "indexes"
            self.restore_seconds[kind] += seconds
        self.slowest = sorted(self.slowest, reverse=True)[:8]
        self.indexes, self.keys, self.foreign_keys = [], [], []

    def _copy_statement(self, table: Table, *, freeze: bool) -> str:
        columns = ", ".join(f'"{c}"' for c in table.columns)
        options = "FORMAT BINARY, FREEZE" if freeze else "FORMAT BINARY"
        return f'COPY "{table.name}" ({columns}) FROM STDIN ({options})'

    def _format(self, table: Table, rows) -> memoryview:
        """The binary COPY data of `rows` (header, rows, trailer), formatted by psycopg in C."""
        if self._format_cursor is None:
            self._format_cursor = connection.connection.cursor()  # never executes anything
        out = _Collect()
        with Copy(self._format_cursor, binary=True, writer=out) as copy:
            copy.set_types(self.wire_types[table.name])
            write_row = copy.write_row
            for row in rows:
                write_row(row)
        # A view: psycopg sends it in slices without copying them.
        return memoryview(b"".join(out.parts))

    def _send(self, cursor, table: Table, data, *, freeze: bool) -> None:
        with cursor.copy(self._copy_statement(table, freeze=freeze)) as copy:
            copy.write(data)

    def _write(self, table: Table, rows) -> None:
        # Outside the history's stream (the stock phase): without FREEZE, which PostgreSQL
        # refuses while a cursor is open in the transaction (the stock phase reads the order
        # lines through one).
        data = self._format(table, rows)
        with connection.cursor() as cursor:
            self._send(cursor.cursor, table, data, freeze=False)

    @contextmanager
    def stream(self):
        """Format each table's rows here, COPY them in a thread: while PostgreSQL takes one
        block, this process builds the next. The thread uses the psycopg connection under
        Django's (the load's transaction); the caller does not touch the database meanwhile."""
        raw = connection.connection
        if self._format_cursor is None:
            self._format_cursor = raw.cursor()
        pending: queue.Queue = queue.Queue(maxsize=self.QUEUE_TABLES)
        failure: list[BaseException] = []
        aborted = threading.Event()

        def copy_rows() -> None:
            with raw.cursor() as cursor:
                while (item := pending.get()) is not None:
                    if failure or aborted.is_set():
                        continue  # drain: the caller must never block on a full queue
                    table, data = item
                    started = time.perf_counter()
                    try:
                        self._send(cursor, table, data, freeze=table.name in self.truncated)
                    except BaseException as error:  # re-raised in the caller
                        failure.append(error)
                    self.copy_seconds += time.perf_counter() - started

        def write(table: Table, rows) -> None:
            if failure:
                raise failure[0]
            if not rows:
                return
            started = time.perf_counter()
            data = self._format(table, rows)
            handed = time.perf_counter()
            pending.put((table, data))
            now = time.perf_counter()
            self.blocked_seconds += now - handed
            self.seconds += now - started
            self.rows[table.name] = self.rows.get(table.name, 0) + len(rows)

        thread = threading.Thread(target=copy_rows, name="generate-chain-copy", daemon=True)
        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, self.SWITCH_INTERVAL))
        thread.start()
        try:
            yield write
        except BaseException:
            aborted.set()
            raise
        finally:
            pending.put(None)
            thread.join()
            sys.setswitchinterval(interval)
        if failure:
            raise failure[0]

    def finish(self, tables) -> None:
        """Sequences past the ids the generator assigned, and fresh planner statistics."""
        with connection.cursor() as cursor:
            for table in tables:
                if not has_id(table):
                    continue
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                )

    def analyze(self, tables) -> None:
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f'ANALYZE "{table.name}"')


class _Collect(CopyWriter):
    """A psycopg COPY writer that keeps the formatted data (sent later, by the COPY thread)."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> None:
        self.parts.append(data)  # psycopg hands over its buffer and starts a new one


class SQLiteWriter(Writer):
    vendor = "sqlite"

    def _write(self, table: Table, rows) -> None:
        columns = ", ".join(f'"{c}"' for c in table.columns)
        marks = ", ".join("?" * len(table.columns))
        with connection.cursor() as cursor:
            cursor.executemany(f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', rows)

    def finish(self, tables) -> None:
        """AUTOINCREMENT keeps its high-water mark in sqlite_sequence, updated by the inserts."""

    def analyze(self, tables) -> None:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def writer_for_connection() -> Writer:
    if connection.vendor == "postgresql":
        return PostgresWriter()
    if connection.vendor == "sqlite":
        return SQLiteWriter()
    raise NotImplementedError(f"no bulk writer for {connection.vendor}")


def reset_sequences(models) -> None:
    """PostgreSQL: point the sequences of `models` just past their current max id, so rows the
    set-up creates through the ORM get the same ids for the same starting database (sequences do
    not roll back with a transaction; max(id) does)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            name = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{name}"), 0) + 1, false)'
            )


def digest(rows) -> str:
    """A stable hash of rows (for comparing two runs)."""
    h = hashlib.sha256()
    for row in rows:
        h.update(repr(tuple(row)).encode())
    return h.hexdigest()
