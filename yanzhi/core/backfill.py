"""Backfills for migrations that add columns to the largest tables (visits, orders, payments,
executions: millions of rows in a chain). One UPDATE of a whole table holds its locks until the
end — with the column added in the same transaction, every read of the table waits for
minutes. Here the UPDATE runs over ranges of ids, each range committed on its own, in a
migration marked `atomic = False`, so the clinic keeps working while it runs."""

from django.db import transaction

BATCH = 50_000


def by_id_ranges(table: str, sql: str, *, batch: int = BATCH):
    """A RunPython function running `sql` once per range of `table`'s ids; `sql` is an UPDATE
    of `table` whose WHERE ends with `{table}.id BETWEEN %s AND %s`."""

    def run(apps, schema_editor):
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MIN(id), MAX(id) FROM {table}")  # noqa: S608 - a table name
            low, high = cursor.fetchone()
        if low is None:
            return
        for start in range(low, high + 1, batch):
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute(sql, [start, start + batch - 1])

    return run
