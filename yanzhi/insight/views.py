"""Pages of insight: the overview (RFM, value pyramid, age bands, departments, growth types) at
the viewer's granularity with its Excel export, the members behind any figure, the scoring
settings, saved segments with a live member count, and their follow-up and SMS campaigns.
Bad input is a 422 with the form's errors; outside the scope a 404."""

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yanzhi.catalog.queries import items_for
from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import store_today
from yanzhi.core.xlsx import Sheet, xlsx_response
from yanzhi.customers.membership import levels_for
from yanzhi.customers.models import DealStatus, MemberActivity, VisitType
from yanzhi.customers.tags import tags_of
from yanzhi.followups.models import Channel, OwnerRole
from yanzhi.insight import queries, scoring, segments, services
from yanzhi.insight.models import AbcClass, AgeBand, GrowthType, RfmSegment
from yanzhi.org.decorators import action_view
from yanzhi.org.models import Organization
from yanzhi.org.queries import departments_for, get_store, stores_for

PAGE_SIZE = 50
LIST_FIELDS = [
    "deal_statuses",
    "activities",
    "last_visit_types",
    "rfm_segments",
    "abc_classes",
    "growth_types",
    "age_bands",
    "item_ids",
    "department_ids",
    "member_level_ids",
]
FLAG_FIELDS = ["has_allergy", "has_arrears"]


def definition_data(params: QueryDict) -> dict:
    """A definition dict from a form or a query string (lists may repeat)."""
    data = {name: params.getlist(name) for name in LIST_FIELDS if params.getlist(name)}
    data.update({name: params.get(name) for name in FLAG_FIELDS if params.get(name)})
    return data


def _org(request) -> Organization:
    return Organization.objects.get(pk=request.scope.org_id)


def _store_param(request, name="store"):
    """A store chosen in the request (HQ's filter), checked against the scope (404 outside)."""
    value = request.GET.get(name) or request.POST.get(name) or ""
    if not value.isdigit():
        return None
    return get_store(request.scope, int(value))


def _today(request) -> date:
    store_id = request.scope.current_store_id
    store = stores_for(request.scope).filter(pk=store_id).first() if store_id else None
    return store_today(store) if store else scoring.as_of_day(_org(request))


def _choices() -> dict:
    return {
        "deal_choices": DealStatus.choices,
        "activity_choices": MemberActivity.choices,
        "visit_type_choices": VisitType.choices,
        "rfm_choices": RfmSegment.choices,
        "abc_choices": AbcClass.choices,
        "growth_choices": GrowthType.choices,
        "age_choices": AgeBand.choices,
    }


# --- the overview ---------------------------------------------------------------------------------
def _overview(request):
    store = _store_param(request)
    settings = scoring.settings_of(request.scope.org_id)
    data = queries.overview(
        request.scope,
        store_id=store.pk if store else None,
        today=_today(request),
        computed_on=settings.scores_computed_on,
        computed_at=settings.scores_computed_at,
    )
    return store, settings, data


@require_GET
@action_view("insight.view")
def overview(request):
    store, settings, data = _overview(request)
    context = {
        "store": store,
        "stores": stores_for(request.scope) if request.scope.chain_wide else [],
        "settings": settings,
        "data": data,
        "store_param": f"&store={store.pk}" if store else "",
        "pyramid_counts": [(r.label, r.customers) for r in data.pyramid],
        "pyramid_spend": [(r.label, r.spend) for r in data.pyramid],
        "growth_counts": [(r.label, r.customers) for r in data.growth],
        "department_spend": [(r.label, r.spend) for r in data.departments],
    }
    return render(request, "insight/overview.html", context)


@require_GET
@action_view("insight.view")
def export(request):
    store, settings, data = _overview(request)
    notes = [
        _("门店:%(store)s") % {"store": store.name if store else _("全部")},
        _("评分时间:%(at)s") % {"at": settings.scores_computed_at or "—"},
    ]
    headers = [_("分组"), _("客户数"), _("客户占比%"), _("累计消费"), _("消费占比%")]

    def rows(table):
        return [[r.label, r.customers, r.customer_share, r.spend, r.spend_share] for r in table]

    ages = [
        [r.label, r.customers, r.customer_share, "、".join(n for n, _q in r.extra["items"])]
        for r in data.age_bands
    ]
    sheets = [
        Sheet(_("RFM分群"), headers, rows(data.rfm), notes),
        Sheet(_("价值金字塔"), headers, rows(data.pyramid), notes),
        Sheet(_("成长类型"), headers, rows(data.growth), notes),
        Sheet(_("年龄段"), [_("年龄段"), _("客户数"), _("客户占比%"), _("典型项目")], ages, notes),
        Sheet(
            _("科室"),
            [_("科室"), _("购买客户数"), _("消费金额"), _("消费占比%")],
            [[r.label, r.customers, r.spend, r.spend_share] for r in data.departments],
            notes,
        ),
    ]
    return xlsx_response(_("客户洞察"), sheets)


