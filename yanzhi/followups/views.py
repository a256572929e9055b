"""Pages of follow-ups: the personal workbench, a task with its history and the result form,
rules, calling windows, medical advice and the managers' completion statistics. Bad input is a
422 with the form's errors; a task recorded twice is a 409; outside the scope a 404."""

from datetime import datetime, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from yanzhi.catalog.models import Item
from yanzhi.catalog.queries import item_choices
from yanzhi.core.errors import BusinessError
from yanzhi.core.timeutil import store_datetime, store_today
from yanzhi.followups import queries, services
from yanzhi.followups.forms import (
    CHOICES,
    MAX_NODE_ROWS,
    AdviceForm,
    ResultForm,
    RuleForm,
    StatsForm,
    WindowsForm,
    empty_node_row,
    node_rows,
)
from yanzhi.followups.models import FollowupTask
from yanzhi.org import policy
from yanzhi.org.decorators import action_view
from yanzhi.org.queries import departments_for, get_store, page_store, stores_for

followup_view = action_view  # signed in, allowed the action; 403/404 as pages show them


def _add_errors(form, error: BusinessError) -> None:
    placed = False
    for field, problems in error.fields.items():
        if field in form.fields:
            for problem in problems:
                form.add_error(field, problem)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def _current_store(request):
    return page_store(request.scope, request.scope.current_store_id, request.user)


# --- the workbench -------------------------------------------------------------------------------
@require_GET
@followup_view("followup.view")
def workbench(request):
    store = _current_store(request)
    tab = request.GET.get("tab")
    tab = tab if tab in queries.TABS else "today"
    everyone = request.GET.get("all") == "1" and queries.sees_all_tasks(request.scope)
    tasks, counts = queries.workbench(
        request.scope, store, store_today(store), tab=tab, everyone=everyone
    )
    context = {
        "store": store,
        "tab": tab,
        "tasks": tasks,
        "counts": counts,
        "everyone": everyone,
        "can_see_all": queries.sees_all_tasks(request.scope),
        "tabs": [
            ("today", _("今日待回访")),
            ("overdue", _("已逾期")),
            ("upcoming", _("未来%(days)s天") % {"days": queries.UPCOMING_DAYS}),
        ],
        "shown_limit": queries.WORKBENCH_ROWS,
        "tab_count": counts[tab],
    }
    name = "followups/workbench.html" + ("#list" if request.htmx else "")
    return render(request, name, context)


def _task_context(request, task, form):
    return {
        "task": task,
        "form": form,
        "history": queries.customer_history(request.scope, task),
        "can_book": policy.can(request.scope, "appointment.book"),
    }


@require_GET
@followup_view("followup.view")
def task_detail(request, pk: int):
    task = queries.get_task(request.scope, pk)
    return render(request, "followups/task.html", _task_context(request, task, ResultForm()))


def _store_moment(store, when):
    """The wall-clock time typed in the form, read in the store's timezone."""
    if when is None:
        return None
    naive = timezone.make_naive(when)
    return store_datetime(store, naive.date(), naive.time())


@require_POST
@followup_view("followup.complete")
def task_complete(request, pk: int):
    task = queries.get_task(request.scope, pk)
    form = ResultForm(request.POST)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        when = data["next_appointment_at"]
        try:
            task = services.complete_task(
                task,
                by=request.user,
                outcome=data["outcome"],
                satisfaction=data["satisfaction"],
                dissatisfaction_reason=data["dissatisfaction_reason"],
                notes=data["notes"],
                abnormal=data["abnormal"],
                abnormal_description=data["abnormal_description"],
                next_appointment_at=_store_moment(task.store, when),
                next_appointment_purpose=data["next_appointment_purpose"] or "checkup",
            )
        except BusinessError as error:
            if error.status in (403, 404):
                raise
            _add_errors(form, error)
            status = error.status if error.status == 409 else 422
        else:
            if task.status == FollowupTask.Status.PENDING:
                messages.info(request, _("未接通:已发送回电短信,任务已顺延到下一个回访时段"))
            else:
                messages.success(request, _("回访结果已保存"))
            url = "/followups/"
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    name = "followups/task.html" + ("#result-form" if request.htmx else "")
    return render(request, name, _task_context(request, task, form), status=status)


