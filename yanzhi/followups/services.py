"""Every write of follow-ups: rules and their nodes, the calling windows, creating tasks when a
trigger fires, recording results (retry, escalation, next appointment), cancelling tasks whose
cause went away, and medical-advice templates."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from yanzhi.catalog.models import Item
from yanzhi.core import audit
from yanzhi.core.errors import BusinessError, NotFound
from yanzhi.core.scope import Scope
from yanzhi.core.sms import queue_sms
from yanzhi.core.timeutil import store_datetime, store_today
from yanzhi.core.validators import MOBILE_RE
from yanzhi.customers.models import Customer, DealStatus, MemberActivity, VisitType
from yanzhi.customers.queries import customers_for
from yanzhi.followups import duetime
from yanzhi.followups.defaults import DEFAULT_RULES
from yanzhi.followups.models import (
    CUSTOMER_TRIGGERS,
    AdviceTemplate,
    CallingWindows,
    Channel,
    FollowupAttempt,
    FollowupNode,
    FollowupRule,
    FollowupTask,
    OffsetUnit,
    OwnerRole,
    Trigger,
)
from yanzhi.followups.queries import tasks_for
from yanzhi.org import policy, settings_cache
from yanzhi.org.models import Department, Organization, Staff, Store
from yanzhi.scheduling import services as scheduling

PLACEHOLDERS = ("称呼", "姓名", "项目", "门店", "负责人")
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
MAX_NODES = 12
MAX_ATTEMPTS = 3
APPOINTMENT_MINUTES = 30
RULE_FIELDS = [
    "name",
    "trigger",
    "store_id",
    "wait_days",
    "is_active",
    "deal_statuses",
    "last_visit_types",
    "activities",
    "has_allergy",
    "has_arrears",
    "dates",
]
# The staff role that fills each owner role (the executor is the execution's performer).
STAFF_ROLE = {
    OwnerRole.CONSULTANT: policy.CONSULTANT,
    OwnerRole.DOCTOR: policy.DOCTOR,
    OwnerRole.NURSE: policy.NURSE,
    OwnerRole.CUSTOMER_SERVICE: policy.SERVICE,
}


def _scope(by: Staff) -> Scope:
    return policy.scope_for(by)


def _invalid(fields: dict) -> BusinessError:
    first = next(iter(fields.values()))[0]
    return BusinessError("invalid_rule", first, fields=fields, status=422)


# --- scripts and windows -------------------------------------------------------------------------
def unknown_placeholders(script: str) -> list[str]:
    return [name for name in PLACEHOLDER_RE.findall(script or "") if name not in PLACEHOLDERS]


def _braced(names) -> str:
    return "、".join("{" + name + "}" for name in names)


def fill_script(script: str, *, customer: Customer, store: Store, item=None, owner=None) -> str:
    """The script with {称呼} {姓名} {项目} {门店} {负责人} filled in."""
    values = {
        "称呼": customer.salutation or customer.name,
        "姓名": customer.name,
        "项目": item.name if item is not None else "",
        "门店": store.name,
        "负责人": owner.name if owner is not None else "",
    }
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), script or "")


def calling_windows(org_id: int) -> tuple[tuple[time, time], ...]:
    def load():
        row = CallingWindows.objects.filter(org_id=org_id).first()
        return duetime.parse_windows(row.windows if row else None)

    return settings_cache.cached(org_id, "calling_windows", load)


@transaction.atomic
def set_calling_windows(org: Organization, *, windows, by: Staff) -> CallingWindows:
    """Set the chain's calling windows: 1–6 windows "HH:MM"–"HH:MM", each ending after it
    starts, none overlapping."""
    scope = _scope(by)
    policy.require(scope, "followup.manage_rules")
    if not scope.chain_wide or org.pk != by.org_id:
        raise BusinessError("forbidden", _("只有总部可以设置回访时段"), status=403)
    parsed = []
    for n, pair in enumerate(windows or ()):
        try:
            start, end = (time.fromisoformat(str(v).strip()) for v in pair)
        except (TypeError, ValueError):
            raise _invalid({f"windows.{n}": [_("请按“时:分”填写时段,如 11:00")]}) from None
        if end <= start:
            raise _invalid({f"windows.{n}": [_("时段的结束时间须晚于开始时间")]})
        parsed.append((start, end))
    if not 1 <= len(parsed) <= 6:
        raise _invalid({"windows": [_("请设置1到6个回访时段")]})
    parsed.sort()
    for n in range(1, len(parsed)):
        if parsed[n][0] < parsed[n - 1][1]:
            raise _invalid({"windows": [_("回访时段不能重叠")]})
    row, _created = CallingWindows.objects.select_for_update().get_or_create(org=org)
    before = {"windows": row.windows}
    row.windows = [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in parsed]
    row.save()
    audit.record(by, "calling_windows.updated", row, before=before, after={"windows": row.windows})
    return row


# --- rules ---------------------------------------------------------------------------------------
@dataclass
class NodeIn:
    offset_value: object
    offset_unit: str
    owner_role: str
    channel: str
    script: str
    label: str = ""


def _store_has_role(store: Store, role: str) -> bool:
    return store.staff.filter(role=STAFF_ROLE[role], is_active=True).exists()


def _clean_nodes(nodes, *, trigger: str, store: Store | None, fields: dict) -> list[NodeIn]:
    cleaned = []
    if not nodes:
        fields["nodes"] = [_("至少需要一个回访节点")]
        return cleaned
    if len(nodes) > MAX_NODES:
        fields["nodes"] = [_("回访节点最多12个")]
        return cleaned
    for n, node in enumerate(nodes):
        key = f"nodes.{n}"
        try:
            value = int(str(node.offset_value).strip())
        except (TypeError, ValueError):
            fields[f"{key}.offset_value"] = [_("请填写间隔(整数)")]
            value = None
        if value is not None and value < 0:
            fields[f"{key}.offset_value"] = [_("间隔不能为负数")]
        if node.offset_unit not in OffsetUnit.values:
            fields[f"{key}.offset_unit"] = [_("请选择间隔单位")]
        if node.channel not in Channel.values:
            fields[f"{key}.channel"] = [_("请选择回访方式")]
        role = node.owner_role
        if role not in OwnerRole.values:
            fields[f"{key}.owner_role"] = [_("请选择负责人")]
        elif role == OwnerRole.EXECUTOR and trigger != Trigger.EXECUTED:
            fields[f"{key}.owner_role"] = [_("只有“执行划扣后”的规则可以由执行人回访")]
        elif store is not None and role != OwnerRole.EXECUTOR and not _store_has_role(store, role):
            fields[f"{key}.owner_role"] = [
                _("%(store)s没有在职的%(role)s,该节点无法分配")
                % {"store": store.name, "role": OwnerRole(role).label}
            ]
        script = (node.script or "").strip()
        if not script:
            fields[f"{key}.script"] = [_("话术不能为空")]
        elif len(script) > 1000:
            fields[f"{key}.script"] = [_("话术不能超过1000字")]
        elif unknown := unknown_placeholders(script):
            fields[f"{key}.script"] = [
                _("无法识别的占位符:%(names)s(可用:{称呼} {姓名} {项目} {门店} {负责人})")
                % {"names": _braced(unknown)}
            ]
        label = (node.label or "").strip()[:40]
        cleaned.append(NodeIn(value, node.offset_unit, role, node.channel, script, label))
    return cleaned


def _clean_rule(scope: Scope, org_id: int, data: dict) -> dict:
    """Check a rule as a whole; every problem is reported by field and nothing is saved."""
    fields: dict[str, list] = {}
    name = (data.get("name") or "").strip()
    if not name:
        fields["name"] = [_("请填写规则名称")]
    elif len(name) > 60:
        fields["name"] = [_("规则名称不能超过60字")]
    trigger = data.get("trigger")
    if trigger not in Trigger.values:
        fields["trigger"] = [_("请选择触发条件")]
    store = data.get("store")
    if store is not None and (store.org_id != org_id or not scope.covers_store(store.pk)):
        raise NotFound(_("门店不存在"))
    if store is None and not scope.chain_wide:
        fields["store_id"] = [_("门店只能设置本门店的规则,请选择门店")]
    try:
        wait_days = int(data.get("wait_days") or 0)
    except (TypeError, ValueError):
        wait_days = -1
    if not 0 <= wait_days <= 365:
        fields["wait_days"] = [_("等待天数须在0到365之间")]
    elif trigger == Trigger.PAID_NOT_EXECUTED and wait_days < 1:
        fields["wait_days"] = [_("“支付后未执行”需要设置等待天数(至少1天)")]
    deal_statuses = list(dict.fromkeys(data.get("deal_statuses") or ()))
    if set(deal_statuses) - set(DealStatus.values):
        fields["deal_statuses"] = [_("成交标签无效")]
    visit_types = list(dict.fromkeys(data.get("last_visit_types") or ()))
    if set(visit_types) - set(VisitType.values):
        fields["last_visit_types"] = [_("到访类型无效")]
    activities = list(dict.fromkeys(data.get("activities") or ()))
    if set(activities) - set(MemberActivity.values):
        fields["activities"] = [_("会员活跃度无效")]
    flags = {}
    for flag in ("has_allergy", "has_arrears"):
        value = data.get(flag)
        if value not in (None, True, False):
            fields[flag] = [_("只能是“是”“否”或不限")]
        flags[flag] = value
    dates = clean_dates(data.get("dates"), fields) if trigger == Trigger.DATE else []
    item_ids = sorted({int(i) for i in data.get("item_ids") or ()})
    items = list(Item.objects.filter(org_id=org_id, pk__in=item_ids))
    if len(items) != len(item_ids):
        fields["item_ids"] = [_("项目不存在")]
    department_ids = sorted({int(i) for i in data.get("department_ids") or ()})
    departments = list(Department.objects.filter(org_id=org_id, pk__in=department_ids))
    if len(departments) != len(department_ids):
        fields["department_ids"] = [_("科室不存在")]
    if trigger in CUSTOMER_TRIGGERS and (item_ids or department_ids):
        message = _("“%(trigger)s”与项目无关,不能按项目或科室筛选") % {
            "trigger": Trigger(trigger).label
        }
        fields["item_ids" if item_ids else "department_ids"] = [message]
    nodes = _clean_nodes(data.get("nodes"), trigger=trigger, store=store, fields=fields)
    if fields:
        raise _invalid(fields)
    return {
        "name": name,
        "trigger": trigger,
        "store": store,
        "wait_days": wait_days,
        "is_active": bool(data.get("is_active", True)),
        "deal_statuses": deal_statuses,
        "last_visit_types": visit_types,
        "activities": activities,
        **flags,
        "dates": dates,
        "items": items,
        "departments": departments,
        "nodes": nodes,
    }


MAX_DATES = 20


def clean_dates(values, fields: dict) -> list[str]:
    """The dates of a 节日 rule: "MM-DD" (every year; 02-29 falls on 02-28 in other years) or
    "YYYY-MM-DD" (that year only, e.g. 春节), 1–20 of them, sorted, without repeats."""
    cleaned = set()
    for raw in values or ():
        text = str(raw).strip()
        try:
            if len(text) == 5:
                date.fromisoformat(f"2000-{text}")  # a leap year: 02-29 is a valid month-day
            elif len(text) == 10:
                date.fromisoformat(text)
            else:
                raise ValueError(text)
        except ValueError:
            fields["dates"] = [
                _("日期“%(date)s”无效:请写“月-日”(如 03-08)或“年-月-日”(如 2027-02-06)")
                % {"date": text}
            ]
            return []
        cleaned.add(text)
    if not cleaned:
        fields["dates"] = [_("“节日/指定日期”需要至少一个日期")]
    elif len(cleaned) > MAX_DATES:
        fields["dates"] = [_("日期最多20个")]
    return sorted(cleaned)


def date_matches(rule_dates, day: date) -> bool:
    """Whether a 节日 rule fires on `day` (see `clean_dates`)."""
    wanted = {day.isoformat(), day.strftime("%m-%d")}
    if day.month == 2 and day.day == 28 and (day + timedelta(days=1)).month == 3:
        wanted.add("02-29")
    return bool(wanted & set(rule_dates or ()))


def _rule_snapshot(rule: FollowupRule) -> dict:
    data = audit.snapshot(rule, RULE_FIELDS)
    data["item_ids"] = sorted(rule.items.values_list("pk", flat=True))
    data["department_ids"] = sorted(rule.departments.values_list("pk", flat=True))
    data["nodes"] = [
        [n.offset_value, n.offset_unit, n.owner_role, n.channel, n.label, n.script]
        for n in rule.nodes.all()
    ]
    return data


def _write_nodes(rule: FollowupRule, nodes: list[NodeIn]) -> None:
    """Nodes are kept by position, so a node keeps its id (and its tasks' de-duplication)
    when a rule is edited."""
    existing = list(rule.nodes.order_by("position", "id"))
    for position, node in enumerate(nodes):
        row = existing[position] if position < len(existing) else FollowupNode(rule=rule)
        row.position = position
        row.label, row.offset_value, row.offset_unit = (
            node.label,
            node.offset_value,
            node.offset_unit,
        )
        row.owner_role, row.channel, row.script = node.owner_role, node.channel, node.script
        row.save()
    FollowupNode.objects.filter(pk__in=[n.pk for n in existing[len(nodes) :]]).delete()


def _require_rule_editable(scope: Scope, rule: FollowupRule) -> None:
    if rule.org_id != scope.org_id or (
        rule.store_id is not None and not scope.covers_store(rule.store_id)
    ):
        raise NotFound(_("规则不存在"))
    if rule.store_id is None and not scope.chain_wide:
        raise BusinessError("forbidden", _("全连锁规则只能由总部修改"), status=403)


@transaction.atomic
def create_rule(org: Organization, *, by: Staff, **data) -> FollowupRule:
    """A new rule; rejected field by field if it could never fire (no nodes, a negative offset,
    an empty script, an owner role the store does not have)."""
    scope = _scope(by)
    policy.require(scope, "followup.manage_rules")
    if org.pk != scope.org_id:
        raise NotFound()
    clean = _clean_rule(scope, org.pk, data)
    nodes, items, departments = clean.pop("nodes"), clean.pop("items"), clean.pop("departments")
    rule = FollowupRule.objects.create(org=org, **clean)
    rule.items.set(items)
    rule.departments.set(departments)
    _write_nodes(rule, nodes)
    audit.record(by, "followup_rule.created", rule, after=_rule_snapshot(rule))
    return rule


@transaction.atomic
def update_rule(rule: FollowupRule, *, by: Staff, **data) -> FollowupRule:
    """Edit a rule and its nodes under the same checks as creating one."""
    scope = _scope(by)
    policy.require(scope, "followup.manage_rules")
    _require_rule_editable(scope, rule)
    rule = FollowupRule.objects.select_for_update().get(pk=rule.pk)
    clean = _clean_rule(scope, rule.org_id, data)
    before = _rule_snapshot(rule)
    nodes, items, departments = clean.pop("nodes"), clean.pop("items"), clean.pop("departments")
    for name, value in clean.items():
        setattr(rule, name, value)
    rule.save()
    rule.items.set(items)
    rule.departments.set(departments)
    _write_nodes(rule, nodes)
    old, new = audit.changed(before, _rule_snapshot(rule))
    audit.record(by, "followup_rule.updated", rule, before=old, after=new)
    return rule


@transaction.atomic
def deactivate_rule(rule: FollowupRule, *, by: Staff) -> FollowupRule:
    """Stop a rule from creating tasks; tasks it already created stay."""
    scope = _scope(by)
    policy.require(scope, "followup.manage_rules")
    _require_rule_editable(scope, rule)
    rule = FollowupRule.objects.select_for_update().get(pk=rule.pk)
    if rule.is_active:
        rule.is_active = False
        rule.save(update_fields=["is_active", "updated_at"])
        audit.record(by, "followup_rule.deactivated", rule, before={"is_active": True})
    return rule


@transaction.atomic
def install_default_rules(org: Organization, *, by: Staff | None = None) -> list[FollowupRule]:
    """Give a chain the shipped rules (defaults.py) it does not have yet, as editable rules.
    The post-op rule covers the departments 整形外科 and 微整科; without them it is installed
    inactive, for the chain to choose its own items or departments."""
    if by is not None:
        scope = _scope(by)
        policy.require(scope, "followup.manage_rules")
        if not scope.chain_wide or by.org_id != org.pk:
            raise BusinessError("forbidden", _("只有总部可以安装默认规则"), status=403)
    have = set(
        FollowupRule.objects.filter(org=org)
        .exclude(default_key="")
        .values_list("default_key", flat=True)
    )
    created = []
    for key, name, trigger, wait_days, department_names, nodes, *extra in DEFAULT_RULES:
        if key in have:
            continue
        departments = list(Department.objects.filter(org=org, name__in=department_names))
        rule = FollowupRule.objects.create(
            org=org,
            name=name,
            trigger=trigger,
            wait_days=wait_days,
            default_key=key,
            is_active=not department_names or bool(departments),
            **(extra[0] if extra else {}),
        )
        rule.departments.set(departments)
        _write_nodes(rule, [NodeIn(v, u, r, c, s, label) for label, v, u, r, c, s in nodes])
        audit.record(by, "followup_rule.created", rule, after=_rule_snapshot(rule), note="default")
        created.append(rule)
    return created


# --- creating tasks ------------------------------------------------------------------------------
def _store_staff(store: Store, role: str):
    return store.staff.filter(role=role, is_active=True).order_by("pk")


def _least_loaded(store: Store, role: str) -> Staff | None:
    """Round robin by load: the active staff of the role in the store with the fewest pending
    follow-up tasks (ties: the earliest account)."""
    return (
        _with_pending_load(_store_staff(store, role), store.org_id).order_by("load", "pk").first()
    )


def _with_pending_load(staff, org_id: int):
    """Each staff member's pending follow-up tasks (chain-wide) as `load`: a count per member
    read from the (org, owner, status, …) index alone; a join over the tasks would read every
    task the member ever had (tens of thousands after a few years)."""
    pending = (
        FollowupTask.objects.filter(
            org_id=org_id, owner_id=OuterRef("pk"), status=FollowupTask.Status.PENDING
        )
        .order_by()
        .values("owner_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return staff.annotate(load=Coalesce(Subquery(pending, output_field=IntegerField()), 0))


def _of_role(staff: Staff | None, role: str, store: Store) -> Staff | None:
    if staff is not None and staff.is_active and staff.role == role:
        if staff.role == policy.HQ or staff.stores.filter(pk=store.pk).exists():
            return staff
    return None


def resolve_owner(
    role: str, *, store: Store, customer: Customer, execution=None, least_loaded=None
):
    """(owner, note): the staff member for a node's owner role, or the store manager with the
    reason when the store has nobody in that role. `least_loaded(staff_role)` picks among the
    role's colleagues (default: by their pending tasks now)."""
    least_loaded = least_loaded or (lambda staff_role: _least_loaded(store, staff_role))
    owner = None
    if role == OwnerRole.CONSULTANT:
        owner = _of_role(customer.consultant, policy.CONSULTANT, store)
    elif role == OwnerRole.EXECUTOR and execution is not None:
        owner = execution.performed_by if execution.performed_by.is_active else None
    elif role in (OwnerRole.DOCTOR, OwnerRole.NURSE):
        staff_role = STAFF_ROLE[role]
        if execution is not None:
            owner = _of_role(execution.performed_by, staff_role, store) or _of_role(
                execution.assistant, staff_role, store
            )
        if owner is None and role == OwnerRole.DOCTOR:
            owner = _of_role(customer.doctor, policy.DOCTOR, store)
        if owner is None:
            owner = least_loaded(staff_role)
    elif role == OwnerRole.CUSTOMER_SERVICE:
        owner = least_loaded(policy.SERVICE)
    if owner is not None:
        return owner, ""
    manager = _store_staff(store, policy.MANAGER).first()
    label = OwnerRole(role).label
    if manager is not None:
        return manager, _("无%(role)s,已转店长") % {"role": label}
    hq = Staff.objects.filter(org_id=store.org_id, role=policy.HQ, is_active=True)
    hq = hq.order_by("pk").first()
    return hq, (_("无%(role)s,已转总部") % {"role": label}) if hq else ""


def _insert(task: FollowupTask) -> bool:
    """Insert unless this node already has a task for this cause (the unique constraint is the
    guard when two triggers race)."""
    if FollowupTask.objects.filter(node_id=task.node_id, cause=task.cause).exists():
        return False
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:
        return False
    return True


def create_tasks(
    rule: FollowupRule,
    *,
    store: Store,
    customer: Customer,
    cause: str,
    base: datetime,
    item: Item | None = None,
    execution=None,
    source_line_id: int | None = None,
    new_cause: bool = False,
) -> list[FollowupTask]:
    """The tasks of every node of a rule that fired for `cause` at `base` (called inside the
    transaction of the triggering action). Nodes that already have a task for the cause are
    skipped, so a trigger that fires again creates nothing. One INSERT for the new tasks and
    one for their audit rows. `new_cause`: the cause names a row made in this transaction (an
    execution just written), so no task can name it yet, here or in another transaction:
    nothing to look up, no savepoint for a concurrent trigger."""
    windows = calling_windows(rule.org_id)
    nodes = list(rule.nodes.all())
    taken = set()
    if not new_cause:
        taken = set(
            FollowupTask.objects.filter(node_id__in=[n.pk for n in nodes], cause=cause).values_list(
                "node_id", flat=True
            )
        )
    # colleagues' loads read once per role, counting the tasks this rule gives out
    picker = OwnerPicker(store)
    tasks = []
    for node in nodes:
        if node.pk in taken:
            continue
        owner, note = resolve_owner(
            node.owner_role,
            store=store,
            customer=customer,
            execution=execution,
            least_loaded=picker._least_loaded,
        )
        if owner is None:
            continue  # a chain with no manager and no HQ account: nobody to give it to
        task = FollowupTask(
            org_id=rule.org_id,
            store=store,
            customer=customer,
            kind=rule.trigger,
            rule=rule,
            node=node,
            cause=cause,
            title=node.label or rule.name,
            channel=node.channel,
            owner_role=node.owner_role,
            owner=owner,
            owner_note=note,
            script=fill_script(node.script, customer=customer, store=store, item=item, owner=owner),
            due_at=duetime.due_at(
                store, base, value=node.offset_value, unit=node.offset_unit, windows=windows
            ),
            item=item,
            execution=execution,
            source_line_id=source_line_id,
        )
        task.first_due_at = task.due_at  # what save() sets; bulk_create does not call it
        tasks.append(task)
    if not tasks:
        return []
    if new_cause:
        created = FollowupTask.objects.bulk_create(tasks)
    else:
        try:
            with transaction.atomic():
                created = FollowupTask.objects.bulk_create(tasks)
        except IntegrityError:  # a concurrent trigger made some of them: one by one
            created = [task for task in tasks if _insert(task)]
    audit.record_all(
        [audit.entry_for(None, "followup_task.created", t, after={"cause": cause}) for t in created]
    )
    return created


class OwnerPicker:
    """`resolve_owner` for many customers of one store at once (bulk triggers such as 节日):
    the store's staff and their pending loads are read once, then each customer-service or
    doctor/nurse task goes to the least loaded colleague, counting the tasks given so far."""

    def __init__(self, store: Store):
        self.store = store
        self._staff: dict[str, list[Staff]] = {}
        self._load: dict[int, int] = {}
        self._fallback = None

    def _of(self, staff_role: str) -> list[Staff]:
        if staff_role not in self._staff:
            staff = list(
                _with_pending_load(_store_staff(self.store, staff_role), self.store.org_id)
            )
            self._staff[staff_role] = staff
            for member in staff:
                self._load[member.pk] = member.load
        return self._staff[staff_role]

    def _least_loaded(self, staff_role: str) -> Staff | None:
        staff = self._of(staff_role)
        if not staff:
            return None
        owner = min(staff, key=lambda m: (self._load[m.pk], m.pk))
        self._load[owner.pk] += 1
        return owner

    def pick(self, role: str, customer: Customer) -> tuple[Staff | None, str]:
        owner = None
        if role == OwnerRole.CONSULTANT:
            by_pk = {m.pk: m for m in self._of(policy.CONSULTANT)}
            owner = by_pk.get(customer.consultant_id)
        elif role in (OwnerRole.DOCTOR, OwnerRole.NURSE):
            staff_role = STAFF_ROLE[role]
            if role == OwnerRole.DOCTOR:
                owner = {m.pk: m for m in self._of(staff_role)}.get(customer.doctor_id)
            owner = owner or self._least_loaded(staff_role)
        elif role == OwnerRole.CUSTOMER_SERVICE:
            owner = self._least_loaded(policy.SERVICE)
        if owner is not None:
            return owner, ""
        if self._fallback is None:
            manager = _store_staff(self.store, policy.MANAGER).first()
            label = OwnerRole(role).label
            if manager is not None:
                self._fallback = (manager, _("无%(role)s,已转店长") % {"role": label})
            else:
                hq = Staff.objects.filter(org_id=self.store.org_id, role=policy.HQ, is_active=True)
                hq = hq.order_by("pk").first()
                self._fallback = (hq, (_("无%(role)s,已转总部") % {"role": label}) if hq else "")
        return self._fallback


def create_tasks_bulk(
    rule: FollowupRule,
    *,
    store: Store,
    customers,
    cause: str,
    base: datetime,
    picker: OwnerPicker | None = None,
) -> int:
    """The tasks of every node of `rule` for many customers of `store` (one base, so one due
    time per node; each customer's cause is "`cause`:customer:<id>"): one INSERT per batch, skipping (node, cause) pairs that exist
    (`ignore_conflicts` on the unique constraint), so running it again creates nothing. Returns
    the number of tasks created; a fixed number of queries whatever the number of customers."""
    windows = calling_windows(rule.org_id)
    picker = picker or OwnerPicker(store)
    nodes = list(rule.nodes.all())
    node_ids = [node.pk for node in nodes]
    customers = list(customers)
    if not customers or not nodes:
        return 0
    causes = {customer.pk: f"{cause}:customer:{customer.pk}" for customer in customers}
    taken = set(
        FollowupTask.objects.filter(node_id__in=node_ids, cause__in=causes.values()).values_list(
            "node_id", "cause"
        )
    )
    due = {
        node.pk: duetime.due_at(
            store, base, value=node.offset_value, unit=node.offset_unit, windows=windows
        )
        for node in nodes
    }
    rows = []
    for customer in customers:
        for node in nodes:
            if (node.pk, causes[customer.pk]) in taken:
                continue
            owner, note = picker.pick(node.owner_role, customer)
            if owner is None:
                continue
            rows.append(
                FollowupTask(
                    org_id=rule.org_id,
                    store=store,
                    customer=customer,
                    kind=rule.trigger,
                    rule=rule,
                    node=node,
                    cause=causes[customer.pk],
                    title=node.label or rule.name,
                    channel=node.channel,
                    owner_role=node.owner_role,
                    owner=owner,
                    owner_note=note,
                    script=fill_script(node.script, customer=customer, store=store, owner=owner),
                    due_at=due[node.pk],
                    first_due_at=due[node.pk],
                )
            )
    FollowupTask.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return len(rows)


MAX_CAMPAIGN_TITLE = 100


@transaction.atomic
def create_campaign_tasks(
    store: Store,
    *,
    customers,
    cause: str,
    title: str,
    owner_role: str,
    channel: str = Channel.CALL,
    script: str = "",
    due_on: date | None = None,
    by: Staff,
) -> int:
    """One follow-up task per customer for a campaign (专项回访: a saved segment's satisfaction
    survey, a repurchase reminder). `cause` names the campaign ("segment:12", "repurchase"):
    a customer who already has a task of that cause gets none, so running a campaign again adds
    only newcomers. Owners are chosen as for a rule's node; the task falls due in the first
    calling window of `due_on` (today: the next window from now). `customers` must all be in the
    caller's scope. Returns the number of tasks created, in a fixed number of queries."""
    scope = _scope(by)
    policy.require(scope, "followup.campaign")
    if not scope.covers_store(store.pk):
        raise NotFound()
    fields = {}
    title = (title or "").strip()
    if not title or len(title) > MAX_CAMPAIGN_TITLE:
        fields["title"] = [_("请填写回访事项(不超过100字)")]
    if owner_role not in OwnerRole.values or owner_role == OwnerRole.EXECUTOR:
        fields["owner_role"] = [_("负责人角色无效")]
    if channel not in Channel.values:
        fields["channel"] = [_("回访方式无效")]
    if unknown := unknown_placeholders(script or ""):
        fields["script"] = [_("话术中有未知的占位符:%(names)s") % {"names": _braced(unknown)}]
    today = store_today(store)
    if due_on is not None and due_on < today:
        fields["due_on"] = [_("回访日期不能早于今天")]
    if not cause or len(cause) > 60:
        fields["cause"] = [_("活动标识无效")]
    if fields:
        raise _invalid(fields)
    customers = list(customers.select_related("consultant", "doctor"))
    if not customers:
        return 0
    ids = [customer.pk for customer in customers]
    if customers_for(scope).filter(pk__in=ids).count() != len(set(ids)):
        raise NotFound()
    taken = set(
        FollowupTask.objects.filter(
            org_id=store.org_id, kind=FollowupTask.Kind.CAMPAIGN, cause=cause, customer_id__in=ids
        ).values_list("customer_id", flat=True)
    )
    windows = calling_windows(store.org_id)
    base = timezone.now()
    if due_on is not None and due_on > today:
        base = store_datetime(store, due_on, time(0, 0))
    due_at = duetime.into_window(store, base, windows)
    picker = OwnerPicker(store)
    rows = []
    for customer in customers:
        if customer.pk in taken:
            continue
        owner, note = picker.pick(owner_role, customer)
        if owner is None:
            continue
        rows.append(
            FollowupTask(
                org_id=store.org_id,
                store=store,
                customer=customer,
                kind=FollowupTask.Kind.CAMPAIGN,
                cause=cause,
                title=title,
                channel=channel,
                owner_role=owner_role,
                owner=owner,
                owner_note=note,
                script=fill_script(script or "", customer=customer, store=store, owner=owner),
                due_at=due_at,
                first_due_at=due_at,
            )
        )
    FollowupTask.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    audit.record(
        by,
        "followup_campaign.created",
        store,
        after={"cause": cause, "title": title, "tasks": len(rows), "owner_role": owner_role},
    )
    return len(rows)


@transaction.atomic(savepoint=False)  # part of its caller's change: no savepoint of its own
def cancel_tasks(tasks, *, reason: str | dict[str, str]) -> int:
    """Close pending tasks whose cause went away (refund, appointment kept, paid after all).
    `reason`: one for all, or one per task kind."""
    now = timezone.now()
    count = 0
    for task in tasks.filter(status=FollowupTask.Status.PENDING).select_for_update().order_by("pk"):
        why = reason[task.kind] if isinstance(reason, dict) else reason
        task.status, task.cancelled_at, task.cancel_reason = (
            FollowupTask.Status.CANCELLED,
            now,
            why[:100],
        )
        task.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
        audit.record(None, "followup_task.cancelled", task, note=why)
        count += 1
    return count


@transaction.atomic
def hand_over_tasks(staff_id: int, *, store_ids: list[int], by: Staff | None = None) -> int:
    """A person left (deactivated), changed role or left a store: their pending tasks in those
    stores go to whoever the task's role now points to (the customer's consultant, the store's
    least-loaded nurse or customer service …, else the store manager), so no follow-up is lost.
    Returns how many tasks moved."""
    tasks = list(
        FollowupTask.objects.select_for_update(of=("self",))
        .filter(owner_id=staff_id, store_id__in=store_ids, status=FollowupTask.Status.PENDING)
        .select_related("store", "customer__consultant", "customer__doctor")
        .order_by("store_id", "pk")
    )
    pickers: dict[int, OwnerPicker] = {}
    moved = 0
    for task in tasks:
        picker = pickers.setdefault(task.store_id, OwnerPicker(task.store))
        role = OwnerRole.DOCTOR if task.owner_role == OwnerRole.EXECUTOR else task.owner_role
        owner, note = picker.pick(role, task.customer)
        if owner is None or owner.pk == staff_id:
            continue
        task.owner = owner
        task.owner_note = (note or _("原负责人已调离,已转交"))[:100]
        task.save(update_fields=["owner", "owner_note", "updated_at"])
        audit.record(
            by,
            "followup_task.handed_over",
            task,
            before={"owner_id": staff_id},
            after={"owner_id": owner.pk},
        )
        moved += 1
    return moved


# --- recording a result --------------------------------------------------------------------------
def _valid_mobile(phone: str) -> bool:
    return bool(MOBILE_RE.match(phone or ""))


def _callback_sms(task: FollowupTask, by: Staff) -> None:
    store = task.store
    text = _(
        "%(salutation)s您好!我是%(store)s的%(name)s,刚才给您打电话未能接通,方便的时候请您回电%(phone)s,谢谢!"
    ) % {
        "salutation": task.customer.salutation or task.customer.name,
        "store": store.name,
        "name": by.name,
        "phone": store.phone or _("本店"),
    }
    queue_sms(
        org_id=task.org_id,
        phone=task.customer.phone,
        text=text,
        purpose="followup_callback",
        customer_id=task.customer_id,
    )


def _responsible_doctor(task: FollowupTask):
    execution = task.execution
    if execution is not None:
        for person in (execution.performed_by, execution.assistant):
            if person is not None and person.is_active and person.role == policy.DOCTOR:
                return person, ""
    owner, note = resolve_owner(OwnerRole.DOCTOR, store=task.store, customer=task.customer)
    return owner, note


def _escalate(task: FollowupTask, *, by: Staff) -> FollowupTask:
    """An abnormal post-op finding: a task for the responsible doctor, due at the next calling
    time and never later than a day from now."""
    doctor, note = _responsible_doctor(task)
    if doctor is None:
        raise BusinessError("no_doctor", _("门店没有可接收上报的医生"), status=409)
    now = timezone.now()
    due = min(
        duetime.into_window(task.store, now, calling_windows(task.org_id)), now + timedelta(days=1)
    )
    escalation = FollowupTask.objects.create(
        org_id=task.org_id,
        store=task.store,
        customer=task.customer,
        kind=FollowupTask.Kind.ESCALATION,
        cause=f"escalation:{task.pk}",
        title=_("术后异常:医生1天内回访"),
        channel=Channel.CALL,
        owner_role=OwnerRole.DOCTOR,
        owner=doctor,
        owner_note=note,
        script=task.abnormal_description,
        due_at=due,
        item=task.item,
        execution=task.execution,
        source_line_id=task.source_line_id,
        escalated_from=task,
    )
    audit.record(by, "followup_task.escalated", escalation, after={"from": task.pk})
    return escalation


RESULT_FIELDS = [
    "status",
    "outcome",
    "satisfaction",
    "dissatisfaction_reason",
    "notes",
    "attempt_count",
    "due_at",
    "abnormal",
    "abnormal_description",
    "next_appointment_id",
]


def _clean_result(outcome, satisfaction, reason, notes, abnormal, description) -> dict:
    fields = {}
    if outcome not in FollowupTask.Outcome.values:
        fields["outcome"] = [_("请选择回访结果")]
    if satisfaction in ("", None):
        satisfaction = None
    else:
        try:
            satisfaction = int(satisfaction)
        except (TypeError, ValueError):
            satisfaction = 0
        if not 1 <= satisfaction <= 5:
            fields["satisfaction"] = [_("满意度须为1到5分")]
        elif outcome != FollowupTask.Outcome.REACHED:
            fields["satisfaction"] = [_("未接通时不能填写满意度")]
    reason = reason or ""
    if reason and reason not in FollowupTask.Reason.values:
        fields["dissatisfaction_reason"] = [_("请选择不满意原因")]
    notes = (notes or "").strip()
    if len(notes) > 2000:
        fields["notes"] = [_("回访记录不能超过2000字")]
    description = (description or "").strip()
    if abnormal:
        if outcome != FollowupTask.Outcome.REACHED:
            fields["abnormal"] = [_("只有接通后才能上报术后异常")]
        elif not description:
            fields["abnormal_description"] = [_("请描述异常情况")]
        elif len(description) > 300:
            fields["abnormal_description"] = [_("异常情况不能超过300字")]
    if fields:
        first = next(iter(fields.values()))[0]
        raise BusinessError("invalid_result", first, fields=fields, status=422)
    return {
        "outcome": outcome,
        "satisfaction": satisfaction,
        "dissatisfaction_reason": reason,
        "notes": notes,
        "abnormal": bool(abnormal),
        "abnormal_description": description if abnormal else "",
    }


@transaction.atomic
def complete_task(
    task: FollowupTask,
    *,
    by: Staff,
    outcome: str,
    satisfaction=None,
    dissatisfaction_reason: str = "",
    notes: str = "",
    abnormal: bool = False,
    abnormal_description: str = "",
    next_appointment_at: datetime | None = None,
    next_appointment_purpose: str = "checkup",
) -> FollowupTask:
    """Record a follow-up's result, once. Not reached: an SMS asks the customer to call back and
    the task comes back at the next calling window, up to 3 attempts, then it closes as not
    reached. An abnormal post-op finding escalates to the responsible doctor. A next appointment
    can be booked from the task (under the booking rules)."""
    scope = _scope(by)
    policy.require(scope, "followup.complete")
    if not tasks_for(scope).filter(pk=task.pk).exists():
        raise NotFound(_("回访任务不存在"))
    task = (
        FollowupTask.objects.select_for_update(of=("self",))
        .select_related("store", "customer", "execution__performed_by", "execution__assistant")
        .get(pk=task.pk)
    )
    if task.status != FollowupTask.Status.PENDING:
        raise BusinessError("task_closed", _("该回访任务已完成或已取消,不能重复提交"), status=409)
    result = _clean_result(
        outcome, satisfaction, dissatisfaction_reason, notes, abnormal, abnormal_description
    )
    before = audit.snapshot(task, RESULT_FIELDS)
    now = timezone.now()
    for name, value in result.items():
        setattr(task, name, value)
    if outcome == FollowupTask.Outcome.NOT_REACHED:
        task.attempt_count += 1
        if _valid_mobile(task.customer.phone):
            _callback_sms(task, by)
        if task.attempt_count < MAX_ATTEMPTS:
            task.due_at = duetime.next_window_start(task.store, now, calling_windows(task.org_id))
        else:
            task.status, task.completed_at, task.completed_by = FollowupTask.Status.DONE, now, by
    else:
        task.status, task.completed_at, task.completed_by = FollowupTask.Status.DONE, now, by
    if next_appointment_at is not None:
        try:
            task.next_appointment = scheduling.book_appointment(
                task.store,
                customer=task.customer,
                starts_at=next_appointment_at,
                ends_at=next_appointment_at + timedelta(minutes=APPOINTMENT_MINUTES),
                purpose=next_appointment_purpose,
                note=_("回访预约"),
                by=by,
            )
        except BusinessError as error:
            if error.status in (403, 404):
                raise
            message = error.message
            raise BusinessError(
                error.code, message, fields={"next_appointment_at": [message]}, status=422
            ) from None
    task.save()
    FollowupAttempt.objects.create(
        org_id=task.org_id,
        store_id=task.store_id,
        task=task,
        by=by,
        outcome=outcome,
        attempted_at=now,
    )
    if task.abnormal:
        _escalate(task, by=by)
    old, new = audit.changed(before, audit.snapshot(task, RESULT_FIELDS))
    audit.record(by, "followup_task.recorded", task, before=old, after=new)
    return task


SMS_BATCH = 200


def send_due_sms_tasks(now: datetime | None = None) -> int:
    """SMS follow-ups (a node whose channel is 短信) send themselves: each pending SMS task that
    has fallen due gets its script queued as an SMS to the customer and is closed as 短信已发出
    (or 号码错误 when the number is not a valid mobile: the outbox records it as failed).
    Greetings and win-back messages (MARKETING_KINDS) go only to customers who consented to
    marketing; the others' tasks close as not sent. Run on
    every pass of the worker; one task at a time under a row lock, and the SMS's dedupe key is
    the task, so two workers never send one twice. Returns how many were handled."""
    now = now or timezone.now()
    due = list(
        FollowupTask.objects.filter(
            channel=Channel.SMS, status=FollowupTask.Status.PENDING, due_at__lte=now
        )
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:SMS_BATCH]
    )
    handled = 0
    for pk in due:
        with transaction.atomic():
            task = (
                FollowupTask.objects.select_for_update(of=("self",))
                .select_related("customer")
                .filter(pk=pk, status=FollowupTask.Status.PENDING)
                .first()
            )
            if task is None:
                continue
            task.status, task.completed_at = FollowupTask.Status.DONE, now
            if task.kind in FollowupTask.MARKETING_KINDS and not task.customer.marketing_consent:
                task.outcome = FollowupTask.Outcome.NO_CONSENT
                task.notes = _("客户未同意接收营销信息,短信未发送")
            else:
                message = queue_sms(
                    org_id=task.org_id,
                    phone=task.customer.phone,
                    text=task.script or task.title,
                    purpose="followup",
                    customer_id=task.customer_id,
                    dedupe_key=f"followup-task:{task.pk}",
                )
                valid = _valid_mobile(task.customer.phone)
                task.outcome = (
                    FollowupTask.Outcome.SMS_SENT if valid else FollowupTask.Outcome.WRONG_NUMBER
                )
                task.notes = _("系统自动发送短信(短信编号 %(id)s)") % {"id": message.pk}
            task.save(update_fields=["outcome", "status", "completed_at", "notes", "updated_at"])
            audit.record(None, "followup_task.sms_handled", task, note=task.outcome)
            handled += 1
    return handled


