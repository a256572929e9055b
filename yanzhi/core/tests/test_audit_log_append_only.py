"""The audit log is append-only in the database itself: UPDATE and DELETE are refused by
triggers, on SQLite and PostgreSQL alike."""

import pytest
from django.db import DatabaseError, connection, transaction

from yanzhi.core import audit
from yanzhi.core.models import AuditLog


@pytest.fixture
def entry(store_a_manager, store_a):
    return audit.record(store_a_manager, "store.settings_changed", store_a, after={"x": 1})


def test_update_is_refused_by_the_database(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE core_auditlog SET action = 'tampered'")
    entry.refresh_from_db()
    assert entry.action == "store.settings_changed"


def test_orm_update_and_delete_are_refused(entry):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLog.objects.filter(pk=entry.pk).update(note="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLog.objects.filter(pk=entry.pk).delete()
    assert AuditLog.objects.get(pk=entry.pk).note == ""


def test_delete_is_refused_by_the_database(entry):
    count = AuditLog.objects.count()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditlog")
    assert AuditLog.objects.count() == count


def test_appending_still_works(entry, store_a_manager, store_a):
    count = AuditLog.objects.count()
    audit.record(store_a_manager, "store.settings_changed", store_a)
    assert AuditLog.objects.count() == count + 1
