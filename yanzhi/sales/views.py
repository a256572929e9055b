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
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from yanzhi.catalog.queries import sellable_items
from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import store_today
from yanzhi.customers import queries as customer_queries
from yanzhi.org import policy
from yanzhi.org import queries as org_queries
from yanzhi.org.models import Organization
from yanzhi.sales import queries, services
from yanzhi.sales.models import DealDefinition, DiscountApprovalStep, Order, Payment
from yanzhi.sales.promotions import offers_for as promotion_offers
from yanzhi.sales.services import PaymentLine
from yanzhi.visits.queries import visits_for

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
    return org_queries.page_store(request.scope, store_id, request.user)


def _refused(error: BusinessError):
    if error.status == 404:
        raise Http404
    if error.status == 403:
        raise PermissionDenied(str(error.message))


def _field_error(code: str, field: str, message) -> BusinessError:
    return BusinessError(code, message, fields={field: [message]}, status=422)


def _posted_channel(request):
    """The sales channel chosen on an order screen ('' = none), one of the chain's channels."""
    raw = request.POST.get("sales_channel", "")
    if not raw:
        return None
    channel = customer_queries.channels_for(request.scope).filter(pk=_int(raw) or 0).first()
    if channel is None:
        raise _field_error("invalid_channel", "sales_channel_id", _("销售渠道不存在"))
    return channel


def _posted_lines(request) -> list[tuple]:
    ids = request.POST.getlist("item_id")
    quantities = request.POST.getlist("quantity")
    discounts = request.POST.getlist("discount")
    chosen = request.POST.getlist("promotion")
    return [
        (
            item_id,
            quantities[n] if n < len(quantities) else "",
            discounts[n] if n < len(discounts) else "0",
            chosen[n] if n < len(chosen) else "",
        )
        for n, item_id in enumerate(ids)
        if item_id
    ]


def offers_by_item(customer, store, day=None) -> dict:
    """The promotions the customer may buy under today at the store, by item id (the order
    screens' 活动价 choice per line)."""
    by_item: dict[int, list] = {}
    for offer in promotion_offers(customer, store=store, day=day or store_today(store)):
        by_item.setdefault(offer.promotion_item.item_id, []).append(offer)
    return by_item


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
    # only the customer's visits at the order's store (the service refuses any other)
    visit = (
        get_object_or_404(
            visits_for(request.scope).filter(customer=customer, store=store), pk=visit_id
        )
        if visit_id
        else None
    )
    context = {
        "customer": customer,
        "store": store,
        "visit": visit,
        "lines": [],
        "error": None,
        "order_type": request.POST.get("order_type", ""),
        "note": request.POST.get("note", ""),
        "channels": list(customer_queries.channels_for(request.scope, active_only=True)),
        # the customer's own source channel unless the screen says otherwise
        "channel_id": _int(request.POST.get("sales_channel"))
        if request.method == "POST"
        else customer.source_channel_id,
    }
    if request.method == "POST":
        raw = _posted_lines(request)
        try:
            channel = _posted_channel(request)
            priced = services.price_lines(store, raw, customer=customer) if raw else []
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
                    sales_channel=channel,
                    note=context["note"],
                    submit=action == "submit",
                )
                return HttpResponseClientRedirect(reverse("sales:order-detail", args=[order.pk]))
        except BusinessError as error:
            _refused(error)
            context["error"] = error
            context["lines"] = _fallback_lines(store, raw, customer=customer)
        context["offers"] = offers_by_item(customer, store)
        context["total"] = sum((ln.amount for ln in context["lines"]), Decimal("0.00"))
        status = 422 if context["error"] else 200
        return render(request, "sales/order_new.html#screen", context, status=status)
    context["offers"] = offers_by_item(customer, store)
    return render(request, "sales/order_new.html", context)


