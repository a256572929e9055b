"""Bulk writers: COPY on PostgreSQL (psycopg 3), executemany on SQLite. Rows are tuples (or
lists) in the column order of their `tables.Table`; values are already what the column takes
(text for moments, days and money; ints; bools; None)."""

import hashlib
import time

from django.db import connection

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

    def prepare(self, tables) -> None:
        """Before the first chunk."""

    def restore(self, progress=None) -> None:
        """After the last chunk, before the sequences."""

    def finish(self, tables) -> None:
        """After the last chunk (sequences, statistics)."""


class PostgresWriter(Writer):
    """COPY, with the loaded tables' foreign keys and secondary indexes dropped for the load and
    recreated (and so validated) after it: checking each row's foreign keys as it arrives costs
    far more than one validating join per key at the end (docs/benchmarks.md has the figures).
    The whole load is one transaction, so a failure leaves the schema and data as they were."""

    vendor = "postgresql"

    def __init__(self, *, drop_constraints: bool = True):
        super().__init__()
        self.drop_constraints = drop_constraints
        self.foreign_keys: list[tuple[str, str, str]] = []
        self.indexes: list[tuple[str, str]] = []
        self.slowest: list[tuple[float, str]] = []  # (seconds, statement) of the restore

    def prepare(self, tables) -> None:
        if not self.drop_constraints:
            return
        names = [t.name for t in tables]
        with connection.cursor() as cursor:
            # Checks still deferred from earlier writes of this transaction (the chain, or a
            # caller's) would forbid altering the tables: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(
                "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
                "ORDER BY 1, 2",
                [names],
            )
            self.foreign_keys = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
                "ORDER BY 1",
                [names],
            )
            self.indexes = cursor.fetchall()
            for table, name, _definition in self.foreign_keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            for name, _definition in self.indexes:
                cursor.execute(f"DROP INDEX {name}")

    def restore(self, progress=None) -> None:
        """Recreate the indexes, then the foreign keys (each validated by one query)."""
        statements = [definition for _name, definition in self.indexes] + [
            f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
            for table, name, definition in self.foreign_keys
        ]
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for done, statement in enumerate(statements, 1):
                started = time.perf_counter()
                cursor.execute(statement)
                self.slowest.append((time.perf_counter() - started, statement))
                if progress:
                    progress(done)
        self.slowest = sorted(self.slowest, reverse=True)[:8]
        self.indexes, self.foreign_keys = [], []

    def _write(self, table: Table, rows) -> None:
        columns = ", ".join(f'"{c}"' for c in table.columns)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)

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
