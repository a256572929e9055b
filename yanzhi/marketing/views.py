"""Pages of marketing: the repurchase window with its reminder action, channel statistics (with
Excel export), channel costs, voucher verification (核销), referral counts and a customer's
referral tree. Figures come from queries.py (docs/marketing.md); writes from services.py."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yanzhi.catalog.queries import items_for
from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import first_of_month, store_today
from yanzhi.core.validators import normalize_mobile
from yanzhi.core.xlsx import Sheet, xlsx_response
from yanzhi.customers.queries import channels_for, customers_for, get_customer
from yanzhi.marketing import queries, services
from yanzhi.marketing.forms import (
    CostForm,
    FollowupForm,
    PeriodForm,
    RepurchaseForm,
    ReverseForm,
    VoucherForm,
)
from yanzhi.org import policy
from yanzhi.org.decorators import action_view
from yanzhi.org.queries import get_store, stores_for

PAGE_SIZE = 50
DEFAULT_FOLLOWUP_TITLE = "复购提醒:首次成交后尚未再次消费"


def _zone_store(request):
    """The store whose calendar the page's days are in: the current store, else the first."""
    store_id = request.scope.current_store_id
    if store_id:
        return get_store(request.scope, store_id)
    return stores_for(request.scope).order_by("pk").first()


def _today(request):
    store = _zone_store(request)
    return store_today(store) if store is not None else timezone.localdate()


def _period(request, form, *, default_start, default_end):
    """(start, end, store_id, zone store) from a valid filter form, defaults otherwise."""
    start, end, store_id = default_start, default_end, None
    zone = _zone_store(request)
    if form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
        store_id = form.cleaned_data["store_id"]
        if store_id is not None:
            zone = get_store(request.scope, store_id)
    if end < start:
        start, end = end, start
    return start, end, store_id, zone


def _add_errors(form, error: BusinessError) -> None:
    placed = False
    for name, problems in error.fields.items():
        if name in form.fields:
            for problem in problems:
                form.add_error(name, problem)
            placed = True
    if not placed:
        form.add_error(None, error.message)


# --- the repurchase window -----------------------------------------------------------------------
@require_GET
@action_view("repurchase.view")
def repurchase(request):
    scope = request.scope
    stores = stores_for(scope)
    form = RepurchaseForm(request.GET or None, stores=stores)
    today = _today(request)
    default_start = first_of_month(today.replace(day=1) - timedelta(days=335))
    start, end, store_id, zone = _period(
        request, form, default_start=default_start, default_end=today
    )
    window = form.cleaned_data.get("window") if form.is_valid() else None
    now = timezone.now()
    lo, hi = queries.period_bounds(zone, start, end)
    stats = queries.repurchase_window(scope, start=lo, end=hi, as_of=now, store_id=store_id)
    candidates = queries.repurchase_candidates(scope, as_of=now, store_id=store_id, window=window)
    page = Paginator(candidates, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(s, queries.days_left(s.window_end, now)) for s in page]
    filters = {"start": start.isoformat(), "end": end.isoformat()}
    if store_id:
        filters["store_id"] = store_id
    if window:
        filters["window"] = window
    context = {
        "form": form,
        "start_day": start,
        "end_day": end,
        "store_id": store_id,
        "window": window,
        "stats": stats,
        "curve_pairs": [(_("第%(k)s月") % {"k": m.month}, m.count) for m in stats.curve],
        "page": page,
        "rows": rows,
        "query": urlencode(filters),
        "default_title": DEFAULT_FOLLOWUP_TITLE,
        "can_remind": policy.can(scope, "followup.campaign"),
    }
    return render(request, "marketing/repurchase.html", context)


@require_POST
@action_view("repurchase.view")
def repurchase_followups(request):
    form = FollowupForm(request.POST)
    back = "/marketing/repurchase/"
    if not form.is_valid():
        messages.error(request, _("输入内容不正确"))
        return redirect(back)
    data = form.cleaned_data
    query = {k: data[k] for k in ("store_id", "window") if data.get(k)}
    if query:
        back += "?" + urlencode(query)
    try:
        created = services.create_repurchase_followups(
            customer_ids=None if data["all"] else data["customer_ids"],
            title=data["title"] or DEFAULT_FOLLOWUP_TITLE,
            store_id=data.get("store_id"),
            window=data.get("window"),
            due_on=data.get("due_on"),
            by=request.user,
        )
    except BusinessError as error:
        if error.status in (403, 404):
            raise
        messages.error(request, error.message)
        return redirect(back)
    messages.success(request, _("已创建%(n)s条复购回访任务") % {"n": created})
    return redirect(back)


