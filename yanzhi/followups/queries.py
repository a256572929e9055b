"""Scoped reads of follow-ups. A store manager and HQ see every task of their stores; everyone
else sees the tasks they own (a consultant group leader also the group's), and consultants only
for customers inside their own scope. Outside the scope a task is a 404."""

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone

from yanzhi.core.scope import Scope
from yanzhi.core.timeutil import store_day_bounds
from yanzhi.customers.queries import customers_for
from yanzhi.followups.models import AdviceTemplate, FollowupAttempt, FollowupRule, FollowupTask
from yanzhi.org import policy
from yanzhi.sales.queries import orders_for
from yanzhi.treatments.queries import executions_for
from yanzhi.visits.queries import visits_for

HISTORY_ROWS = 3


def sees_all_tasks(scope: Scope) -> bool:
    return scope.role in (policy.MANAGER, policy.HQ)


def tasks_for(scope: Scope) -> QuerySet[FollowupTask]:
    qs = FollowupTask.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    if sees_all_tasks(scope):
        return qs
    if scope.owner_ids is not None:
        qs = qs.filter(owner_id__in=scope.owner_ids, customer__in=customers_for(scope))
        return qs
    return qs.filter(owner_id=scope.staff_id)


def get_task(scope: Scope, pk: int) -> FollowupTask:
    qs = tasks_for(scope).select_related(
        "store",
        "customer__consultant",
        "customer__doctor",
        "customer__member_level",
        "customer__summary",
        "owner",
        "item",
        "rule",
        "escalated_from",
        "next_appointment",
    )
    return get_object_or_404(qs, pk=pk)


def task_list(
    scope: Scope,
    *,
    owner_id: int | None = None,
    status: str | None = None,
    due_from: datetime | None = None,
    due_to: datetime | None = None,
) -> QuerySet[FollowupTask]:
    qs = tasks_for(scope).select_related("store", "customer", "owner", "item")
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if status:
        qs = qs.filter(status=status)
    if due_from is not None:
        qs = qs.filter(due_at__gte=due_from)
    if due_to is not None:
        qs = qs.filter(due_at__lt=due_to)
    return qs.order_by("due_at", "pk")


TABS = ("today", "overdue", "upcoming")


def _mine(scope: Scope, qs: QuerySet[FollowupTask], everyone: bool) -> QuerySet[FollowupTask]:
    """A manager's workbench shows their own tasks unless they ask for the whole store."""
    return qs if everyone and sees_all_tasks(scope) else qs.filter(owner_id=scope.staff_id)


UPCOMING_DAYS = 7
WORKBENCH_ROWS = 100
# The columns the workbench's rows show (followups/workbench.html): building 100 whole tasks
# with their customer, owner, item and store took longer than the SQL. A column the rows read
# must be listed here, or each row would load it with a query of its own.
WORKBENCH_COLUMNS = (
    "kind",
    "channel",
    "title",
    "due_at",
    "attempt_count",
    "owner_note",
    "customer__name",
    "customer__phone",
    "owner__name",
    "item__name",
)


def workbench(scope: Scope, store, day: date, *, tab: str, everyone: bool = False):
    """(tasks of the tab, counts of every tab): pending tasks due today, before today, and in
    the next UPCOMING_DAYS days (a six-month check-up call is not "coming up" yet)."""
    start, end = store_day_bounds(store, day)
    horizon = store_day_bounds(store, day + timedelta(days=UPCOMING_DAYS))[1]
    pending = _mine(scope, tasks_for(scope), everyone).filter(
        status=FollowupTask.Status.PENDING, store_id=store.pk
    )
    # COUNT(due_at), not COUNT(id): the counts then read the owner's index alone
    counts = pending.aggregate(
        today=Count("due_at", filter=Q(due_at__gte=start, due_at__lt=end)),
        overdue=Count("due_at", filter=Q(due_at__lt=start)),
        upcoming=Count("due_at", filter=Q(due_at__gte=end, due_at__lt=horizon)),
    )
    where = {
        "today": Q(due_at__gte=start, due_at__lt=end),
        "overdue": Q(due_at__lt=start),
        "upcoming": Q(due_at__gte=end, due_at__lt=horizon),
    }[tab]
    tasks = (
        pending.filter(where)
        .select_related("customer", "owner", "item")
        .only(*WORKBENCH_COLUMNS)
        .order_by("due_at", "pk")[:WORKBENCH_ROWS]
    )
    return list(tasks), counts


@dataclass
class History:
    visits: list
    orders: list
    executions: list
    tasks: list


def customer_history(scope: Scope, task: FollowupTask) -> History:
    """What the caller should know before calling: the customer's last visits, orders,
    executions (each through its own app's scoped query, and only what the role may see) and
    earlier follow-ups."""
    customer_id = task.customer_id
    visits = visits_for(scope).filter(customer_id=customer_id).order_by("-arrived_at")
    orders = orders_for(scope).filter(customer_id=customer_id).order_by("-business_date", "-pk")
    executions = (
        executions_for(scope)
        .filter(customer_id=customer_id)
        .select_related("item", "performed_by")
        .order_by("-created_at")
    )
    earlier = (
        FollowupTask.objects.filter(org_id=scope.org_id, customer_id=customer_id)
        .exclude(pk=task.pk)
        .exclude(status=FollowupTask.Status.PENDING)
        .select_related("completed_by")
        .order_by("-updated_at")
    )
    allowed = functools.partial(policy.can, scope)
    return History(
        visits=list(visits[:HISTORY_ROWS]) if allowed("visit.view") else [],
        orders=list(orders[:HISTORY_ROWS]) if allowed("order.view") else [],
        executions=list(executions[:HISTORY_ROWS]) if allowed("treatment.view") else [],
        tasks=list(earlier[:HISTORY_ROWS]),
    )