# --- medical advice (医嘱) -----------------------------------------------------------------------
@transaction.atomic
def save_advice_template(
    org: Organization, *, item: Item, text: str, is_active: bool = True, by: Staff
) -> AdviceTemplate:
    """Set the medical advice for a service item (one per item; HQ)."""
    scope = _scope(by)
    policy.require(scope, "followup.manage_advice")
    if org.pk != scope.org_id or item.org_id != org.pk:
        raise NotFound(_("项目不存在"))
    fields = {}
    if item.kind != Item.Kind.SERVICE:
        fields["item_id"] = [_("只有服务项目可以设置医嘱")]
    text = (text or "").strip()
    if not text:
        fields["text"] = [_("请填写医嘱内容")]
    elif len(text) > 500:
        fields["text"] = [_("医嘱内容不能超过500字")]
    elif unknown := unknown_placeholders(text):
        fields["text"] = [_("无法识别的占位符:%(names)s") % {"names": _braced(unknown)}]
    if fields:
        first = next(iter(fields.values()))[0]
        raise BusinessError("invalid_advice", first, fields=fields, status=422)
    template = AdviceTemplate.objects.select_for_update().filter(
        org=org, item=item
    ).first() or AdviceTemplate(org=org, item=item)
    before = audit.snapshot(template, ["text", "is_active"]) if template.pk else None
    template.text, template.is_active, template.updated_by = text, bool(is_active), by
    template.save()
    audit.record(
        by,
        "advice_template.saved",
        template,
        before=before,
        after=audit.snapshot(template, ["item_id", "text", "is_active"]),
    )
    return template


def advice_template(org_id: int, item_id: int) -> AdviceTemplate | None:
    """The item's active medical-advice template (settings: kept per process)."""
    return settings_cache.cached(
        org_id,
        ("advice_template", item_id),
        AdviceTemplate.objects.filter(org_id=org_id, item_id=item_id, is_active=True).first,
    )


def send_advice(*, org_id: int, store: Store, customer: Customer, item: Item) -> bool:
    """After an execution: the item's medical advice to the customer by SMS, if there is an
    active template and the customer's mobile is valid."""
    template = advice_template(org_id, item.pk)
    if template is None or not _valid_mobile(customer.phone):
        return False
    queue_sms(
        org_id=org_id,
        phone=customer.phone,
        text=fill_script(template.text, customer=customer, store=store, item=item),
        purpose="medical_advice",
        customer_id=customer.pk,
    )
    return True
