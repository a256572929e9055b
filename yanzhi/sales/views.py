"""Sales pages: the order list, the order screen (开单), the order with its pay panel (收银),
refund and reverse, the customer profile's orders tab, the deal definition and the prepaid
liability. Each view: scoped get → parse → one service call → render."""

import secrets
from datetime import date
from decimal import Decimal
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from yanzhi.catalog.queries import sellable_items
from yanzhi.core.errors import BusinessError
from yanzhi.customers import queries as customer_queries
from yanzhi.org import policy
from yanzhi.org import queries as org_queries
from yanzhi.org.models import Organization
from yanzhi.sales import queries, services
from yanzhi.sales.models import DealDefinition, Order, Payment
from yanzhi.sales.services import PaymentLine

PAGE_SIZE = 50


def requires(action: str):
    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not policy.can(request.scope, action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _int(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


def _store(request):
    store_id = _int(request.GET.get("store") or request.POST.get("store"))
    store_id = store_id or request.scope.current_store_id
    if store_id:
        return org_queries.get_store(request.scope, store_id)
    store = org_queries.stores_for(request.scope).first()
    if store is None:
        raise Http404
    return store


def _refused(error: BusinessError):
    if error.status == 404:
        raise Http404
    if error.status == 403:
        raise PermissionDenied(str(error.message))


def _posted_lines(request) -> list[tuple]:
    ids = request.POST.getlist("item_id")
    quantities = request.POST.getlist("quantity")
    discounts = request.POST.getlist("discount")
    return [
        (
            item_id,
            quantities[n] if n < len(quantities) else "",
            discounts[n] if n < len(discounts) else "0",
        )
        for n, item_id in enumerate(ids)
        if item_id
    ]


@requires("order.view")
@vary_on_headers("HX-Request")
def order_list(request):
    status = request.GET.get("status", "")
    day = None
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        pass
    orders = queries.order_list(
        request.scope,
        status=status,
        store_id=_int(request.GET.get("store")),
        day=day,
        q=request.GET.get("q", ""),
    )
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    name = "sales/order_list.html" + ("#rows" if request.htmx else "")
    return render(
        request,
        name,
        {
            "page": page,
            "statuses": Order.Status.choices,
            "status": status,
            "stores": org_queries.stores_for(request.scope),
            "filters": request.GET,
        },
    )


@requires("order.open")
@vary_on_headers("HX-Request")
def order_new(request):
    store = _store(request)
    customer = customer_queries.get_customer(
        request.scope, _int(request.GET.get("customer") or request.POST.get("customer")) or 0
    )
    visit_id = _int(request.GET.get("visit") or request.POST.get("visit"))
    visit = customer.visits.filter(pk=visit_id).first() if visit_id else None
    context = {
        "customer": customer,
        "store": store,
        "visit": visit,
        "lines": [],
        "error": None,
        "order_type": request.POST.get("order_type", ""),
        "note": request.POST.get("note", ""),
    }
    if request.method == "POST":
        raw = _posted_lines(request)
        try:
            priced = services.price_lines(store, raw) if raw else []
            context["lines"] = priced
            action = request.POST.get("action", "preview")
            if action in {"draft", "submit"}:
                order = services.open_order(
                    customer,
                    store=store,
                    by=request.user,
                    lines=raw,
                    visit=visit,
                    order_type=context["order_type"],
                    note=context["note"],
                )
                if action == "submit":
                    services.submit_order(order, by=request.user)
                return HttpResponseClientRedirect(reverse("sales:order-detail", args=[order.pk]))
        except BusinessError as error:
            _refused(error)
            context["error"] = error
            context["lines"] = _fallback_lines(store, raw)
        context["total"] = sum((ln.amount for ln in context["lines"]), Decimal("0.00"))
        status = 422 if context["error"] else 200
        return render(request, "sales/order_new.html#screen", context, status=status)
    return render(request, "sales/order_new.html", context)


def _fallback_lines(store, raw):
    """Keep what the cashier typed on the screen when a line is refused (priced where possible)."""
    kept = []
    for row in raw:
        try:
            kept.extend(services.price_lines(store, [row]))
        except BusinessError:
            continue
    return kept


@requires("order.open")
def item_search(request):
    store = _store(request)
    items = sellable_items(request.scope, store, q=request.GET.get("q", ""))[:20]
    return render(request, "sales/order_new.html#results", {"items": items})


@requires("order.view")
def order_detail(request, pk: int):
    order = queries.get_order_detail(request.scope, pk)
    return render(request, "sales/order_detail.html", _detail_context(request, order))


def _detail_context(request, order, *, error=None, refund_error=None):
    return {
        "order": order,
        "sources": queries.pay_sources(order),
        "methods": Payment.Method.choices,
        "idempotency_key": secrets.token_urlsafe(
            16
        ),  # a fresh key per render: a double click pays once
        "error": error,
        "refund_error": refund_error,
        "can_refund": order.status == Order.Status.PAID
        and policy.can(request.scope, "order.refund"),
        "can_pay": (
            order.status == Order.Status.PENDING
            or (order.status == Order.Status.PAID and order.arrears_amount > 0)
        )
        and policy.can(request.scope, "order.pay"),
    }


def _payment_lines(request) -> list[PaymentLine]:
    lines = []
    methods, amounts, sources = (request.POST.getlist(n) for n in ("method", "amount", "source"))
    for n, method in enumerate(methods):
        amount = amounts[n] if n < len(amounts) else ""
        if not amount.strip():
            continue
        source = _int(sources[n]) if n < len(sources) else None
        lines.append(
            PaymentLine(
                method,
                amount,
                card_id=source if method == "stored_value" else None,
                coupon_id=source if method == "coupon" else None,
                deposit_id=source if method == "deposit" else None,
            )
        )
    return lines


@requires("order.pay")
@require_POST
def order_pay(request, pk: int):
    order = queries.get_order(request.scope, pk)
    try:
        paid = services.pay_order(
            order,
            payments=_payment_lines(request),
            idempotency_key=request.POST.get("idempotency_key"),
            by=request.user,
        )
    except BusinessError as error:
        _refused(error)
        order = queries.get_order_detail(request.scope, pk)
        return render(
            request,
            "sales/order_detail.html#pay",
            _detail_context(request, order, error=error),
            status=422,
        )
    for warning in getattr(paid, "stock_warnings", ()):  # the store's "warn" stock policy
        messages.warning(request, warning)
    return HttpResponseClientRedirect(reverse("sales:order-detail", args=[pk]))


@requires("order.refund")
@require_POST
def order_refund(request, pk: int):
    order = queries.get_order_detail(request.scope, pk)
    full = request.POST.get("full") == "1"
    lines = [
        (line.pk, _int(request.POST.get(f"refund_{line.pk}")))
        for line in order.lines.all()
        if _int(request.POST.get(f"refund_{line.pk}"))
    ]
    try:
        services.refund_order(
            order, lines=lines, full=full, reason=request.POST.get("reason", ""), by=request.user
        )
    except BusinessError as error:
        _refused(error)
        return render(
            request,
            "sales/order_detail.html#refund",
            _detail_context(request, order, refund_error=error),
            status=422,
        )
    return HttpResponseClientRedirect(reverse("sales:order-detail", args=[pk]))


@requires("order.open")
@require_POST
def order_transition(request, pk: int, action: str):
    order = queries.get_order(request.scope, pk)
    service = {"submit": services.submit_order, "reverse": services.reverse_order}.get(action)
    if service is None:
        raise Http404
    try:
        service(order, by=request.user)
    except BusinessError as error:
        _refused(error)
        messages.error(request, str(error.message))
    return redirect("sales:order-detail", pk=pk)


@requires("order.view")
def customer_orders(request, pk: int):
    customer = customer_queries.get_customer(request.scope, pk)
    orders = queries.customer_orders(request.scope, customer)[:50]
    cards = queries.cards_for(request.scope).filter(customer=customer).order_by("-id")
    coupons = queries.coupons_for(request.scope).filter(customer=customer).order_by("-id")[:20]
    return render(
        request,
        "sales/customer_orders.html",
        {
            "customer": customer,
            "orders": orders,
            "cards": cards,
            "coupons": coupons,
        },
    )


@requires("deal.configure")
def deal_definition(request):
    current = queries.current_definition(request.scope)
    error = None
    if request.method == "POST":
        org = Organization.objects.get(pk=request.scope.org_id)
        types = [
            t.strip() for t in request.POST.get("order_types", "").replace(",", ",").split(",")
        ]
        try:
            services.set_deal_definition(
                org,
                order_types=[t for t in types if t],
                min_amount=request.POST.get("min_amount") or "0",
                kinds=request.POST.getlist("kinds"),
                by=request.user,
            )
            return redirect("sales:deal-definition")
        except BusinessError as error_:
            _refused(error_)
            error = error_
    kinds = current.enabled_kinds if current else frozenset(DealDefinition.KINDS)
    labels = dict(
        zip(
            DealDefinition.KINDS,
            [_("服务项目"), _("商品"), _("药品"), _("套餐"), _("卡项")],
            strict=True,
        )
    )
    return render(
        request,
        "sales/deal_definition.html",
        {
            "current": current,
            "history": queries.definition_history(request.scope)[:20],
            "error": error,
            "kinds": [(k, labels[k], k in kinds) for k in DealDefinition.KINDS],
        },
        status=422 if error else 200,
    )


@requires("prepaid.view")
def prepaid_liability(request):
    liability = queries.prepaid_liability(request.scope)
    return render(
        request,
        "sales/prepaid_liability.html",
        {"rows": liability.rows, "total": liability.total},
    )
