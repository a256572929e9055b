"""Catalogue pages: the item list with the category tree, item forms per kind, category
management, HQ distribution (items × stores) and a store's own sellable list with its prices.
Every read goes through queries.py, every write through services.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from yanzhi.catalog import queries, services
from yanzhi.catalog.forms import ItemForm, item_initial, lines_from_post
from yanzhi.catalog.models import Item
from yanzhi.core.errors import BusinessError
from yanzhi.org import policy
from yanzhi.org.models import Department, Organization
from yanzhi.org.queries import get_store, stores_for

PAGE_SIZE = 30
MATRIX_PAGE_SIZE = 40


def _require(request, action: str) -> None:
    """Pages answer a forbidden action with Django's 403 page."""
    if not policy.can(request.scope, action):
        raise PermissionDenied


def _int_param(value) -> int | None:
    return int(value) if (value or "").isdigit() else None


def _bool_param(value) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


def _org(request) -> Organization:
    return get_object_or_404(Organization, pk=request.scope.org_id)


def _add_errors(form, error: BusinessError) -> None:
    if not error.fields:
        form.add_error(None, error.message)
    for field, msgs in error.fields.items():
        for message in msgs if isinstance(msgs, list | tuple) else [msgs]:
            form.add_error(field if field in form.fields else None, message)


def _filters(request) -> dict:
    kind = request.GET.get("kind", "")
    return {
        "kind": kind if kind in Item.Kind.values else "",
        "category_id": _int_param(request.GET.get("category")),
        "department_id": _int_param(request.GET.get("department")),
        "active": _bool_param(request.GET.get("active")),
        "q": request.GET.get("q", "").strip(),
    }


