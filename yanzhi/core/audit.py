"""Writing the audit log. Services call `record` for every change and `record_read` for reads of
sensitive data (medical records, unmasked phone or ID numbers)."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal

from django.db import models

from yanzhi.core.models import AuditLog

# The rows `record` collects inside `batched()`, written at its end.
_collected: ContextVar[list[AuditLog] | None] = ContextVar("yanzhi_audit_rows", default=None)


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if hasattr(value, "name") and hasattr(value, "url"):  # file fields
        return value.name
    return value


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict:
    """The concrete field values of obj (foreign keys as ids), JSON-safe."""
    names = fields or [
        f.attname
        for f in obj._meta.concrete_fields
        if f.attname not in {"created_at", "updated_at"}
    ]
    return {name: _json_value(getattr(obj, name)) for name in names}


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record(by, action: str, obj: models.Model, **details) -> AuditLog:
    """Append one audit row for a change made by `by` (a Staff, or None for the system);
    `details` as `entry_for` takes them (before, after, note, org_id, store_id)."""
    entry = entry_for(by, action, obj, **details)
    collected = _collected.get()
    if collected is not None:
        collected.append(entry)
    else:
        entry.save(force_insert=True)
    return entry


def record_all(entries: list[AuditLog]) -> None:
    """Append several rows built by `entry_for` in one statement (many rows of one change)."""
    collected = _collected.get()
    if collected is not None:
        collected.extend(entries)
    elif entries:
        AuditLog.objects.bulk_create(entries)


@contextmanager
def batched():
    """Within the block, the rows recorded are written together at its end, in one statement
    and in the order recorded (a payment records its order, courses, cards and follow-ups).
    For a service's whole body inside its transaction: an error leaves the block without
    writing them, as the transaction rolls back. Nothing inside may catch an error and carry
    on after recording (its rows would stay). A block inside another joins the outer one."""
    if _collected.get() is not None:
        yield
        return
    rows: list[AuditLog] = []
    token = _collected.set(rows)
    try:
        yield
    finally:
        _collected.reset(token)
    if rows:
        AuditLog.objects.bulk_create(rows)


def entry_for(
    by,
    action: str,
    obj: models.Model,
    *,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
    org_id: int | None = None,
    store_id: int | None = None,
) -> AuditLog:
    """The unsaved audit row `record` writes."""
    return AuditLog(
        org_id=org_id or getattr(obj, "org_id", None) or getattr(by, "org_id", None),
        store_id=store_id if store_id is not None else getattr(obj, "store_id", None),
        actor_id=getattr(by, "pk", None),
        actor_name=getattr(by, "name", "") or ("" if by is None else str(by)),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
        note=note[:300],
    )


def record_read(by, action: str, obj: models.Model, *, note: str = "") -> AuditLog:
    return record(by, action, obj, note=note)
