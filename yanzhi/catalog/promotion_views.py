"""Promotion pages (活动): the list, one promotion, the form to create or edit it, ending it.
HQ sees and runs the chain's promotions; a store manager sees those running in their stores and
runs their own stores' (others' promotions are not editable: 404). Rules live in
yanzhi.catalog.promotion_services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from yanzhi.catalog import promotion_services, queries
from yanzhi.catalog.models import Item, Promotion
from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import store_today
from yanzhi.customers.models import DealStatus, MemberActivity, MembershipLevel, VisitType
from yanzhi.org import policy
from yanzhi.org.models import Organization
from yanzhi.org.queries import stores_for

PAGE_SIZE = 30
STATUSES = [
    ("running", gettext_lazy("进行中")),
    ("upcoming", gettext_lazy("未开始")),
    ("finished", gettext_lazy("已结束")),
]


def _require(request, action: str) -> None:
    if not policy.can(request.scope, action):
        raise PermissionDenied


def _today(request):
    store = stores_for(request.scope).filter(pk=request.scope.current_store_id).first()
    store = store or stores_for(request.scope).first()
    return store_today(store) if store else None


def _int(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


@login_required
@vary_on_headers("HX-Request")
def promotion_list(request):
    _require(request, "promotion.view")
    status = request.GET.get("status", "running")
    status = status if status in dict(STATUSES) else ""
    store_id = _int(request.GET.get("store"))
    today = _today(request)
    qs = queries.promotion_list(
        request.scope, status=status, store_id=store_id, q=request.GET.get("q", ""), today=today
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    manageable = set(
        queries.manageable_promotions(request.scope)
        .filter(pk__in=[p.pk for p in page])
        .values_list("pk", flat=True)
    )
    context = {
        "page": page,
        "status": status,
        "statuses": STATUSES,
        "stores": list(stores_for(request.scope)),
        "store_id": store_id,
        "q": request.GET.get("q", ""),
        "manageable": manageable,
        "today": today,
    }
    name = "catalog/promotion_list.html" + ("#rows" if request.htmx else "")
    return render(request, name, context)


@login_required
def promotion_detail(request, pk: int):
    _require(request, "promotion.view")
    promotion = queries.get_promotion(request.scope, pk)
    can_manage = (
        policy.can(request.scope, "promotion.manage")
        and queries.manageable_promotions(request.scope).filter(pk=pk).exists()
    )
    context = {
        "promotion": promotion,
        "target": _target_labels(promotion.target_tags),
        "can_manage": can_manage,
        "today": _today(request),
    }
    return render(request, "catalog/promotion_detail.html", context)


def _target_labels(tags: dict) -> list[tuple[str, str]]:
    tags = tags or {}
    shown = []
    for key, name, choices in (
        ("deal_statuses", _("成交状态"), DealStatus),
        ("activities", _("会员活跃度"), MemberActivity),
        ("last_visit_types", _("最近到访类型"), VisitType),
    ):
        values = [str(choices(v).label) for v in tags.get(key) or () if v in choices.values]
        if values:
            shown.append((name, " / ".join(values)))
    for key, yes, no in (
        ("has_allergy", _("有过敏史"), _("无过敏史")),
        ("has_arrears", _("有欠费"), _("无欠费")),
    ):
        if tags.get(key) is not None:
            shown.append(
                (_("过敏史") if key == "has_allergy" else _("欠费"), yes if tags[key] else no)
            )
    return shown


def _posted(request) -> dict:
    post = request.POST
    item_ids, prices, limits = post.getlist("item_id"), post.getlist("price"), post.getlist("limit")
    rows = [
        (item_id, prices[n] if n < len(prices) else "", limits[n] if n < len(limits) else "")
        for n, item_id in enumerate(item_ids)
        if item_id.strip()
    ]
    return {
        "name": post.get("name", ""),
        "start_date": post.get("start_date", ""),
        "end_date": post.get("end_date", ""),
        "store_ids": post.getlist("store"),
        "member_level_ids": post.getlist("member_level"),
        "description": post.get("description", ""),
        "target": {
            "deal_statuses": post.getlist("deal_statuses"),
            "activities": post.getlist("activities"),
            "last_visit_types": post.getlist("last_visit_types"),
            "has_allergy": post.get("has_allergy", ""),
            "has_arrears": post.get("has_arrears", ""),
        },
        "items": rows,
    }


def _values_of(promotion: Promotion) -> dict:
    return {
        "name": promotion.name,
        "start_date": promotion.start_date.isoformat(),
        "end_date": promotion.end_date.isoformat(),
        "store_ids": [str(s.pk) for s in promotion.stores.all()],
        "member_level_ids": [str(lv.pk) for lv in promotion.member_levels.all()],
        "description": promotion.description,
        "target": {
            **(promotion.target_tags or {}),
            "has_allergy": _flag(promotion.target_tags.get("has_allergy")),
            "has_arrears": _flag(promotion.target_tags.get("has_arrears")),
        },
        "items": [
            (str(pi.item_id), f"{pi.price_amount:.2f}", pi.limit_per_customer or "")
            for pi in promotion.items.all()
        ],
    }


def _flag(value) -> str:
    return "" if value is None else ("1" if value else "0")


def _form(request, values: dict, *, promotion=None, error=None, status=200):
    scope = request.scope
    fields = error.fields if error else {}
    rows = [tuple(map(str, r)) for r in values["items"]] + [("", "", "")] * 3
    row_errors = {}
    for key, msgs in fields.items():
        parts = key.split(".")
        if parts[0] == "items" and len(parts) == 3 and parts[1].isdigit():
            row_errors.setdefault(int(parts[1]), []).extend(map(str, msgs))
    context = {
        "promotion": promotion,
        "values": values,
        "rows": [(n, *row, row_errors.get(n, [])) for n, row in enumerate(rows)],
        "error": error,
        "errors": fields,
        "stores": list(stores_for(scope)),
        "chain_wide_allowed": scope.store_ids is None,
        "levels": list(MembershipLevel.objects.filter(org_id=scope.org_id, is_active=True)),
        "items": list(
            queries.items_for(scope).filter(is_active=True).order_by("kind", "code")[:1000]
        ),
        "kinds": dict(Item.Kind.choices),
        "deal_statuses": DealStatus.choices,
        "activities": MemberActivity.choices,
        "visit_types": VisitType.choices,
    }
    return render(request, "catalog/promotion_form.html", context, status=status)


@login_required
def promotion_create(request):
    _require(request, "promotion.manage")
    if request.method != "POST":
        today = _today(request)
        values = {
            "name": "",
            "start_date": today.isoformat() if today else "",
            "end_date": "",
            "store_ids": [str(request.scope.current_store_id)] if request.scope.store_ids else [],
            "member_level_ids": [],
            "description": "",
            "target": {},
            "items": [],
        }
        return _form(request, values)
    values = _posted(request)
    org = get_object_or_404(Organization, pk=request.scope.org_id)
    try:
        promotion = promotion_services.create_promotion(org, by=request.user, **values)
    except BusinessError as error:
        if error.status in (403, 404):
            raise Http404 from None
        return _form(request, values, error=error, status=422)
    messages.success(request, _("已创建活动“%(name)s”") % {"name": promotion.name})
    return redirect("catalog:promotion-detail", promotion.pk)


@login_required
def promotion_edit(request, pk: int):
    _require(request, "promotion.manage")
    promotion = queries.get_manageable_promotion(request.scope, pk)
    if request.method != "POST":
        return _form(request, _values_of(promotion), promotion=promotion)
    values = _posted(request)
    try:
        promotion_services.update_promotion(promotion, by=request.user, **values)
    except BusinessError as error:
        if error.status in (403, 404):
            raise Http404 from None
        return _form(request, values, promotion=promotion, error=error, status=422)
    messages.success(request, _("已保存"))
    return redirect("catalog:promotion-detail", pk)


@login_required
@require_POST
def promotion_end(request, pk: int):
    _require(request, "promotion.manage")
    promotion = queries.get_manageable_promotion(request.scope, pk)
    promotion_services.end_promotion(promotion, by=request.user)
    messages.success(request, _("活动已结束,不能再按活动价销售"))
    return redirect("catalog:promotion-detail", pk)