def _fallback_lines(store, raw, *, customer=None, day=None, order_id=None):
    """Keep what the cashier typed on the screen when a line is refused (priced where possible;
    a refused promotion falls back to the list price, the error says why)."""
    kept = []
    for row in raw:
        for attempt in (row, tuple(row)[:3]):
            try:
                kept.extend(
                    services.price_lines(
                        store, [attempt], customer=customer, day=day, order_id=order_id
                    )
                )
                break
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


def _detail_context(request, order, *, error=None, refund_error=None, pay_rows=None):
    can_take_deposit = order.status != Order.Status.REFUNDED and policy.can(
        request.scope, "deposit.take"
    )
    return {
        "order": order,
        "sources": queries.pay_sources(order),
        "methods": Payment.Method.choices,
        "money_methods": [
            (v, label) for v, label in Payment.Method.choices if v in Payment.MONEY_METHODS
        ],
        # the pay form starts with one row holding what is still due
        "pay_rows": pay_rows or [{"method": "cash", "amount": order.arrears_amount}],
        # a fresh key per render: a double click (or a resent form) pays once
        "idempotency_key": secrets.token_urlsafe(16),
        "error": error,
        "refund_error": refund_error,
        "unused_sessions": queries.unused_sessions_by_line(order),
        "can_refund": order.status == Order.Status.PAID
        and policy.can(request.scope, "order.refund"),
        "can_pay": (
            order.status == Order.Status.PENDING
            or (order.status == Order.Status.PAID and order.arrears_amount > 0)
        )
        and order.approval_status != "pending"
        and policy.can(request.scope, "order.pay"),
        "can_edit": order.status == Order.Status.DRAFT and policy.can(request.scope, "order.open"),
        "can_take_deposit": can_take_deposit,
        "deposit_appointments": (
            list(queries.deposit_appointments(request.scope, order.customer, order.store)[:20])
            if can_take_deposit
            else []
        ),
    }


def _payment_lines(request) -> list[PaymentLine]:
    """The pay form's rows: a method ("cash", …) or a source of the customer's
    ("stored_value:<card>", "coupon:<coupon>", "deposit:<deposit>") and an amount; rows
    without an amount are ignored. (A separate `source` field is still read for API-like
    posts of the older form.)"""
    lines = []
    methods, amounts, sources = (request.POST.getlist(n) for n in ("method", "amount", "source"))
    for n, value in enumerate(methods):
        amount = amounts[n] if n < len(amounts) else ""
        if not amount.strip() or amount.strip() in ("0", "0.0", "0.00"):
            continue  # an empty row (a ¥0 order is settled with no payment line)
        method, _sep, ref = value.partition(":")
        source = _int(ref) if ref else (_int(sources[n]) if n < len(sources) else None)
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


