"""View decorators shared by the apps' pages."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from yanzhi.core.errors import BusinessError
from yanzhi.org import policy


def action_view(action: str):
    """Signed in and allowed the action (yanzhi.org.policy); a BusinessError 403/404 raised by
    the view becomes PermissionDenied/Http404, so a page never says more than "not found"."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not policy.can(request.scope, action):
                raise PermissionDenied
            try:
                return view(request, *args, **kwargs)
            except BusinessError as error:
                if error.status == 403:
                    raise PermissionDenied(str(error.message)) from None
                if error.status == 404:
                    raise Http404 from None
                raise

        return wrapper

    return decorate
