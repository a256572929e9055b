"""A process's copy of each chain's settings rows — follow-up rules, calling windows, advice
templates, member-activity thresholds, the membership programme and levels, the deal
definition, a service's materials — which every write reads (an execution read eight of them)
and which change a few times a month.

A copy is valid while the chain's `Organization.settings_version` is the one the request signed
in with: the signed-in staff member's organization row is read on every request anyway, so the
check costs no query. Any change of a watched kind of row gives the chain a new version inside
the changing transaction (a random number, so that a version never comes back, not even in a
test database whose ids are reused); other processes see it with their next request. A request
that changed settings reads them from the database for the rest of its run. Outside a request
(the worker's jobs, commands, a shell) nothing is cached.

Cached values are shared by the requests of a process: callers must not change them (values
are tuples, or rows nobody saves; the services that edit settings read their rows themselves,
locked)."""

import secrets
from collections.abc import Callable, Hashable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")

_bound: ContextVar[tuple[int, int] | None] = ContextVar("yanzhi_settings_version", default=None)
_entries: dict[int, dict[Hashable, tuple[int, object]]] = {}


def new_version() -> int:
    return secrets.randbits(62)


@contextmanager
def bound(org_id: int, version: int):
    """Within the block (a request), `cached` keeps copies for this chain at this version."""
    token = _bound.set((org_id, version))
    try:
        yield
    finally:
        _bound.reset(token)


def is_bound(org_id: int) -> bool:
    """Whether `cached` keeps copies for this chain now (inside its signed-in request)."""
    current = _bound.get()
    return current is not None and current[0] == org_id


def cached(org_id: int, key: Hashable, load: Callable[[], T]) -> T:
    """`load()`, or this process's copy of it for the chain's current settings version."""
    current = _bound.get()
    if current is None or current[0] != org_id:
        return load()
    return cached_at(org_id, current[1], key, load)


def cached_at(org_id: int, version: int, key: Hashable, load: Callable[[], T]) -> T:
    """`cached` for a version the caller read itself (signing in, before the binding)."""
    entries = _entries.setdefault(org_id, {})
    hit = entries.get(key)
    if hit is not None and hit[0] == version:
        return hit[1]
    value = load()
    entries[key] = (version, value)
    return value


def settings_changed(org_id: int | None) -> None:
    """A watched row of the chain changed (in the current transaction): a new version for
    everyone, and no copies in this process or for the rest of this request."""
    if org_id is None:
        return
    from yanzhi.org.models import Organization

    Organization.objects.filter(pk=org_id).update(settings_version=new_version())
    _entries.pop(org_id, None)
    current = _bound.get()
    if current is not None and current[0] == org_id:
        _bound.set(None)


def watch(
    model,
    org_of: Callable[[object], int | None] = lambda row: row.org_id,
    *,
    quiet_fields: frozenset[str] = frozenset(),
) -> None:
    """Saving or deleting a `model` row (a many-to-many change too, for a through model's
    owner) changes the settings of the chain `org_of(row)` names; a save of `quiet_fields`
    only does not (a staff member's sign-in time). Bulk writes send no signals: services that
    bulk_create or update() watched rows call `settings_changed` themselves."""

    def changed(sender, instance, update_fields=None, **kwargs):
        if update_fields and set(update_fields) <= quiet_fields:
            return
        settings_changed(org_of(instance))

    def m2m(sender, instance, action, **kwargs):
        if action in ("post_add", "post_remove", "post_clear"):
            settings_changed(org_of(instance))

    uid = f"settings_cache:{model._meta.label_lower}"
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid + ":save")
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid + ":delete")
    for field in model._meta.many_to_many:
        m2m_changed.connect(
            m2m, sender=field.remote_field.through, weak=False, dispatch_uid=f"{uid}:{field.name}"
        )


def clear() -> None:
    """Forget every copy (tests that fake another process's state)."""
    _entries.clear()
