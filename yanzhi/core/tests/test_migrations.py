"""The migrations build the schema the models describe.

The test databases are created from the models (conftest.py: replaying every migration cost
each test worker a minute), so this test is what proves the migrations: they apply to an empty
database of the same kind, and that database has the tables, columns, indexes and constraints
of the one built from the models."""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.utils import load_backend

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_the_models_have_no_change_without_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def _schema(conn) -> dict:
    """Each table's columns (name, nullable) and its constraints and indexes, by name where
    the schema names them (SQLite leaves inline checks unnamed and numbers its foreign keys:
    those by what they cover)."""
    introspection = conn.introspection
    schema = {}
    with conn.cursor() as cursor:
        for table in introspection.get_table_list(cursor):
            if table.type != "t" or table.name == "django_migrations":
                continue
            columns = {
                (c.name, bool(c.null_ok))
                for c in introspection.get_table_description(cursor, table.name)
            }
            constraints = set()
            for name, c in introspection.get_constraints(cursor, table.name).items():
                shape = (
                    tuple(c["columns"] or ()),
                    bool(c["primary_key"]),
                    bool(c["unique"]),
                    bool(c["index"]),
                    bool(c["check"]),
                    tuple(c["foreign_key"] or ()),
                )
                # SQLite numbers its foreign keys (fk_1 …) in the order of the table's columns
                numbered = conn.vendor == "sqlite" and c["foreign_key"]
                unnamed = name.startswith("__") or c["primary_key"] or numbered
                constraints.add(("" if unnamed else name, *shape))
            schema[table.name] = (columns, constraints)
    return schema


@pytest.fixture
def migrated_database(django_db_blocker, tmp_path):
    """An empty database of the test database's kind, migrated by `manage.py migrate`."""
    settings = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        settings["NAME"] = str(tmp_path / "migrated.sqlite3")
        url = f"sqlite:///{settings['NAME']}"
    else:
        settings["NAME"] = f"{connection.settings_dict['NAME']}_migrated_{uuid.uuid4().hex[:8]}"
        host = settings["HOST"] + (f":{settings['PORT']}" if settings["PORT"] else "")
        url = f"postgres://{quote(settings['USER'])}:{quote(settings['PASSWORD'])}@{host}/"
        url += settings["NAME"]
    backend = load_backend(settings["ENGINE"])
    if connection.vendor != "sqlite":
        with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{settings["NAME"]}"')
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url},
            check=True,
            capture_output=True,
        )
        # registered: the backend looks its features up by alias
        migrated = connections["migrated"] = backend.DatabaseWrapper(settings, alias="migrated")
        try:
            yield migrated
        finally:
            migrated.close()
            del connections["migrated"]
    finally:
        if connection.vendor != "sqlite":
            with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{settings["NAME"]}"')


@pytest.mark.django_db
def test_the_migrations_build_the_schema_of_the_models(migrated_database):
    from_models = _schema(connection)
    from_migrations = _schema(migrated_database)
    assert from_migrations.keys() == from_models.keys()
    differences = [
        f"{table}: migrations {sorted(from_migrations[table][i] - part)}, "
        f"models {sorted(part - from_migrations[table][i])}"
        for table, parts in from_models.items()
        for i, part in enumerate(parts)
        if from_migrations[table][i] != part
    ]
    assert not differences, "\n".join(differences)