# --- channels ------------------------------------------------------------------------------------
def _channel_report(request):
    scope = request.scope
    form = PeriodForm(request.GET or None, stores=stores_for(scope))
    today = _today(request)
    start, end, store_id, zone = _period(
        request, form, default_start=first_of_month(today), default_end=today
    )
    rows, total = queries.channel_stats(
        scope, start=start, end=end, store_id=store_id, zone_store=zone
    )
    return form, start, end, store_id, rows, total


@require_GET
@action_view("channel.view")
def channels(request):
    form, start, end, store_id, rows, total = _channel_report(request)
    no_channel = _("未登记渠道")
    context = {
        "form": form,
        "start_day": start,
        "end_day": end,
        "rows": rows,
        "total": total,
        "revenue_pairs": [(r.name or no_channel, r.revenue) for r in rows],
        "arrival_pairs": [(r.name or no_channel, r.arrivals) for r in rows],
        "query": request.GET.urlencode(),
    }
    return render(request, "marketing/channels.html", context)


@require_GET
@action_view("channel.view")
def channels_export(request):
    form, start, end, store_id, rows, total = _channel_report(request)
    store = get_store(request.scope, store_id).name if store_id else _("全部门店")
    headers = [
        _("渠道"),
        _("到访人次"),
        _("初诊到访"),
        _("核销数"),
        _("核销金额"),
        _("首次成交"),
        _("二开人数"),
        _("复购单数"),
        _("复购金额"),
        _("实收"),
        _("费用"),
        _("ROI(%)"),
    ]

    def line(name, r):
        return [
            name,
            r.arrivals,
            r.first_arrivals,
            r.verifications,
            r.verification_amount,
            r.first_deals,
            r.second_deals,
            r.repurchases,
            r.repurchase_amount,
            r.revenue,
            r.cost,
            r.roi_percent,
        ]

    body = [line(r.name or _("未登记渠道"), r) for r in rows] + [line(_("合计"), total)]
    note = _("期间 %(start)s 至 %(end)s · %(store)s") % {"start": start, "end": end, "store": store}
    return xlsx_response(
        _("渠道统计"),
        [Sheet(_("渠道统计"), headers, body, notes=[note, _("口径见 docs/marketing.md")])],
    )


# --- channel costs -------------------------------------------------------------------------------
def _cost_form(request, data=None, initial=None):
    scope = request.scope
    return CostForm(
        data,
        initial=initial,
        stores=stores_for(scope),
        channels=channels_for(scope),
        chain_wide=scope.chain_wide,
    )


def _render_costs(request, form, status=200):
    scope = request.scope
    today = _today(request)
    since = first_of_month(first_of_month(today) - timedelta(days=150))
    costs = (
        queries.channel_costs_for(scope)
        .filter(month__gte=since)
        .order_by("-month", "channel__name", "store_id")
    )
    context = {"form": form, "costs": costs, "since": since}
    return render(request, "marketing/channel_costs.html", context, status=status)


@require_http_methods(["GET", "POST"])
@action_view("channel.manage_costs")
def channel_costs(request):
    scope = request.scope
    if request.method == "GET":
        initial = {"month": _today(request).strftime("%Y-%m")}
        if not scope.chain_wide:
            initial["store_id"] = scope.current_store_id
        edit = request.GET.get("cost_id")
        if edit and edit.isdigit():
            cost = queries.get_channel_cost(scope, int(edit))
            initial = {
                "month": cost.month.strftime("%Y-%m"),
                "store_id": cost.store_id,
                "channel_id": cost.channel_id,
                "amount": cost.amount,
                "note": cost.note,
            }
        return _render_costs(request, _cost_form(request, initial=initial))
    form = _cost_form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        store = get_store(scope, data["store_id"]) if data["store_id"] else None
        try:
            services.set_channel_cost(
                scope.org_id,
                store=store,
                channel_id=data["channel_id"],
                month=data["month"],
                amount=data["amount"],
                note=data["note"],
                by=request.user,
            )
        except BusinessError as error:
            if error.status in (403, 404):
                raise
            _add_errors(form, error)
        else:
            messages.success(request, _("渠道费用已保存"))
            return redirect("marketing:channel-costs")
    return _render_costs(request, form, status=422)


