"""Scoped reads of stores and staff."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from yanzhi.core.scope import Scope
from yanzhi.org.models import Department, Staff, Store


def stores_for(scope: Scope) -> QuerySet[Store]:
    qs = Store.objects.filter(org_id=scope.org_id, is_active=True)
    if scope.store_ids is not None:
        qs = qs.filter(pk__in=scope.store_ids)
    return qs


def get_store(scope: Scope, pk: int) -> Store:
    return get_object_or_404(stores_for(scope), pk=pk)


def staff_for(scope: Scope) -> QuerySet[Staff]:
    """Colleagues visible to this scope: the chain for HQ, the stores' staff otherwise."""
    qs = Staff.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(stores__in=scope.store_ids).distinct()
    return qs


def get_staff(scope: Scope, pk: int) -> Staff:
    return get_object_or_404(staff_for(scope), pk=pk)


def active_staff_in_store(
    scope: Scope, store_id: int, *, roles=None, q: str = ""
) -> QuerySet[Staff]:
    """Staff working in one store, e.g. the consultants and doctors to triage to (searchable)."""
    qs = Staff.objects.filter(org_id=scope.org_id, is_active=True, stores=store_id)
    if roles:
        qs = qs.filter(role__in=roles)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(username__icontains=q) | Q(title__icontains=q))
    return qs.select_related("department").order_by("name", "pk")


def departments_for(scope: Scope) -> QuerySet[Department]:
    return Department.objects.filter(org_id=scope.org_id)
