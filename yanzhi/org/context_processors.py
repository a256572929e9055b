from django.utils.functional import SimpleLazyObject

from yanzhi.org import policy
from yanzhi.org.queries import stores_for


def _switchable_stores(request, scope) -> list:
    """The stores of the scope; from the signed-in staff member's prefetched stores when the
    scope is theirs (org.backends.StaffBackend), else one query."""
    user = request.user
    if scope.store_ids is not None and "stores" in getattr(user, "_prefetched_objects_cache", {}):
        return [s for s in user.stores.all() if s.is_active]
    return list(stores_for(scope))


def staff_context(request):
    scope = getattr(request, "scope", None)
    if scope is None:
        return {}
    allowed = {action for action in policy.ACTIONS if policy.can(scope, action)}
    stores = SimpleLazyObject(lambda: _switchable_stores(request, scope))

    def current():
        return next((s for s in stores if s.pk == scope.current_store_id), None)

    return {
        "scope": scope,
        "allowed": allowed,
        "switchable_stores": stores,
        "current_store": SimpleLazyObject(current),
    }