@require_POST
@action_view("channel.manage_costs")
def channel_cost_delete(request, pk: int):
    cost = queries.get_channel_cost(request.scope, pk)
    services.delete_channel_cost(cost, by=request.user)
    messages.success(request, _("渠道费用已删除"))
    return redirect("marketing:channel-costs")


# --- vouchers (核销) -----------------------------------------------------------------------------
def _voucher_form(request, data=None, initial=None):
    scope = request.scope
    return VoucherForm(
        data,
        initial=initial,
        channels=channels_for(scope, active_only=True),
        items=items_for(scope).filter(is_active=True).order_by("code"),
    )


def _render_vouchers(request, form, *, customer=None, status=200):
    scope = request.scope
    filter_form = PeriodForm(request.GET or None, stores=stores_for(scope))
    today = _today(request)
    start, end, store_id, _zone = _period(
        request, filter_form, default_start=today - timedelta(days=6), default_end=today
    )
    redemptions = queries.redemptions_for(scope).filter(
        business_date__gte=start, business_date__lte=end
    )
    if store_id:
        redemptions = redemptions.filter(store_id=store_id)
    page = Paginator(redemptions, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "filter_form": filter_form,
        "start_day": start,
        "end_day": end,
        "page": page,
        "customer": customer,
        "can_verify": policy.can(scope, "voucher.verify"),
        "can_reverse": policy.can(scope, "voucher.reverse"),
    }
    return render(request, "marketing/vouchers.html", context, status=status)


@require_http_methods(["GET", "POST"])
@action_view("voucher.view")
def vouchers(request):
    scope = request.scope
    if request.method == "GET":
        customer = None
        wanted = request.GET.get("customer")
        if wanted and wanted.isdigit():
            customer = get_customer(scope, int(wanted))
        initial = {"customer_id": customer.pk} if customer else None
        return _render_vouchers(request, _voucher_form(request, initial=initial), customer=customer)
    policy.require(scope, "voucher.verify")
    form = _voucher_form(request, request.POST)
    customer = None
    if form.is_valid():
        data = form.cleaned_data
        if data["customer_id"]:
            customer = get_customer(scope, data["customer_id"])
        else:
            phone = normalize_mobile(data["phone"] or "")
            customer = customers_for(scope).filter(phone=phone).first() if phone else None
            if customer is None:
                form.add_error("phone", _("没有找到该手机号的客户"))
        store = _zone_store(request)
        if customer is not None and store is None:
            raise Http404
        if customer is not None:
            try:
                redemption = services.verify_voucher(
                    store,
                    customer=customer,
                    channel_id=data["channel_id"],
                    code=data["code"],
                    item_id=data["item_id"],
                    settlement_amount=data["settlement_amount"],
                    by=request.user,
                )
            except BusinessError as error:
                if error.status in (403, 404):
                    raise
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("已为%(name)s核销券码 %(code)s")
                    % {"name": customer.name, "code": redemption.code},
                )
                return redirect("marketing:vouchers")
    return _render_vouchers(request, form, customer=customer, status=422)


@require_POST
@action_view("voucher.reverse")
def voucher_reverse(request, pk: int):
    redemption = queries.get_redemption(request.scope, pk)
    form = ReverseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.reverse_voucher(redemption, reason=reason, by=request.user)
    except BusinessError as error:
        if error.status in (403, 404):
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, _("核销已撤销"))
    return redirect("marketing:vouchers")


# --- referrals -----------------------------------------------------------------------------------
@require_GET
@action_view("customer.view")
def referral_tree(request, pk: int):
    customer = get_customer(request.scope, pk)
    tree = queries.referral_tree(request.scope, customer)
    referrer = None
    if customer.referrer_id:
        referrer = customers_for(request.scope).filter(pk=customer.referrer_id).first()
    return render(
        request,
        "marketing/referral_tree.html",
        {"customer": customer, "tree": tree, "referrer": referrer},
    )


@require_GET
@action_view("channel.view")
def referrals(request):
    scope = request.scope
    form = PeriodForm(request.GET or None, stores=stores_for(scope))
    today = _today(request)
    start, end, store_id, zone = _period(
        request, form, default_start=first_of_month(today), default_end=today
    )
    stats = queries.referral_stats(scope, start=start, end=end, store_id=store_id, zone_store=zone)
    context = {
        "form": form,
        "start_day": start,
        "end_day": end,
        **stats,
        "consultant_pairs": [
            (r["referrer__consultant__name"] or _("无"), r["referred"])
            for r in stats["by_consultant"]
        ],
    }
    return render(request, "marketing/referrals.html", context)
