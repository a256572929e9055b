"""Per-request account rules: idle sessions expire, expired passwords must be changed, and every
signed-in request carries its data scope."""

import time
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from yanzhi.org import settings_cache
from yanzhi.org.passwords import password_change_required
from yanzhi.org.policy import scope_for

LAST_SEEN_KEY = "yanzhi_last_seen"
# The last-seen time is written at most this often: a session write is a database write, and
# idle limits are minutes long, so a minute's precision is plenty.
LAST_SEEN_EVERY_SECONDS = 60
STORE_KEY = "yanzhi_store_id"


class IdleSessionMiddleware:
    """Sign out a browser session that was idle longer than the clinic allows."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_KEY)
            idle_limit = user.org.session_idle_minutes * 60
            if last_seen is not None and now - last_seen > idle_limit:
                logout(request)
                request.session_expired = True
                if not request.path.startswith(("/api/", "/static/", "/i18n/", "/accounts/")):
                    return self._to_login(request)
            elif last_seen is None or now - last_seen >= LAST_SEEN_EVERY_SECONDS:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _to_login(request):
        """Back to the sign-in page with the timeout notice (htmx: a full-page redirect)."""
        query = urlencode({"next": request.get_full_path(), "expired": "1"})
        url = f"{reverse('org:login')}?{query}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)


class ScopeMiddleware:
    """Attach request.scope; send a staff member whose password was reset or has expired to
    change it (the password page itself is under /accounts/, so this cannot loop)."""

    exempt_prefixes = ("/accounts/", "/static/", "/i18n/", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.scope = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.scope = scope_for(user, current_store_id=request.session.get(STORE_KEY))
            if not request.path.startswith(self.exempt_prefixes) and password_change_required(user):
                return redirect(reverse("org:password-change") + "?expired=1")
            # the organization row came with the user: its settings version, for free
            with settings_cache.bound(user.org_id, user.org.settings_version):
                return self.get_response(request)
        return self.get_response(request)