# --- rules ---------------------------------------------------------------------------------------
@require_GET
@followup_view("followup.view")
def rule_list(request):
    context = {
        "rules": queries.rule_list(request.scope),
        "can_manage": policy.can(request.scope, "followup.manage_rules"),
        "chain_wide": request.scope.chain_wide,
        "windows": services.calling_windows(request.scope.org_id),
    }
    return render(request, "followups/rules.html", context)


def _rule_form(request, data=None, initial=None):
    scope = request.scope
    return RuleForm(
        data,
        initial=initial,
        stores=stores_for(scope),
        items=item_choices(scope, kinds=[Item.Kind.SERVICE]),
        departments=departments_for(scope),
        chain_wide=scope.chain_wide,
    )


def _node_errors(error: BusinessError) -> dict:
    """{0: {"script": [...]}} from the service's "nodes.0.script" keys."""
    rows: dict = {}
    for key, problems in error.fields.items():
        parts = key.split(".")
        if parts[0] == "nodes" and len(parts) == 3:
            rows.setdefault(int(parts[1]), {})[parts[2]] = problems
    return rows


def _render_rule_form(request, form, rows, *, rule=None, error=None, status=200):
    context = {
        "form": form,
        "rows": rows,
        "rule": rule,
        "choices": CHOICES,
        "node_errors": _node_errors(error) if error else {},
        "nodes_error": (error.fields.get("nodes") if error else None),
    }
    return render(request, "followups/rule_form.html", context, status=status)


def _save_rule(request, rule=None):
    form = _rule_form(request, request.POST)
    rows = node_rows(request.POST)
    if not form.is_valid():
        return _render_rule_form(request, form, rows, rule=rule, status=422)
    data = dict(form.cleaned_data)
    data["dates"] = form.date_list()
    store_id = data.pop("store_id")
    data["store"] = get_store(request.scope, store_id) if store_id else None
    data["wait_days"] = data.get("wait_days") or 0
    data["nodes"] = [
        services.NodeIn(
            row["offset_value"],
            row["offset_unit"],
            row["owner_role"],
            row["channel"],
            row["script"],
            row["label"],
        )
        for row in rows
        if row["script"] or row["offset_value"]
    ]
    try:
        if rule is None:
            rule = services.create_rule(request.user.org, by=request.user, **data)
        else:
            rule = services.update_rule(rule, by=request.user, **data)
    except BusinessError as error:
        if error.status in (403, 404):
            raise
        _add_errors(form, error)
        return _render_rule_form(request, form, rows, rule=rule, error=error, status=422)
    messages.success(request, _("回访规则已保存"))
    return redirect("followups:rules")


@require_GET
@followup_view("followup.manage_rules")
def rule_node_row(request):
    """One more empty node row for the rule form ("添加节点")."""
    try:
        n = int(request.GET.get("n", ""))
    except ValueError:
        n = -1
    if not 0 <= n < MAX_NODE_ROWS:
        message = _("最多%(n)s个回访节点") % {"n": MAX_NODE_ROWS}
        return HttpResponse(
            format_html('<div class="alert alert-warning py-1 small">{}</div>', message), status=422
        )
    context = {"row": empty_node_row(n), "choices": CHOICES, "node_errors": {}}
    return render(request, "followups/rule_form.html#node-row", context)


@require_http_methods(["GET", "POST"])
@followup_view("followup.manage_rules")
def rule_create(request):
    if request.method == "POST":
        return _save_rule(request)
    initial = {"is_active": True, "wait_days": 0}
    if not request.scope.chain_wide:
        initial["store_id"] = request.scope.current_store_id
    return _render_rule_form(request, _rule_form(request, initial=initial), node_rows(None))


@require_http_methods(["GET", "POST"])
@followup_view("followup.manage_rules")
def rule_edit(request, pk: int):
    rule = queries.get_rule(request.scope, pk)
    if rule.store_id is None and not request.scope.chain_wide:
        raise PermissionDenied
    if request.method == "POST":
        return _save_rule(request, rule)
    initial = {
        "name": rule.name,
        "trigger": rule.trigger,
        "store_id": rule.store_id,
        "wait_days": rule.wait_days,
        "is_active": rule.is_active,
        "deal_statuses": rule.deal_statuses,
        "last_visit_types": rule.last_visit_types,
        "activities": rule.activities,
        "has_allergy": "" if rule.has_allergy is None else ("1" if rule.has_allergy else "0"),
        "has_arrears": "" if rule.has_arrears is None else ("1" if rule.has_arrears else "0"),
        "dates": ", ".join(rule.dates),
        "item_ids": [i.pk for i in rule.items.all()],
        "department_ids": [d.pk for d in rule.departments.all()],
    }
    rows = node_rows(None, list(rule.nodes.all()))
    return _render_rule_form(request, _rule_form(request, initial=initial), rows, rule=rule)