@require_POST
@action_view("insight.refresh")
def recompute(request):
    count = services.recompute_scores(_org(request), by=request.user)
    messages.success(request, _("已重新计算%(count)s位客户的评分") % {"count": count})
    return redirect("insight:overview")


@require_http_methods(["GET", "POST"])
@action_view("insight.configure")
def settings_page(request):
    row = scoring.settings_of(request.scope.org_id)
    context = {"row": row, "errors": {}, "values": {}}
    status = 200
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in services.SETTINGS_FIELDS}
        try:
            services.set_insight_settings(_org(request), by=request.user, **values)
        except BusinessError as error:
            if error.status not in (400, 422):
                raise
            context.update(errors=error.fields, values=values, message=error.message)
            status = 422
        else:
            messages.success(request, _("设置已保存,评分已重新计算"))
            return redirect("insight:settings")
    return render(request, "insight/settings.html", context, status=status)


# --- members behind a figure ----------------------------------------------------------------------
def _member_rows(page):
    return [(customer, tags_of(customer)) for customer in page.object_list]


@require_GET
@action_view("insight.view")
def members(request):
    store = _store_param(request)
    try:
        definition = segments.definition_from(
            definition_data(request.GET), org_id=request.scope.org_id
        )
    except BusinessError:
        raise Http404 from None
    qs = segments.members(request.scope, definition, store_id=store.pk if store else None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows": _member_rows(page),
        "store": store,
        "definition": definition.as_dict(),
        "labels": _labels(definition.as_dict()),
        "query": query.urlencode(),
    }
    return render(request, "insight/members.html", context)


def _labels(definition: dict) -> list[str]:
    """The chosen conditions as readable labels (choices only; ids are shown as counts)."""
    names = {
        "deal_statuses": DealStatus,
        "activities": MemberActivity,
        "last_visit_types": VisitType,
        "rfm_segments": RfmSegment,
        "abc_classes": AbcClass,
        "growth_types": GrowthType,
        "age_bands": AgeBand,
    }
    labels = []
    for name, choices in names.items():
        labels += [str(choices(value).label) for value in definition.get(name) or []]
    if definition.get("has_allergy") is not None:
        labels.append(_("有过敏史") if definition["has_allergy"] else _("无过敏史"))
    if definition.get("has_arrears") is not None:
        labels.append(_("有欠费") if definition["has_arrears"] else _("无欠费"))
    for name, label in (
        ("item_ids", _("购买过所选项目(%(n)s个)")),
        ("department_ids", _("购买过所选科室(%(n)s个)")),
        ("member_level_ids", _("会员等级(%(n)s个)")),
    ):
        if definition.get(name):
            labels.append(label % {"n": len(definition[name])})
    return labels


# --- segments -------------------------------------------------------------------------------------
@require_GET
@action_view("segment.view")
def segment_list(request):
    rows = list(queries.segments_for(request.scope))
    return render(request, "insight/segments.html", {"segments": rows})


def _form_context(request, *, segment=None, data=None, errors=None):
    scope = request.scope
    definition = data if data is not None else (segment.definition if segment else {})
    context = {
        "segment": segment,
        "definition": definition,
        "errors": errors or {},
        "stores": stores_for(scope),
        "chain_wide": scope.chain_wide,
        "items": items_for(scope).filter(is_active=True).order_by("code")[:500],
        "departments": departments_for(scope),
        "levels": levels_for(scope),
        **_choices(),
    }
    return context


def _save_segment(request, segment=None):
    data = definition_data(request.POST)
    name = request.POST.get("name", "")
    store_id = request.POST.get("store_id", "")
    try:
        store = get_store(request.scope, int(store_id)) if store_id.isdigit() else None
        if segment is None:
            segment = services.create_segment(
                _org(request), name=name, store=store, definition=data, by=request.user
            )
        else:
            segment = services.update_segment(
                segment, name=name, store=store, definition=data, by=request.user
            )
    except BusinessError as error:
        if error.status not in (400, 422):
            raise
        context = _form_context(request, segment=segment, data=data, errors=error.fields)
        context.update(name=name, store_id=store_id, message=error.message)
        return render(request, "insight/segment_form.html", context, status=422)
    messages.success(request, _("客群已保存"))
    return redirect("insight:segment-detail", pk=segment.pk)


