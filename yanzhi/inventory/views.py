"""Stock pages: the overview, receipts, transfers, counts, the ledger and warehouses.
Each view: scoped get → parse → one service call → render."""

from decimal import Decimal, InvalidOperation
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

from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import store_today
from yanzhi.inventory import queries, services
from yanzhi.inventory.forms import (
    CountForm,
    LineFormSet,
    MoveFilterForm,
    ReceiptForm,
    TransferForm,
    WarehouseForm,
)
from yanzhi.org import policy
from yanzhi.org import queries as org_queries

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


def _current_store(request):
    """?store= inside the scope, else the staff member's current store, else the first one."""
    store_id = _int(request.GET.get("store") or request.POST.get("store"))
    store_id = store_id or request.scope.current_store_id
    return org_queries.page_store(request.scope, store_id, request.user)


def _place_errors(form, formset, error: BusinessError) -> None:
    """A refused action's messages on the right fields ("lines.2.quantity" → line 3's quantity)."""
    if error.status == 404:
        raise Http404
    if error.status == 403:
        raise PermissionDenied(str(error.message))
    placed = False
    for name, problems in error.fields.items():
        parts = name.split(".")
        if formset is not None and parts[0] == "lines" and len(parts) == 3:
            line_form = formset.forms[int(parts[1])] if int(parts[1]) < len(formset.forms) else None
            field = {"item_id": "item"}.get(parts[2], parts[2])
            if line_form is not None and field in line_form.fields:
                for problem in problems:
                    line_form.add_error(field, problem)
                placed = True
                continue
        field = name.removesuffix("_id")
        if field in form.fields:
            for problem in problems:
                form.add_error(field, problem)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def _filled_lines(formset) -> tuple[list, list]:
    """(the formset's forms that name an item, their cleaned data)."""
    forms = [f for f in formset.forms if f.cleaned_data.get("item")]
    return forms, [f.cleaned_data for f in forms]