# --- item list ------------------------------------------------------------------------------------
@login_required
@vary_on_headers("HX-Request")
def item_list(request):
    _require(request, "catalog.view")
    filters = _filters(request)
    page = Paginator(queries.item_list(request.scope, **filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "filters": filters}
    if request.htmx:
        return render(request, "catalog/item_list.html#rows", context)
    context.update(
        tree=queries.category_tree(request.scope),
        departments=Department.objects.filter(org_id=request.scope.org_id),
        kinds=Item.Kind.choices,
    )
    return render(request, "catalog/item_list.html", context)


@login_required
def item_detail(request, pk: int):
    _require(request, "catalog.view")
    item = queries.get_item_detail(request.scope, pk)
    context = {"item": item, "category_path": queries.category_label(item.category)}
    if policy.can(request.scope, "catalog.assign"):
        stores = list(stores_for(request.scope))
        context["matrix"] = queries.distribution_matrix([item], stores)[0]
        context["stores"] = stores
    return render(request, "catalog/item_detail.html", context)


# --- item forms -----------------------------------------------------------------------------------
def _form_context(request, form, kind, item=None, components=None, materials=None) -> dict:
    scope = request.scope
    tree = queries.flatten_tree(queries.category_tree(scope))
    if components is None:
        components = [(c.item_id, c.quantity) for c in item.components.all()] if item else []
    if materials is None:
        materials = [(m.material_id, m.quantity) for m in item.materials.all()] if item else []
    return {
        "form": form,
        "kind": kind,
        "kind_label": Item.Kind(kind).label,
        "fields": ItemForm.KIND_FIELDS[kind],
        "item": item,
        "categories": tree,
        "departments": Department.objects.filter(org_id=scope.org_id),
        "services": queries.item_choices(scope, kinds=[Item.Kind.SERVICE]),
        "component_choices": queries.item_choices(
            scope, kinds=[Item.Kind.SERVICE, Item.Kind.PRODUCT, Item.Kind.DRUG]
        ).exclude(pk=item.pk if item else None),
        "material_choices": queries.item_choices(
            scope, kinds=[Item.Kind.PRODUCT, Item.Kind.DRUG], stocked_only=True
        ),
        # Existing rows plus three blank ones to fill in.
        "component_rows": [(str(i), str(q)) for i, q in components] + [("", "1")] * 3,
        "material_rows": [(str(i), str(q)) for i, q in materials] + [("", "")] * 3,
        "card_types": Item.CardType.choices,
    }


def _save_item(request, form, kind, item=None):
    """Run the service for a bound form; returns the item or None (errors added to the form)."""
    components = lines_from_post(request.POST, "component_item", "component_qty")
    materials = lines_from_post(request.POST, "material_item", "material_qty")
    extra = {}
    if kind == Item.Kind.PACKAGE:
        extra["components"] = components
    if kind == Item.Kind.SERVICE:
        extra["materials"] = materials
    try:
        if item is None:
            return services.create_item(
                _org(request), kind=kind, by=request.user, **form.service_kwargs(kind), **extra
            )
        return services.update_item(item, by=request.user, **form.service_kwargs(kind), **extra)
    except BusinessError as error:
        _add_errors(form, error)
        return None


@login_required
def item_create(request):
    _require(request, "catalog.manage")
    kind = request.GET.get("kind", Item.Kind.SERVICE)
    if kind not in Item.Kind.values:
        kind = Item.Kind.SERVICE
    form = ItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        item = _save_item(request, form, kind)
        if item is not None:
            messages.success(request, _("已创建项目“%(name)s”") % {"name": item.name})
            return redirect("catalog:item-detail", item.pk)
    status = 422 if request.method == "POST" else 200
    components = materials = None
    if request.method == "POST":
        components = lines_from_post(request.POST, "component_item", "component_qty")
        materials = lines_from_post(request.POST, "material_item", "material_qty")
    context = _form_context(request, form, kind, components=components, materials=materials)
    return render(request, "catalog/item_form.html", context, status=status)


@login_required
def item_edit(request, pk: int):
    _require(request, "catalog.manage")
    item = queries.get_item_detail(request.scope, pk)
    form = ItemForm(request.POST or None, initial=item_initial(item))
    if request.method == "POST" and form.is_valid():
        saved = _save_item(request, form, item.kind, item)
        if saved is not None:
            messages.success(request, _("已保存"))
            return redirect("catalog:item-detail", item.pk)
    status = 422 if request.method == "POST" else 200
    components = materials = None
    if request.method == "POST":
        components = lines_from_post(request.POST, "component_item", "component_qty")
        materials = lines_from_post(request.POST, "material_item", "material_qty")
    context = _form_context(request, form, item.kind, item, components, materials)
    return render(request, "catalog/item_form.html", context, status=status)


@login_required
@require_POST
def item_active(request, pk: int):
    """Deactivate (停用) or re-activate an item."""
    _require(request, "catalog.manage")
    item = queries.get_item(request.scope, pk)
    if request.POST.get("active") == "1":
        services.activate_item(item, by=request.user)
        messages.success(request, _("已启用"))
    else:
        services.deactivate_item(item, by=request.user)
        messages.success(request, _("已停用,所有门店都不能再销售该项目"))
    return redirect("catalog:item-detail", item.pk)


# --- categories -----------------------------------------------------------------------------------
def _category_page(request, *, error=None, status=200):
    _require(request, "catalog.view")
    tree = queries.category_tree(request.scope)
    return render(
        request,
        "catalog/categories.html",
        {"tree": tree, "flat": queries.flatten_tree(tree), "error": error},
        status=status,
    )


@login_required
def category_list(request):
    if request.method != "POST":
        return _category_page(request)
    _require(request, "catalog.manage")
    try:
        category = services.create_category(
            _org(request),
            name=request.POST.get("name", ""),
            parent=_int_param(request.POST.get("parent")),
            by=request.user,
        )
    except BusinessError as error:
        return _category_page(request, error=error.message, status=422)
    messages.success(request, _("已添加分类“%(name)s”") % {"name": category.name})
    return redirect("catalog:categories")


@login_required
@require_POST
def category_edit(request, pk: int):
    """One form per node: rename, move (new parent; blank = top level) or delete."""
    _require(request, "catalog.manage")
    category = queries.get_category(request.scope, pk)
    action = request.POST.get("action")
    try:
        if action == "delete":
            services.delete_category(category, by=request.user)
            messages.success(request, _("已删除分类“%(name)s”") % {"name": category.name})
        elif action == "move":
            services.move_category(
                category, parent=_int_param(request.POST.get("parent")), by=request.user
            )
            messages.success(request, _("已移动分类“%(name)s”") % {"name": category.name})
        else:
            services.rename_category(category, name=request.POST.get("name", ""), by=request.user)
            messages.success(request, _("已保存"))
    except BusinessError as error:
        return _category_page(request, error=error.message, status=422)
    return redirect("catalog:categories")


# --- HQ distribution --------------------------------------------------------------------------------
@login_required
@vary_on_headers("HX-Request")
def distribution(request):
    """HQ's bulk assignment: pick items (filter + checkboxes) × stores, free pricing switch;
    below, the items × stores matrix with each store's effective price."""
    _require(request, "catalog.assign")
    scope = request.scope
    filters = _filters(request)
    stores = list(stores_for(scope))
    error = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        item_ids = [i for i in request.POST.getlist("item") if i.isdigit()]
        store_ids = [s for s in request.POST.getlist("store") if s.isdigit()]
        try:
            if action == "remove":
                count = services.unassign_items(
                    _org(request), item_ids=item_ids, store_ids=store_ids, by=request.user
                )
                messages.success(request, _("已撤回%(n)s条门店分配") % {"n": count})
            else:
                result = services.assign_items(
                    _org(request),
                    item_ids=item_ids,
                    store_ids=store_ids,
                    free_pricing=request.POST.get("free_pricing") == "1",
                    by=request.user,
                )
                messages.success(
                    request,
                    _("已下发:新增%(created)s条,更新%(updated)s条,未变%(unchanged)s条") % result,
                )
            return redirect(request.get_full_path())
        except BusinessError as error_:
            error, status = error_.message, 422
    page = Paginator(queries.item_list(scope, **filters), MATRIX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "rows": queries.distribution_matrix(list(page.object_list), stores),
        "stores": stores,
        "filters": filters,
        "error": error,
        "checked_items": set(request.POST.getlist("item")),
        "checked_stores": set(request.POST.getlist("store")),
    }
    if request.htmx and request.method == "GET":
        return render(request, "catalog/distribution.html#matrix", context)
    context.update(
        tree=queries.flatten_tree(queries.category_tree(scope)),
        kinds=Item.Kind.choices,
    )
    return render(request, "catalog/distribution.html", context, status=status)


# --- a store's own list and prices ----------------------------------------------------------------
def _page_store(request):
    """The store the page is about: ?store= (HQ or a multi-store manager), else the current one."""
    store_id = _int_param(request.GET.get("store")) or request.scope.current_store_id
    if store_id is None:
        return None
    return get_store(request.scope, store_id)


@login_required
@vary_on_headers("HX-Request")
def store_items(request):
    _require(request, "catalog.view")
    scope = request.scope
    store = _page_store(request)
    filters = _filters(request)
    items = []
    if store is not None:
        items = queries.sellable_items(
            scope, store, kind=filters["kind"], q=filters["q"], category_id=filters["category_id"]
        )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "store": store,
        "page": page,
        "filters": filters,
        "can_price": policy.can(scope, "catalog.price"),
    }
    if request.htmx:
        return render(request, "catalog/store_items.html#rows", context)
    context.update(stores=list(stores_for(scope)), kinds=Item.Kind.choices)
    return render(request, "catalog/store_items.html", context)


@login_required
@require_POST
def store_item_price(request, pk: int):
    """Inline price edit on the store list (htmx): returns the row, or the row with the error."""
    _require(request, "catalog.price")
    store_item = queries.get_store_item(request.scope, pk)
    error = None
    try:
        services.set_store_price(
            store_item, price_amount=request.POST.get("price_amount", "").strip(), by=request.user
        )
    except BusinessError as error_:
        error = error_.message
    item = queries.get_sellable_item(store_item.store, store_item.item_id)
    context = {"row": item, "store": store_item.store, "can_price": True, "error": error}
    return render(request, "catalog/store_items.html#row", context, status=422 if error else 200)
