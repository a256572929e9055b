"""Editing a draft order (修改草稿): the order screen of a saved draft (after 暂存 or after 反结),
its lines, order type, visit, sales channel and note, with a running total; saving calls
`update_draft` (and `submit_order` for 提交收银)."""

from decimal import Decimal

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from yanzhi.core.errors import BusinessError
from yanzhi.customers import queries as customer_queries
from yanzhi.sales import queries, services
from yanzhi.sales.models import Order
from yanzhi.sales.views import (
    _fallback_lines,
    _field_error,
    _int,
    _posted_channel,
    _posted_lines,
    _refused,
    offers_by_item,
    requires,
)
from yanzhi.visits.queries import visits_for

TEMPLATE = "sales/order_edit.html"


def _posted_visit(request):
    """The visit chosen on the screen ('' unlinks it); the service checks it is the customer's
    visit at the order's store."""
    raw = request.POST.get("visit", "")
    if not raw:
        return None
    visit = visits_for(request.scope).filter(pk=_int(raw) or 0).first()
    if visit is None:
        raise _field_error("invalid_visit", "visit_id", _("到访记录不属于该客户或本门店"))
    return visit


def _context(request, order: Order, **values) -> dict:
    lines = values.pop("lines")
    return {
        "order": order,
        "store": order.store,
        "customer": order.customer,
        "lines": lines,
        "list_total": sum((ln.unit_price_amount * ln.quantity for ln in lines), Decimal("0.00")),
        "discount_total": sum((ln.discount_amount for ln in lines), Decimal("0.00")),
        "total": sum((ln.amount for ln in lines), Decimal("0.00")),
        "visits": list(queries.order_visit_choices(request.scope, order)[:20]),
        "channels": list(customer_queries.channels_for(request.scope, active_only=True)),
        "order_types": queries.order_type_choices(order.org_id),
        "offers": offers_by_item(order.customer, order.store, order.business_date),
        "error": None,
        **values,
    }


def _pricing(order: Order) -> dict:
    """A draft is priced for its customer on its own business date; its own promoted units do
    not count against the limit per customer."""
    return {"customer": order.customer, "day": order.business_date, "order_id": order.pk}


@requires("order.open")
@vary_on_headers("HX-Request")
def order_edit(request, pk: int):
    order = queries.get_order_detail(request.scope, pk)
    if request.method != "POST":
        if order.status != Order.Status.DRAFT:
            messages.info(request, _("只有草稿订单可以修改;待支付订单请先反结"))
            return redirect("sales:order-detail", pk=pk)
        context = _context(
            request,
            order,
            lines=list(order.lines.all()),
            order_type=order.order_type,
            note=order.note,
            visit_id=order.visit_id,
            channel_id=order.sales_channel_id,
        )
        return render(request, TEMPLATE, context)
    raw = _posted_lines(request)
    values = {
        "order_type": request.POST.get("order_type", ""),
        "note": request.POST.get("note", ""),
        "visit_id": _int(request.POST.get("visit")),
        "channel_id": _int(request.POST.get("sales_channel")),
    }
    try:
        lines = services.price_lines(order.store, raw, **_pricing(order)) if raw else []
        action = request.POST.get("action", "preview")
        if action in {"save", "submit"}:
            services.update_draft(
                order,
                by=request.user,
                lines=raw,
                order_type=values["order_type"],
                visit=_posted_visit(request),
                sales_channel=_posted_channel(request),
                note=values["note"],
            )
            if action == "submit":
                services.submit_order(order, by=request.user)
            return HttpResponseClientRedirect(reverse("sales:order-detail", args=[order.pk]))
    except BusinessError as error:
        _refused(error)
        kept = _fallback_lines(order.store, raw, **_pricing(order))
        context = _context(request, order, lines=kept, **values)
        context["error"] = error
        return render(request, f"{TEMPLATE}#screen", context, status=422)
    return render(request, f"{TEMPLATE}#screen", _context(request, order, lines=lines, **values))