@require_POST
@followup_view("followup.manage_rules")
def rule_deactivate(request, pk: int):
    rule = queries.get_rule(request.scope, pk)
    services.deactivate_rule(rule, by=request.user)
    messages.success(request, _("规则已停用"))
    return redirect("followups:rules")


@require_POST
@followup_view("followup.manage_rules")
def rules_install_defaults(request):
    created = services.install_default_rules(request.user.org, by=request.user)
    messages.success(request, _("已添加 %(n)d 条默认规则") % {"n": len(created)})
    return redirect("followups:rules")


@require_http_methods(["GET", "POST"])
@followup_view("followup.manage_rules")
def windows_edit(request):
    if not request.scope.chain_wide:
        raise PermissionDenied
    if request.method == "POST":
        form = WindowsForm(request.POST)
        if form.is_valid():
            try:
                services.set_calling_windows(
                    request.user.org, windows=form.pairs(), by=request.user
                )
            except BusinessError as error:
                if error.status in (403, 404):
                    raise
                form.add_error("windows", error.message)
            else:
                messages.success(request, _("回访时段已保存"))
                return redirect("followups:rules")
        return render(request, "followups/windows.html", {"form": form}, status=422)
    windows = services.calling_windows(request.scope.org_id)
    text = "\n".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in windows)
    return render(
        request, "followups/windows.html", {"form": WindowsForm(initial={"windows": text})}
    )


# --- medical advice ------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@followup_view("followup.manage_advice")
def advice_list(request):
    items = item_choices(request.scope, kinds=[Item.Kind.SERVICE])
    status = 200
    if request.method == "POST":
        form = AdviceForm(request.POST, items=items)
        if form.is_valid():
            data = form.cleaned_data
            item = items.get(pk=data["item_id"])
            try:
                services.save_advice_template(
                    request.user.org,
                    item=item,
                    text=data["text"],
                    is_active=data["is_active"],
                    by=request.user,
                )
            except BusinessError as error:
                if error.status in (403, 404):
                    raise
                _add_errors(form, error)
                if "item_id" in error.fields:
                    form.add_error("item_id", error.fields["item_id"][0])
            else:
                messages.success(request, _("医嘱模板已保存"))
                return redirect("followups:advice")
        status = 422
    else:
        item_id = request.GET.get("item")
        initial = {"is_active": True}
        if item_id and item_id.isdigit():
            template = queries.advice_templates_for(request.scope).filter(item_id=item_id).first()
            if template is not None:
                initial.update(item_id=template.item_id, text=template.text)
        form = AdviceForm(initial=initial, items=items)
    context = {"form": form, "templates": queries.advice_templates_for(request.scope)}
    return render(request, "followups/advice.html", context, status=status)


# --- completion statistics -----------------------------------------------------------------------
@require_GET
@followup_view("followup.stats")
def stats(request):
    scope = request.scope
    stores = stores_for(scope)
    form = StatsForm(request.GET or None, stores=stores)
    store = _current_store(request)
    today = store_today(store)
    start_day, end_day, store_id = today - timedelta(days=29), today, None
    if form.is_valid():
        start_day = form.cleaned_data["start"] or start_day
        end_day = form.cleaned_data["end"] or end_day
        store_id = form.cleaned_data["store_id"]
        if store_id is not None:
            store = get_store(scope, store_id)
    start = store_datetime(store, start_day, datetime.min.time())
    end = store_datetime(store, end_day, datetime.min.time()) + timedelta(days=1)
    data = queries.completion_stats(scope, start=start, end=end, store_id=store_id)
    context = {
        "form": form,
        "start_day": start_day,
        "end_day": end_day,
        "now": timezone.now(),
        **data,
    }
    return render(request, "followups/stats.html", context)
