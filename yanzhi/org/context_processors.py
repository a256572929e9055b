from django.utils.functional import SimpleLazyObject

from yanzhi.org import policy
from yanzhi.org.queries import scope_stores


def staff_context(request):
    scope = getattr(request, "scope", None)
    if scope is None:
        return {}
    allowed = {action for action in policy.ACTIONS if policy.can(scope, action)}
    stores = SimpleLazyObject(lambda: scope_stores(scope, request.user))

    def current():
        return next((s for s in stores if s.pk == scope.current_store_id), None)

    return {
        "scope": scope,
        "allowed": allowed,
        "switchable_stores": stores,
        "current_store": SimpleLazyObject(current),
    }