def _posted_pay_rows(request) -> list[dict]:
    methods, amounts = request.POST.getlist("method"), request.POST.getlist("amount")
    return [
        {"method": method, "amount": amounts[n] if n < len(amounts) else ""}
        for n, method in enumerate(methods)
        if n < len(amounts) and amounts[n].strip()
    ]


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
            "sales/order_pay.html#pay",
            _detail_context(request, order, error=error, pay_rows=_posted_pay_rows(request)),
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
    sessions = [
        (line.pk, _int(request.POST.get(f"sessions_{line.pk}")))
        for line in order.lines.all()
        if _int(request.POST.get(f"sessions_{line.pk}"))
    ]
    try:
        services.refund_order(
            order,
            lines=lines,
            sessions=sessions,
            full=full,
            reason=request.POST.get("reason", ""),
            by=request.user,
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
    store = _store(request)
    return render(
        request,
        "sales/customer_orders.html",
        {
            "customer": customer,
            "orders": orders,
            "store": store,
            **queries.customer_wallet(request.scope, customer, store),
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


# --- discount approval (层级审批) --------------------------------------------------------------------
@login_required
@vary_on_headers("HX-Request")
def approval_list(request):
    """审批: requests waiting for me, those I asked for, those I decided."""
    box = request.GET.get("box", "waiting")
    if box not in queries.APPROVAL_BOXES:
        box = "waiting"
    page = Paginator(queries.approval_list(request.scope, box), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    boxes = [
        ("waiting", _("待我审批")),
        ("requested", _("我发起的")),
        ("decided", _("我已处理")),
        ("all", _("全部")),
    ]
    return render(
        request,
        "sales/approval_list.html#rows" if request.htmx else "sales/approval_list.html",
        {"page": page, "box": box, "boxes": boxes},
    )


def _approval_context(request, approval, *, error=None):
    return {
        "approval": approval,
        "a": approval,
        "order": approval.order,
        "lines": approval.order.lines.select_related("item"),
        "can_decide": queries.can_decide(request.scope, approval),
        "error": error,
    }


@login_required
def approval_detail(request, pk: int):
    approval = queries.get_approval(request.scope, pk)
    return render(request, "sales/approval_detail.html", _approval_context(request, approval))


@login_required
@require_POST
def approval_decide(request, pk: int, decision: str):
    approval = queries.get_approval(request.scope, pk)
    service = {"approve": services.approve_discount, "reject": services.reject_discount}.get(
        decision
    )
    if service is None:
        raise Http404
    try:
        service(approval, by=request.user, comment=request.POST.get("comment", ""))
    except BusinessError as error:
        _refused(error)
        approval = queries.get_approval(request.scope, pk)
        return render(
            request,
            "sales/approval_detail.html#decide",
            _approval_context(request, approval, error=error),
            status=422,
        )
    return HttpResponseClientRedirect(reverse("sales:approval-detail", args=[pk]))


@requires("order.view")
def order_approval(request, pk: int):
    """The order page's approval panel: where the discount request stands, its history, and
    for a draft above the store's limit, that submitting will ask for approval."""
    order = queries.get_order_detail(request.scope, pk)
    limit = order.store.discount_limit_percent
    percent = services.discount_percent(order.list_amount, order.discount_amount)
    return render(
        request,
        "sales/order_approval.html",
        {
            "order": order,
            "approvals": queries.order_approvals(order),
            "percent": percent,
            "limit": limit,
            "needs_approval": order.status == Order.Status.DRAFT
            and order.discount_amount > 0
            and limit is not None
            and percent > limit,
        },
    )


@requires("order.open")
@require_POST
def order_submit_for_approval(request, pk: int):
    order = queries.get_order(request.scope, pk)
    try:
        services.submit_order(
            order, by=request.user, approval_reason=request.POST.get("reason", "")
        )
    except BusinessError as error:
        _refused(error)
        from django.contrib import messages

        messages.error(request, str(error.message))
    return HttpResponseClientRedirect(reverse("sales:order-detail", args=[pk]))


@requires("approval.configure")
def discount_approval_settings(request):
    """审批流程: the levels of the chain's discount approval and each store's limit."""
    org = Organization.objects.get(pk=request.scope.org_id)
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("form") == "limits":
                stores = {s.pk: s for s in org_queries.stores_for(request.scope)}
                for store_id, store in stores.items():
                    field = f"limit_{store_id}"
                    if field in request.POST:
                        value = request.POST[field].strip()
                        if str(store.discount_limit_percent or "") != value:
                            services.set_discount_limit(store, limit_percent=value, by=request.user)
            else:
                approvers = request.POST.getlist("approver")
                maxima = request.POST.getlist("max_percent")
                steps = [
                    (a, maxima[n] if n < len(maxima) else "") for n, a in enumerate(approvers) if a
                ]
                services.set_discount_flow(org, steps=steps, by=request.user)
            return redirect("sales:discount-approval-settings")
        except BusinessError as error_:
            _refused(error_)
            error = error_
    steps = services.discount_flow(org.pk)
    rows = [steps[n] if n < len(steps) else None for n in range(3)]
    return render(
        request,
        "sales/discount_approval_settings.html",
        {
            "rows": rows,
            "approvers": DiscountApprovalStep.Approver.choices,
            "stores": org_queries.stores_for(request.scope),
            "error": error,
            "configured": DiscountApprovalStep.objects.filter(org=org).exists(),
        },
        status=422 if error else 200,
    )
