"""Scoped reads of the audit log (read-only: nothing here or anywhere else changes it)."""

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from yanzhi.core.models import AuditLog
from yanzhi.core.scope import Scope


def audit_log_for(scope: Scope) -> QuerySet[AuditLog]:
    """The chain's rows for a chain-wide scope, otherwise the rows of the scope's stores."""
    qs = AuditLog.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    return qs


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def search_audit_log(
    scope: Scope,
    *,
    actor_id: int | None = None,
    action: str = "",
    object_type: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditLog]:
    """Filter by actor, action prefix (e.g. "staff." or "customer.updated"), object type and
    a date range (days in the server's time zone, both ends included)."""
    qs = audit_log_for(scope)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if action.strip():
        qs = qs.filter(action__startswith=action.strip())
    if object_type.strip():
        qs = qs.filter(object_type=object_type.strip().lower())
    if date_from:
        qs = qs.filter(created_at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(created_at__lt=_day_start(date_to + timedelta(days=1)))
    return qs.order_by("-created_at", "-id")
