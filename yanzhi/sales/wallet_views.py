"""The customer's wallet in the sales pages: deposits (预约金: take, list, refund), e-coupons
(电子券: issue, list, extend) and stored-value cards (储值卡: list, extend). htmx forms: a bad
input gives 422 with the section re-rendered and the message; each view calls one service."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import store_today
from yanzhi.customers import queries as customer_queries
from yanzhi.org import policy
from yanzhi.sales import queries, services
from yanzhi.sales.views import _int, _refused, _store, requires

WALLET = "sales/customer_wallet.html"


def _date(value) -> date | None:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def wallet_context(request, customer, *, store=None, **extra) -> dict:
    """Everything the wallet sections show for one customer (a fixed number of queries)."""
    store = store or _store(request)
    return {
        "customer": customer,
        "store": store,
        **queries.customer_wallet(request.scope, customer, store),
        **extra,
    }


def _section(request, customer, name: str, *, status=200, **extra):
    context = wallet_context(request, customer, **extra)
    return render(request, f"{WALLET}#{name}", context, status=status)


# --- deposits (预约金) ----------------------------------------------------------------------------
@requires("order.view")
def customer_deposits(request, pk: int):
    """GET: the customer's deposits; POST: take a deposit (收预约金) at the current store (or the
    order's store when taken from the order screen, which is then reloaded)."""
    customer = customer_queries.get_customer(request.scope, pk)
    if request.method != "POST":
        return _section(request, customer, "deposits")
    if not policy.can(request.scope, "deposit.take"):
        raise PermissionDenied
    store = _store(request)
    order_id = _int(request.POST.get("order"))
    order = queries.get_order(request.scope, order_id) if order_id else None
    if order is not None and order.customer_id != customer.pk:
        order = None
    appointment = None
    try:
        appointment_id = _int(request.POST.get("appointment"))
        if appointment_id:
            appointment = (
                queries.deposit_appointments(request.scope, customer, store)
                .filter(pk=appointment_id)
                .first()
            )
            if appointment is None:
                message = _("预约不存在或不属于该客户")
                raise BusinessError(
                    "invalid_appointment", message, fields={"appointment": [message]}, status=422
                )
        services.take_deposit(
            customer,
            store=store,
            amount=request.POST.get("amount", ""),
            method=request.POST.get("method", ""),
            appointment=appointment,
            by=request.user,
        )
    except BusinessError as error:
        _refused(error)
        name = "deposit-form" if order is not None else "deposits"
        return _section(
            request,
            customer,
            name,
            status=422,
            store=store,
            order=order,
            deposit_error=error,
            posted=request.POST,
        )
    if order is not None:
        return HttpResponseClientRedirect(reverse("sales:order-detail", args=[order.pk]))
    return _section(request, customer, "deposits", store=store, deposit_taken=True)


@requires("order.refund")
@require_POST
def deposit_refund(request, pk: int):
    """退预约金: a held deposit goes back to the customer, with a reason."""
    deposit = queries.get_deposit(request.scope, pk)
    customer = customer_queries.get_customer(request.scope, deposit.customer_id)
    try:
        services.refund_deposit(deposit, reason=request.POST.get("reason", ""), by=request.user)
    except BusinessError as error:
        _refused(error)
        return _section(
            request, customer, "deposits", status=422, refund_error=error, refund_of=deposit.pk
        )
    return _section(request, customer, "deposits")


# --- e-coupons (电子券) ---------------------------------------------------------------------------
@requires("order.view")
def customer_coupons(request, pk: int):
    """GET: the customer's e-coupons; POST: issue one (发券)."""
    customer = customer_queries.get_customer(request.scope, pk)
    if request.method != "POST":
        return _section(request, customer, "coupons")
    if not policy.can(request.scope, "coupon.issue"):
        raise PermissionDenied
    try:
        services.issue_coupon(
            customer,
            value_amount=request.POST.get("value_amount", ""),
            expires_on=_date(request.POST.get("expires_on")),
            code=request.POST.get("code", ""),
            by=request.user,
        )
    except BusinessError as error:
        _refused(error)
        return _section(
            request, customer, "coupons", status=422, coupon_error=error, posted=request.POST
        )
    return _section(request, customer, "coupons", coupon_issued=True)


# --- extensions (延期) of cards and coupons -------------------------------------------------------
def _extend(request, obj, *, kind: str, service):
    error = None
    done = False
    if request.method == "POST":
        if not policy.can(request.scope, "card.extend"):
            raise PermissionDenied
        try:
            obj = service(
                obj,
                new_expires_on=_date(request.POST.get("new_expires_on")),
                reason=request.POST.get("reason", ""),
                by=request.user,
            )
            done = True
        except BusinessError as error_:
            _refused(error_)
            error = error_
    context = {
        "obj": obj,
        "kind": kind,
        "customer": obj.customer,
        "history": queries.extension_history(obj),
        "error": error,
        "done": done,
        "posted": request.POST if error else {},
        "can_extend": policy.can(request.scope, "card.extend"),
        "today": store_today(obj.customer.store),
    }
    name = "sales/extend.html" + ("#panel" if request.htmx else "")
    return render(request, name, context, status=422 if error else 200)


@requires("order.view")
def card_extend(request, pk: int):
    """A stored-value card: balance, expiry, its extension history and the 延期 form."""
    card = queries.get_card(request.scope, pk)
    return _extend(request, card, kind="card", service=services.extend_card)


@requires("order.view")
def coupon_extend(request, pk: int):
    """An e-coupon: value, expiry, its extension history and the 延期 form."""
    coupon = queries.get_coupon(request.scope, pk)
    return _extend(request, coupon, kind="coupon", service=services.extend_coupon)