@require_http_methods(["GET", "POST"])
@action_view("segment.manage")
def segment_create(request):
    if request.method == "POST":
        return _save_segment(request)
    context = _form_context(request, data=definition_data(request.GET))
    context.update(name="", store_id=str(request.scope.current_store_id or ""))
    return render(request, "insight/segment_form.html", context)


@require_http_methods(["GET", "POST"])
@action_view("segment.manage")
def segment_edit(request, pk: int):
    segment = queries.get_segment(request.scope, pk)
    if request.method == "POST":
        return _save_segment(request, segment)
    context = _form_context(request, segment=segment)
    context.update(name=segment.name, store_id=str(segment.store_id or ""))
    return render(request, "insight/segment_form.html", context)


@require_GET
@action_view("segment.view")
def segment_count(request):
    """The live member count of the form being filled in (htmx)."""
    store = _store_param(request, "store_id")
    context = {}
    try:
        definition = segments.definition_from(
            definition_data(request.GET), org_id=request.scope.org_id
        )
    except BusinessError as error:
        context["count_errors"] = [str(m) for problems in error.fields.values() for m in problems]
    else:
        qs = segments.members(request.scope, definition, store_id=store.pk if store else None)
        context["member_count"] = qs.order_by().count()
    return render(request, "insight/segment_form.html#count", context)


@require_GET
@action_view("segment.view")
def segment_detail(request, pk: int):
    segment = queries.get_segment(request.scope, pk)
    qs = services.members_of(segment, request.scope)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "segment": segment,
        "page": page,
        "rows": _member_rows(page),
        "labels": _labels(segment.definition),
        "campaigns": list(queries.campaigns_of(segment)[:20]),
    }
    return render(request, "insight/segment_detail.html", context)


@require_POST
@action_view("segment.manage")
def segment_delete(request, pk: int):
    segment = queries.get_segment(request.scope, pk)
    services.delete_segment(segment, by=request.user)
    messages.success(request, _("客群已删除"))
    return redirect("insight:segments")


@require_http_methods(["GET", "POST"])
@action_view("segment.campaign")
def segment_followup(request, pk: int):
    segment = queries.get_segment(request.scope, pk)
    context = {
        "segment": segment,
        "owner_roles": [(v, lbl) for v, lbl in OwnerRole.choices if v != OwnerRole.EXECUTOR],
        "channels": Channel.choices,
        "values": {"owner_role": OwnerRole.CONSULTANT, "channel": Channel.CALL},
        "errors": {},
        "member_count": services.members_of(segment, request.scope).order_by().count(),
    }
    if request.method == "GET":
        return render(request, "insight/campaign_followup.html", context)
    values = {k: request.POST.get(k, "") for k in ("title", "owner_role", "channel", "script")}
    due = request.POST.get("due_on", "")
    try:
        due_on = date.fromisoformat(due) if due else None
    except ValueError:
        due_on = None
        context.update(values={**values, "due_on": due}, errors={"due_on": [_("日期格式无效")]})
        return render(request, "insight/campaign_followup.html", context, status=422)
    try:
        run = services.run_followup_campaign(segment, due_on=due_on, by=request.user, **values)
    except BusinessError as error:
        if error.status not in (400, 422):
            raise
        context.update(values={**values, "due_on": due}, errors=error.fields, message=error.message)
        return render(request, "insight/campaign_followup.html", context, status=422)
    messages.success(request, _("已生成%(n)s条回访任务") % {"n": run.created_count})
    return redirect("insight:segment-detail", pk=segment.pk)


@require_http_methods(["GET", "POST"])
@action_view("segment.campaign")
def segment_sms(request, pk: int):
    segment = queries.get_segment(request.scope, pk)
    context = {
        "segment": segment,
        "reach": services.sms_reach(segment, request.scope),
        "values": {"text": "{称呼}您好,"},
        "errors": {},
    }
    if request.method == "GET":
        return render(request, "insight/campaign_sms.html", context)
    values = {k: request.POST.get(k, "") for k in ("title", "text")}
    try:
        run = services.run_sms_campaign(segment, by=request.user, **values)
    except BusinessError as error:
        if error.status not in (400, 422):
            raise
        context.update(values=values, errors=error.fields, message=error.message)
        return render(request, "insight/campaign_sms.html", context, status=422)
    messages.success(
        request,
        _("已排队%(n)s条短信(未同意营销%(c)s人,手机号无效%(p)s人未发送)")
        % {
            "n": run.created_count,
            "c": run.skipped_no_consent_count,
            "p": run.skipped_invalid_phone_count,
        },
    )
    return redirect("insight:segment-detail", pk=segment.pk)
