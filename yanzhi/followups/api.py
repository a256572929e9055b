"""/api/v1 endpoints of follow-up rules, tasks and medical-advice templates. Same services and
scoped queries as the pages."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Status

from yanzhi.catalog.queries import items_for
from yanzhi.followups import queries, services
from yanzhi.followups.schemas import (
    AdviceIn,
    AdviceOut,
    AdvicePage,
    CompleteIn,
    RuleIn,
    RuleOut,
    RulePage,
    TaskOut,
    TaskPage,
)
from yanzhi.org import policy
from yanzhi.org.queries import get_store

router = Router(tags=["followups"])
MAX_LIMIT = 100


def _page(qs, limit: int, offset: int) -> dict:
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
    return {"count": qs.count(), "items": list(qs[offset : offset + limit])}


# --- rules ---------------------------------------------------------------------------------------
def _rule_data(request, data: RuleIn) -> dict:
    values = data.dict()
    store_id = values.pop("store_id")
    values["store"] = get_store(request.scope, store_id) if store_id else None
    values["nodes"] = [services.NodeIn(**node) for node in values["nodes"]]
    return values


@router.get("/followup-rules", response=RulePage, summary="Follow-up rules (回访规则)")
def list_rules(request, trigger: str = "", limit: int = 50, offset: int = 0):
    policy.require(request.scope, "followup.view")
    qs = queries.rule_list(request.scope)
    if trigger:
        qs = qs.filter(trigger=trigger)
    return _page(qs, limit, offset)


@router.get("/followup-rules/{rule_id}", response=RuleOut)
def get_rule(request, rule_id: int):
    policy.require(request.scope, "followup.view")
    return queries.get_rule(request.scope, rule_id)


@router.post("/followup-rules", response={201: RuleOut})
def create_rule(request, data: RuleIn):
    rule = services.create_rule(request.auth.org, by=request.auth, **_rule_data(request, data))
    return Status(201, queries.get_rule(request.scope, rule.pk))


@router.put("/followup-rules/{rule_id}", response=RuleOut)
def update_rule(request, rule_id: int, data: RuleIn):
    rule = queries.get_rule(request.scope, rule_id)
    services.update_rule(rule, by=request.auth, **_rule_data(request, data))
    return queries.get_rule(request.scope, rule.pk)


@router.post("/followup-rules/{rule_id}/deactivate", response=RuleOut)
def deactivate_rule(request, rule_id: int):
    rule = queries.get_rule(request.scope, rule_id)
    services.deactivate_rule(rule, by=request.auth)
    return queries.get_rule(request.scope, rule.pk)


# --- tasks ---------------------------------------------------------------------------------------
@router.get("/followup-tasks", response=TaskPage, summary="Follow-up tasks (回访任务) in scope")
def list_tasks(
    request,
    owner_id: int | None = None,
    status: str = "",
    due_from: datetime | None = None,
    due_to: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
):
    policy.require(request.scope, "followup.view")
    qs = queries.task_list(
        request.scope, owner_id=owner_id, status=status, due_from=due_from, due_to=due_to
    )
    return _page(qs, limit, offset)


@router.get("/followup-tasks/{task_id}", response=TaskOut)
def get_task(request, task_id: int):
    policy.require(request.scope, "followup.view")
    return queries.get_task(request.scope, task_id)


@router.post("/followup-tasks/{task_id}/complete", response=TaskOut)
def complete_task(request, task_id: int, data: CompleteIn):
    task = queries.get_task(request.scope, task_id)
    task = services.complete_task(task, by=request.auth, **data.dict())
    return queries.get_task(request.scope, task.pk)


# --- medical advice ------------------------------------------------------------------------------
@router.get("/advice-templates", response=AdvicePage, summary="Medical advice (医嘱) templates")
def list_advice(request, limit: int = 50, offset: int = 0):
    policy.require(request.scope, "followup.manage_advice")
    return _page(queries.advice_templates_for(request.scope).order_by("item_id"), limit, offset)


@router.post("/advice-templates", response={200: AdviceOut}, summary="Set an item's advice")
def save_advice(request, data: AdviceIn):
    policy.require(request.scope, "followup.manage_advice")
    item = get_object_or_404(items_for(request.scope), pk=data.item_id)
    template = services.save_advice_template(
        request.auth.org, item=item, text=data.text, is_active=data.is_active, by=request.auth
    )
    return queries.get_advice_template(request.scope, template.pk)