# --- overview -----------------------------------------------------------------------------------
@vary_on_headers("HX-Request")
@requires("inventory.view")
def stock_overview(request):
    scope = request.scope
    store = _current_store(request)
    warehouse_id = _int(request.GET.get("warehouse"))
    q = request.GET.get("q", "")
    negative_only = request.GET.get("negative") == "1"
    levels = queries.stock_levels(
        scope, store_id=store.pk, warehouse_id=warehouse_id, q=q, negative_only=negative_only
    )
    page = Paginator(levels, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "inventory/stock.html" + ("#levels" if request.htmx else "")
    return render(
        request,
        template,
        {
            "store": store,
            "stores": org_queries.stores_for(scope),
            "warehouses": queries.warehouses_for(scope).filter(store_id=store.pk),
            "warehouse_id": warehouse_id,
            "q": q,
            "negative_only": negative_only,
            "page": page,
            "can_manage": policy.can(scope, "inventory.manage"),
        },
    )


# --- receipts and transfers ---------------------------------------------------------------------
@requires("inventory.manage")
def receipt_new(request):
    scope = request.scope
    store = _current_store(request)
    warehouses = queries.warehouses_for(scope).filter(is_active=True)
    items = queries.stock_items(scope)
    data = request.POST or None
    form = ReceiptForm(
        data,
        warehouses=warehouses,
        initial={
            "business_date": store_today(store),
            "warehouse": queries.default_warehouse(store, "product"),
        },
    )
    formset = LineFormSet(data, form_kwargs={"items": items}, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        line_forms, lines = _filled_lines(formset)
        try:
            services.receive_stock(
                form.cleaned_data["warehouse"],
                lines=[
                    services.ReceiptLine(
                        d["item"], d["quantity"], d["lot_no"], d["expires_on"], d["unit_cost"]
                    )
                    for d in lines
                ],
                by=request.user,
                business_date=form.cleaned_data["business_date"],
                note=form.cleaned_data["note"],
            )
        except BusinessError as error:
            _place_errors(form, _Lines(line_forms), error)
        else:
            messages.success(request, _("已入库"))
            warehouse = form.cleaned_data["warehouse"]
            return redirect(f"{reverse('inventory:moves')}?warehouse={warehouse.pk}")
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "inventory/receipt_form.html",
        {"form": form, "formset": formset, "store": store},
        status=status,
    )


class _Lines:
    """The filled lines only, indexed as the service saw them."""

    def __init__(self, forms):
        self.forms = forms


@requires("inventory.manage")
def transfer_new(request):
    scope = request.scope
    store = _current_store(request)
    data = request.POST or None
    form = TransferForm(
        data,
        warehouses=queries.warehouses_for(scope).filter(is_active=True),
        targets=queries.transfer_targets(scope),
        initial={"business_date": store_today(store)},
    )
    formset = LineFormSet(data, form_kwargs={"items": queries.stock_items(scope)}, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        line_forms, lines = _filled_lines(formset)
        try:
            transfer = services.transfer_stock(
                form.cleaned_data["from_warehouse"],
                form.cleaned_data["to_warehouse"],
                lines=[services.StockLine(d["item"], d["quantity"], d["lot_no"]) for d in lines],
                by=request.user,
                business_date=form.cleaned_data["business_date"],
                note=form.cleaned_data["note"],
            )
        except BusinessError as error:
            _place_errors(form, _Lines(line_forms), error)
        else:
            messages.success(request, _("已调拨"))
            for warning in transfer.warnings:
                messages.warning(request, warning)
            return redirect(f"{reverse('inventory:moves')}?reference={transfer.reference}")
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "inventory/transfer_form.html",
        {"form": form, "formset": formset, "store": store},
        status=status,
    )


# --- counts ---------------------------------------------------------------------------------------
@requires("inventory.manage")
def count_new(request):
    """Pick a warehouse, then enter the counted quantity of each item (blank = not counted)."""
    scope = request.scope
    store = _current_store(request)
    warehouses = queries.warehouses_for(scope).filter(is_active=True)
    warehouse_id = _int(request.GET.get("warehouse") or request.POST.get("warehouse"))
    warehouse = queries.get_warehouse(scope, warehouse_id) if warehouse_id else None
    form = CountForm(request.POST or None, initial={"business_date": store_today(store)})
    sheet = queries.count_sheet(warehouse) if warehouse else []
    entered = {}
    if request.method == "POST" and warehouse is not None:
        for item, _book in sheet:
            raw = request.POST.get(f"counted_{item.pk}", "").strip()
            if raw:
                try:
                    entered[item] = Decimal(raw)
                except InvalidOperation:
                    form.add_error(None, _("%(item)s 的实盘数量不正确") % {"item": item.name})
        if form.is_valid():
            try:
                count = services.count_stock(
                    warehouse,
                    counted=entered,
                    by=request.user,
                    business_date=form.cleaned_data["business_date"],
                    note=form.cleaned_data["note"],
                )
            except BusinessError as error:
                _place_errors(form, None, error)
            else:
                messages.success(request, _("盘点已过账"))
                return redirect("inventory:count-detail", pk=count.pk)
    rows = [
        {"item": item, "book": book, "value": request.POST.get(f"counted_{item.pk}", "")}
        for item, book in sheet
    ]
    return render(
        request,
        "inventory/count_form.html",
        {
            "form": form,
            "store": store,
            "warehouses": warehouses,
            "warehouse": warehouse,
            "rows": rows,
        },
        status=422 if request.method == "POST" else 200,
    )


@requires("inventory.view")
def count_detail(request, pk):
    count = queries.get_count(request.scope, pk)
    return render(request, "inventory/count_detail.html", {"count": count})


# --- the ledger -----------------------------------------------------------------------------------
@vary_on_headers("HX-Request")
@requires("inventory.view")
def moves(request):
    scope = request.scope
    form = MoveFilterForm(
        request.GET or None,
        warehouses=queries.warehouses_for(scope),
        items=queries.stock_items(scope),
    )
    filters = form.cleaned_data if form.is_valid() else {}
    ledger = queries.stock_moves(
        scope,
        warehouse_id=getattr(filters.get("warehouse"), "pk", None),
        item_id=getattr(filters.get("item"), "pk", None),
        kind=filters.get("kind", ""),
        lot_no=filters.get("lot_no", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        reference=request.GET.get("reference", ""),
    )
    page = Paginator(ledger, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "inventory/moves.html" + ("#ledger" if request.htmx else "")
    return render(request, template, {"form": form, "page": page, "query": query.urlencode()})


# --- warehouses -----------------------------------------------------------------------------------
@requires("inventory.view")
def warehouse_list(request):
    scope = request.scope
    store = _current_store(request)
    can_manage = policy.can(scope, "inventory.manage")
    form = WarehouseForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.create_warehouse(store, by=request.user, **form.cleaned_data)
            except BusinessError as error:
                _place_errors(form, None, error)
            else:
                messages.success(request, _("已添加"))
                return redirect(f"{reverse('inventory:warehouses')}?store={store.pk}")
    return render(
        request,
        "inventory/warehouses.html",
        {
            "store": store,
            "stores": org_queries.stores_for(scope),
            "warehouses": queries.warehouses_for(scope).filter(store_id=store.pk),
            "form": form,
            "can_manage": can_manage,
        },
        status=422 if form.errors else 200,
    )


@requires("inventory.manage")
@require_POST
def warehouse_toggle(request, pk):
    warehouse = queries.get_warehouse(request.scope, pk)
    try:
        services.update_warehouse(warehouse, is_active=not warehouse.is_active, by=request.user)
    except BusinessError as error:
        messages.error(request, error.message)
    return redirect(f"{reverse('inventory:warehouses')}?store={warehouse.store_id}")
