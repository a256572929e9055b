"""Scoped reads of stores, staff, groups, departments and API tokens."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from yanzhi.core.models import AuditLog
from yanzhi.core.scope import Scope
from yanzhi.core.timeutil import first_of_month, next_month, store_today
from yanzhi.org import settings_cache
from yanzhi.org.models import ApiToken, Department, PeriodClose, Staff, StaffGroup, Store


def stores_for(scope: Scope) -> QuerySet[Store]:
    qs = Store.objects.filter(org_id=scope.org_id, is_active=True)
    if scope.store_ids is not None:
        qs = qs.filter(pk__in=scope.store_ids)
    return qs


def get_store(scope: Scope, pk: int) -> Store:
    return get_object_or_404(stores_for(scope), pk=pk)


def _loaded_stores(scope: Scope, staff) -> list[Store] | None:
    """The scope's stores from the signed-in staff member's prefetched stores
    (org.backends.StaffBackend loads them), when the scope is theirs and store-bound."""
    if (
        staff is None
        or scope.store_ids is None
        or staff.pk != scope.staff_id
        or "stores" not in getattr(staff, "_prefetched_objects_cache", {})
    ):
        return None
    return [s for s in staff.stores.all() if s.is_active and s.org_id == scope.org_id]


def scope_stores(scope: Scope, staff=None) -> list[Store]:
    """stores_for(scope) as a list; no query when the signed-in staff member's stores are
    loaded (pass request.user), nor for the chain's (HQ: every page lists them to switch
    between, a hundred rows) while the chain's stores are unchanged (settings_cache)."""
    loaded = _loaded_stores(scope, staff)
    if loaded is not None:
        return loaded
    if scope.chain_wide:
        load = lambda: tuple(stores_for(scope))  # noqa: E731
        return list(settings_cache.cached(scope.org_id, "chain_stores", load))
    return list(stores_for(scope))


def get_scope_store(scope: Scope, pk: int, staff=None) -> Store:
    """get_store, without a query when the signed-in staff member's stores are loaded or the
    chain's are cached (scope_stores)."""
    stores = _loaded_stores(scope, staff)
    if stores is None:
        if not scope.chain_wide:
            return get_store(scope, pk)
        stores = scope_stores(scope)
    store = next((s for s in stores if s.pk == pk), None)
    if store is None:
        raise Http404
    return store


def page_store(scope: Scope, store_id: int | None, staff=None) -> Store:
    """The store a page works on: `store_id` (the one asked for, or the staff member's
    current store) inside the scope, else the scope's first store; 404 when there is none.
    From scope_stores, so without a query while the stores are loaded or cached."""
    if store_id:
        return get_scope_store(scope, store_id, staff)
    store = min(scope_stores(scope, staff), key=lambda s: s.pk, default=None)
    if store is None:
        raise Http404
    return store


def staff_for(scope: Scope) -> QuerySet[Staff]:
    """Colleagues visible to this scope: the chain for HQ, the stores' staff otherwise."""
    qs = Staff.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        # Exists rather than a join + DISTINCT, so the queryset can still be locked and counted.
        in_stores = Staff.stores.through.objects.filter(
            staff_id=OuterRef("pk"), store_id__in=scope.store_ids
        )
        qs = qs.filter(Exists(in_stores))
    return qs


def get_staff(scope: Scope, pk: int) -> Staff:
    return get_object_or_404(staff_for(scope), pk=pk)


def staff_list(
    scope: Scope,
    *,
    store_id: int | None = None,
    role: str = "",
    group_id: int | None = None,
    active: bool | None = None,
    q: str = "",
) -> QuerySet[Staff]:
    """The staff page: filter by store, role, group and status; search by name or login name."""
    qs = staff_for(scope)
    if store_id:
        qs = qs.filter(
            Exists(Staff.stores.through.objects.filter(staff_id=OuterRef("pk"), store_id=store_id))
        )
    if role:
        qs = qs.filter(role=role)
    if group_id:
        qs = qs.filter(group_id=group_id)
    if active is not None:
        qs = qs.filter(is_active=active)
    q = q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(username__icontains=q))
    return (
        qs.select_related("department", "group")
        .prefetch_related(Prefetch("stores", queryset=Store.objects.order_by("code")))
        .order_by("name", "pk")
    )


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


def get_department(scope: Scope, pk: int) -> Department:
    return get_object_or_404(departments_for(scope), pk=pk)


def groups_for(scope: Scope) -> QuerySet[StaffGroup]:
    """Staff groups: the chain's for HQ, the own stores' groups otherwise."""
    qs = StaffGroup.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    return qs.select_related("store", "leader").prefetch_related(
        Prefetch("members", queryset=Staff.objects.order_by("name", "pk"))
    )


def get_group(scope: Scope, pk: int) -> StaffGroup:
    return get_object_or_404(groups_for(scope), pk=pk)


def api_tokens_for(scope: Scope) -> QuerySet[ApiToken]:
    """One's own tokens; HQ sees every token of the chain."""
    qs = ApiToken.objects.filter(staff__org_id=scope.org_id).select_related("staff")
    if scope.store_ids is not None or scope.role != "hq":
        qs = qs.filter(staff_id=scope.staff_id)
    return qs.order_by("-created_at", "-id")


def get_api_token(scope: Scope, pk: int) -> ApiToken:
    return get_object_or_404(api_tokens_for(scope), pk=pk)


def staff_change_log(staff: Staff, *, limit: int = 50) -> QuerySet[AuditLog]:
    """The staff change log (员工修改日志): staff.* audit rows of one account, sign-ins left out."""
    return (
        AuditLog.objects.filter(
            org_id=staff.org_id,
            object_type="org.staff",
            object_id=str(staff.pk),
            action__startswith="staff.",
        )
        .exclude(action="staff.signed_in")
        .order_by("-created_at", "-id")[:limit]
    )


def period_closes_for(scope: Scope) -> QuerySet[PeriodClose]:
    qs = PeriodClose.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    return qs.select_related("store", "closed_by").order_by("store_id", "-month")


@dataclass
class PeriodMonth:
    month: date
    is_closed: bool  # closed itself, or covered by the close of a later month
    closed: PeriodClose | None  # its own close record, if it was closed by name
    ended: bool
    closable: bool  # the month a 关账 button may close now (ended, and next in order)


def period_months(scope: Scope, store: Store, *, count: int = 12) -> list[PeriodMonth]:
    """The store's last `count` months, newest first, with their closing state."""
    closes = {c.month: c for c in period_closes_for(scope).filter(store_id=store.pk)}
    latest = max(closes, default=None)
    today = store_today(store)
    rows, month = [], first_of_month(today)
    for _i in range(count):
        ended = next_month(month) <= today
        is_closed = latest is not None and month <= latest
        closable = ended and not is_closed and (latest is None or month == next_month(latest))
        rows.append(PeriodMonth(month, is_closed, closes.get(month), ended, closable))
        month = first_of_month(month - timedelta(days=1))
    return rows