# --- rules and advice ----------------------------------------------------------------------------
def rules_for(scope: Scope) -> QuerySet[FollowupRule]:
    """The chain's rules and those of the viewer's stores."""
    qs = FollowupRule.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(Q(store__isnull=True) | Q(store_id__in=scope.store_ids))
    return qs


def rule_list(scope: Scope) -> QuerySet[FollowupRule]:
    return (
        rules_for(scope)
        .select_related("store")
        .prefetch_related("nodes", "items", "departments")
        .order_by("-is_active", "trigger", "name", "pk")
    )


def get_rule(scope: Scope, pk: int) -> FollowupRule:
    return get_object_or_404(rule_list(scope), pk=pk)


def advice_templates_for(scope: Scope) -> QuerySet[AdviceTemplate]:
    return AdviceTemplate.objects.filter(org_id=scope.org_id).select_related("item", "updated_by")


def get_advice_template(scope: Scope, pk: int) -> AdviceTemplate:
    return get_object_or_404(advice_templates_for(scope), pk=pk)


# --- completion statistics -----------------------------------------------------------------------
ESCALATION_DEADLINE = timedelta(days=1)


def _response_time():
    return ExpressionWrapper(F("completed_at") - F("created_at"), output_field=DurationField())


def completion_stats(scope: Scope, *, start: datetime, end: datetime, store_id: int | None = None):
    """Follow-up completion for [start, end) (docs/followups.md, "Completion figures").

    Tasks count on the day they were FIRST due (`first_due_at`), so an unanswered call retried in
    the next window stays in the figures of its day: due, done, overdue (still pending, past its
    current due time), average satisfaction. Calls count by when they were made
    (`FollowupAttempt`, one row per call): calls, reached calls, reach rate = reached / calls.
    Per owner (tasks by owner, calls by caller) and per store; satisfaction per item; escalations
    and their response times. Aggregated in the database, six queries."""
    now = timezone.now()
    visible = tasks_for(scope)
    qs = visible.filter(first_due_at__gte=start, first_due_at__lt=end)
    calls = FollowupAttempt.objects.filter(
        org_id=scope.org_id,
        attempted_at__gte=start,
        attempted_at__lt=end,
        task__in=visible.values("pk"),
    )
    if store_id is not None:
        qs = qs.filter(store_id=store_id)
        calls = calls.filter(store_id=store_id)
    qs = qs.exclude(status=FollowupTask.Status.CANCELLED)
    measures = {
        "due": Count("pk"),
        "done": Count("pk", filter=Q(status=FollowupTask.Status.DONE)),
        "overdue": Count("pk", filter=Q(status=FollowupTask.Status.PENDING, due_at__lt=now)),
        "satisfaction": Avg("satisfaction"),
    }
    call_measures = {
        "calls": Count("pk"),
        "reached": Count("pk", filter=Q(outcome=FollowupTask.Outcome.REACHED)),
    }
    blank = {"due": 0, "done": 0, "overdue": 0, "satisfaction": None, "calls": 0, "reached": 0}
    by_owner = {
        (row["store_id"], row["owner_id"]): {**blank, **row}
        for row in qs.values("store_id", "store__name", "owner_id", "owner__name").annotate(
            **measures
        )
    }
    for row in calls.values("store_id", "store__name", "by_id", "by__name").annotate(
        **call_measures
    ):
        key = (row["store_id"], row["by_id"])
        target = by_owner.setdefault(
            key,
            {
                **blank,
                "store_id": row["store_id"],
                "store__name": row["store__name"],
                "owner_id": row["by_id"],
                "owner__name": row["by__name"],
            },
        )
        target["calls"], target["reached"] = row["calls"], row["reached"]
    by_store = {
        row["store_id"]: {**blank, **row}
        for row in qs.values("store_id", "store__name").annotate(**measures)
    }
    for row in calls.values("store_id", "store__name").annotate(**call_measures):
        target = by_store.setdefault(row["store_id"], {**blank, **row})
        target["calls"], target["reached"] = row["calls"], row["reached"]
    by_item = list(
        qs.filter(item__isnull=False, satisfaction__isnull=False)
        .values("item_id", "item__name")
        .annotate(answers=Count("pk"), satisfaction=Avg("satisfaction"))
        .order_by("item__name")
    )
    escalations = qs.filter(kind=FollowupTask.Kind.ESCALATION).aggregate(
        count=Count("pk"),
        answered=Count("pk", filter=Q(status=FollowupTask.Status.DONE)),
        # The promise is an answer within a day of the report, whatever the due time says.
        late=Count(
            "pk",
            filter=Q(status=FollowupTask.Status.PENDING, created_at__lt=now - ESCALATION_DEADLINE)
            | Q(
                status=FollowupTask.Status.DONE,
                completed_at__gt=F("created_at") + ESCALATION_DEADLINE,
            ),
        ),
        average_response=Avg(_response_time(), filter=Q(status=FollowupTask.Status.DONE)),
    )
    by_owner = sorted(
        by_owner.values(), key=lambda r: (r["store__name"], r["owner__name"], r["owner_id"])
    )
    by_store = sorted(by_store.values(), key=lambda r: r["store__name"])
    average = escalations["average_response"]
    if isinstance(average, int | float):  # SQLite gives microseconds
        average = timedelta(microseconds=average)
    escalations["average_response"] = average
    escalations["average_response_hours"] = average.total_seconds() / 3600 if average else None
    for row in by_owner + by_store:
        row["reach_rate"] = round(100 * row["reached"] / row["calls"]) if row["calls"] else None
    return {
        "by_owner": by_owner,
        "by_store": by_store,
        "by_item": by_item,
        "escalations": escalations,
    }
