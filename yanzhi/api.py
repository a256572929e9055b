"""The one JSON API, /api/v1/. Each app contributes a Router; all share auth and error shapes."""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from yanzhi.core.errors import BusinessError
from yanzhi.org.policy import scope_for


def _attach_scope(request, staff):
    store = request.headers.get("X-Store-Id")
    request.scope = scope_for(
        staff, current_store_id=int(store) if store and store.isdigit() else None
    )
    return staff


class TokenAuth(HttpBearer):
    """Authorization: Bearer <per-staff API token>."""

    def authenticate(self, request, token):
        from yanzhi.org.services import staff_for_api_key

        staff = staff_for_api_key(token)
        return _attach_scope(request, staff) if staff else None


class BrowserSessionAuth(APIKeyCookie):
    """The signed-in browser session (CSRF-checked), so htmx pages and scripts can call the API."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return _attach_scope(request, user)
        return None


api = NinjaAPI(
    title="Yanzhi API",
    version="1",
    description="颜值 / Yanzhi clinic-chain API. Authenticate with `Authorization: Bearer <token>` "
    "(per-staff tokens) or a signed-in browser session. Errors are "
    '`{"code", "message", "fields"}` with a 4xx status; records outside your scope are 404.',
    auth=[TokenAuth(), BrowserSessionAuth()],
    urls_namespace="api-v1",
)


def error_body(code: str, message, fields=None) -> dict:
    return {"code": code, "message": str(message), "fields": fields or {}}


@api.exception_handler(BusinessError)
def business_error(request, exc: BusinessError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def validation_error(request, exc: NinjaValidationError):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [
            str(part)
            for part in error.get("loc", [])
            if part not in ("body", "query", "path", "data", "payload")
        ]
        fields.setdefault(".".join(loc) or "_", []).append(error.get("msg", "invalid"))
    return api.create_response(
        request, error_body("invalid_input", _("输入内容不正确"), fields), status=422
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, error_body("not_found", _("记录不存在")), status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return api.create_response(
        request, error_body("unauthenticated", _("请先登录或提供有效的API令牌")), status=401
    )


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return api.create_response(
        request, error_body("http_error", exc.message), status=exc.status_code
    )


def _add_routers():
    from yanzhi.catalog.api import router as catalog
    from yanzhi.clinical.api import router as clinical
    from yanzhi.core.api import router as core
    from yanzhi.customers.api import router as customers
    from yanzhi.followups.api import router as followups
    from yanzhi.insight.api import router as insight
    from yanzhi.inventory.api import router as inventory
    from yanzhi.marketing.api import router as marketing
    from yanzhi.messaging.api import router as messaging
    from yanzhi.org.api import router as org
    from yanzhi.reports.api import router as reports
    from yanzhi.sales.api import router as sales
    from yanzhi.scheduling.api import router as scheduling
    from yanzhi.treatments.api import router as treatments
    from yanzhi.visits.api import router as visits

    for router in (
        org,
        customers,
        messaging,
        catalog,
        inventory,
        scheduling,
        visits,
        clinical,
        treatments,
        sales,
        followups,
        insight,
        marketing,
        reports,
        core,
    ):
        api.add_router("/", router)


_add_routers()
