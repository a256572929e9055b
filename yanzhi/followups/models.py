"""Follow-up (回访): rules with timed nodes, the tasks they generate, the results staff record,
the clinic's calling windows, medical-advice (医嘱) templates and the processed days of the
time-based triggers."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yanzhi.core.models import TimeStampedModel
from yanzhi.customers.models import DealStatus, MemberActivity, VisitType


class Trigger(models.TextChoices):
    CUSTOMER_CREATED = "customer_created", _("新建客户")
    APPOINTMENT_MISSED = "appointment_missed", _("预约未到访")
    VISITED_NOT_PAID = "visited_not_paid", _("到访未支付")
    PAID_NOT_EXECUTED = "paid_not_executed", _("支付后未执行")
    EXECUTED = "executed", _("执行划扣后")
    BIRTHDAY = "birthday", _("生日")
    DATE = "date", _("节日/指定日期")
    MEMBER_SLEEPING = "member_sleeping", _("会员沉睡")


# Triggers that run from the daily schedule (run_followup_triggers), not from an event.
SCHEDULED_TRIGGERS = (Trigger.PAID_NOT_EXECUTED, Trigger.BIRTHDAY, Trigger.DATE)
# Triggers about the customer, not an item: a rule for them cannot filter by item/department.
CUSTOMER_TRIGGERS = (
    Trigger.CUSTOMER_CREATED,
    Trigger.BIRTHDAY,
    Trigger.DATE,
    Trigger.MEMBER_SLEEPING,
)


class OwnerRole(models.TextChoices):
    CONSULTANT = "consultant", _("责任咨询师")
    DOCTOR = "doctor", _("医生")
    NURSE = "nurse", _("护士")
    CUSTOMER_SERVICE = "customer_service", _("客服")
    EXECUTOR = "executor", _("执行人")


class Channel(models.TextChoices):
    CALL = "call", _("电话")
    SMS = "sms", _("短信")
    WECHAT = "wechat", _("微信")


class OffsetUnit(models.TextChoices):
    HOURS = "hours", _("小时")
    DAYS = "days", _("天")
    MONTHS = "months", _("个月")


class FollowupRule(TimeStampedModel):
    """A follow-up rule: when it fires (trigger), for whom (filters), and its nodes. A rule
    without a store applies to every store of the chain."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey(
        "org.Store",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("适用门店"),
        help_text=_("留空表示全部门店"),
    )
    name = models.CharField(_("规则名称"), max_length=60)
    trigger = models.CharField(_("触发条件"), max_length=30, choices=Trigger.choices)
    wait_days = models.PositiveSmallIntegerField(
        _("等待天数"), default=0, help_text=_("支付后未执行:支付后多少天仍未执行时触发")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    deal_statuses = models.JSONField(_("成交标签"), default=list, blank=True)
    last_visit_types = models.JSONField(_("最近一次到访类型"), default=list, blank=True)
    # 会员活跃度 (customers.MemberActivity values); empty = any.
    activities = models.JSONField(_("会员活跃度"), default=list, blank=True)
    # 过敏史 / 欠费 dynamic tags: None = any, True = only customers with, False = only without.
    has_allergy = models.BooleanField(_("过敏史"), null=True, blank=True)
    has_arrears = models.BooleanField(_("欠费"), null=True, blank=True)
    # Trigger "date" (节日): "MM-DD" every year (03-08) or "YYYY-MM-DD" that year only (春节).
    dates = models.JSONField(_("日期"), default=list, blank=True)
    items = models.ManyToManyField(
        "catalog.Item", blank=True, related_name="+", verbose_name=_("项目")
    )
    departments = models.ManyToManyField(
        "org.Department", blank=True, related_name="+", verbose_name=_("科室")
    )
    # Set on the rules shipped as defaults, so installing them again adds only missing ones.
    default_key = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["org_id", "trigger", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "default_key"],
                condition=~Q(default_key=""),
                name="followup_rule_default_once",
            )
        ]
        indexes = [
            models.Index(fields=["org", "trigger", "is_active"], name="followup_rule_org_trigger")
        ]

    def __str__(self):
        return self.name

    def tag_labels(self) -> list[str]:
        """The rule's customer filters in words, for the rule list (未成交, 沉睡会员, 复查 …)."""
        return (
            [str(DealStatus(v).label) for v in self.deal_statuses if v in DealStatus.values]
            + [str(MemberActivity(v).label) for v in self.activities if v in MemberActivity.values]
            + [str(VisitType(v).label) for v in self.last_visit_types if v in VisitType.values]
            + (
                []
                if self.has_allergy is None
                else [_("有过敏史") if self.has_allergy else _("无过敏史")]
            )
            + (
                []
                if self.has_arrears is None
                else [_("有欠费") if self.has_arrears else _("无欠费")]
            )
        )


class FollowupNode(models.Model):
    """One step of a rule: how long after the trigger, who calls, how, and what to say."""

    rule = models.ForeignKey(FollowupRule, on_delete=models.CASCADE, related_name="nodes")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(_("节点名称"), max_length=40, blank=True)
    offset_value = models.IntegerField(_("间隔"))
    offset_unit = models.CharField(_("单位"), max_length=10, choices=OffsetUnit.choices)
    owner_role = models.CharField(_("负责人"), max_length=20, choices=OwnerRole.choices)
    channel = models.CharField(_("方式"), max_length=10, choices=Channel.choices)
    script = models.TextField(_("话术"))

    class Meta:
        ordering = ["rule_id", "position", "id"]

    def __str__(self):
        return self.label or f"+{self.offset_value} {self.offset_unit}"


class FollowupTask(TimeStampedModel):
    """One follow-up to do: for a customer, by an owner, due at a time inside the calling
    windows. `cause` names what caused it ("execution:123"); a node creates at most one task per
    cause, so a trigger that fires again creates nothing new."""

    class Kind(models.TextChoices):
        CUSTOMER_CREATED = "customer_created", _("新建客户")
        APPOINTMENT_MISSED = "appointment_missed", _("预约未到访")
        VISITED_NOT_PAID = "visited_not_paid", _("到访未支付")
        PAID_NOT_EXECUTED = "paid_not_executed", _("支付后未执行")
        EXECUTED = "executed", _("执行划扣后")
        BIRTHDAY = "birthday", _("生日")
        DATE = "date", _("节日/指定日期")
        MEMBER_SLEEPING = "member_sleeping", _("会员沉睡")
        ESCALATION = "escalation", _("术后异常上报")
        CAMPAIGN = "campaign", _("专项回访")

    class Status(models.TextChoices):
        PENDING = "pending", _("待回访")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("已接通")
        NOT_REACHED = "not_reached", _("未接通")
        WRONG_NUMBER = "wrong_number", _("号码错误")
        SMS_SENT = "sms_sent", _("短信已发出")
        NO_CONSENT = "no_consent", _("未同意接收营销短信,未发送")

    # Greetings and win-back messages are marketing: sent by SMS only with the customer's
    # consent (after-care messages are part of the treatment and always go).
    MARKETING_KINDS = frozenset({"birthday", "date", "member_sleeping", "campaign"})

    class Reason(models.TextChoices):
        EFFECT = "effect", _("效果")
        RECOVERY = "recovery", _("恢复")
        PAIN = "pain", _("疼痛")
        SERVICE = "service", _("服务")

    # No single-column index on the keys a task points at except the owner (a hand-over reads a
    # person's tasks without the org): every read goes through an index that leads with the org
    # (or with the node: the unique (node, cause)), and stores, customers, rules, items,
    # executions, staff and appointments are never deleted (docs/decisions.md, "Speed at chain
    # size"). A node is deleted (a rule edited shorter): its SET_NULL finds the tasks by the
    # unique (node, cause).
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    store = models.ForeignKey(
        "org.Store", on_delete=models.PROTECT, db_index=False, verbose_name=_("门店")
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="followup_tasks",
        db_index=False,
    )  # fmt: skip
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices)
    rule = models.ForeignKey(
        FollowupRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks",
        db_index=False,
    )  # fmt: skip
    node = models.ForeignKey(
        FollowupNode, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks",
        db_index=False,
    )  # fmt: skip
    cause = models.CharField(max_length=60)
    title = models.CharField(_("回访事项"), max_length=100)
    channel = models.CharField(_("方式"), max_length=10, choices=Channel.choices)
    owner_role = models.CharField(_("负责人角色"), max_length=20, choices=OwnerRole.choices)
    owner = models.ForeignKey(
        "org.Staff",
        on_delete=models.PROTECT,
        related_name="followup_tasks",
        verbose_name=_("负责人"),
    )
    # Why the owner is not the role the node asks for (e.g. the store has no customer service).
    owner_note = models.CharField(_("分配说明"), max_length=100, blank=True)
    script = models.TextField(_("话术"), blank=True)
    due_at = models.DateTimeField(_("应回访时间"))
    # When the task first fell due. A call not answered moves `due_at` to the next window; the
    # completion figures count a task on the day it was first due, so retries do not move it.
    first_due_at = models.DateTimeField(_("首次应回访时间"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # What the task is about: the item executed or paid for, the execution, the order line.
    item = models.ForeignKey(
        "catalog.Item", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    execution = models.ForeignKey(
        "treatments.Execution", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    source_line_id = models.BigIntegerField(null=True, blank=True)
    # The result.
    outcome = models.CharField(_("回访结果"), max_length=20, choices=Outcome.choices, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    dissatisfaction_reason = models.CharField(
        _("不满意原因"), max_length=10, choices=Reason.choices, blank=True
    )
    notes = models.TextField(_("回访记录"), blank=True)
    attempt_count = models.PositiveSmallIntegerField(_("未接通次数"), default=0)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    completed_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=100, blank=True)
    next_appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Escalation: an abnormal post-op finding goes to the responsible doctor.
    abnormal = models.BooleanField(_("术后异常"), default=False)
    abnormal_description = models.CharField(_("异常情况"), max_length=300, blank=True)
    # One escalation per task at most (followup_task_escalated_once): a unique index of the few
    # escalations, not of every task's NULL (a unique column kept 243 MB of NULLs at a million
    # customers).
    escalated_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["node", "cause"],
                condition=Q(node__isnull=False),
                name="followup_task_once_per_node_and_cause",
            ),
            models.UniqueConstraint(
                fields=["escalated_from"],
                condition=Q(escalated_from__isnull=False),
                name="followup_task_escalated_once",
            ),
            # A campaign (a segment's survey, a repurchase reminder) gives a customer one task.
            models.UniqueConstraint(
                fields=["org", "cause", "customer"],
                condition=Q(kind="campaign"),
                name="followup_campaign_task_once_per_customer",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="followup_task_satisfaction_1_to_5",
            ),
        ]
        indexes = [
            # A person's workbench in one store: its tab counts from the index alone, its
            # page in due order (customer service carries thousands of pending tasks).
            models.Index(
                fields=["org", "owner", "status", "store", "due_at"],
                name="followup_task_owner_store",
            ),
            models.Index(
                fields=["org", "store", "status", "due_at"], name="followup_task_org_store"
            ),
            models.Index(fields=["org", "customer", "status"], name="followup_task_org_customer"),
            # the chain's list (HQ's API) by due time
            models.Index(fields=["org", "due_at"], name="followup_task_org_due"),
            models.Index(fields=["org", "source_line_id"], name="followup_task_org_line"),
            models.Index(
                fields=["org", "store", "first_due_at"], name="followup_task_org_first_due"
            ),
            # The worker's pass over SMS follow-ups that fell due (any org).
            models.Index(
                fields=["due_at"],
                condition=Q(channel="sms", status="pending"),
                name="followup_task_sms_due",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.customer_id})"

    def save(self, *args, **kwargs):
        if self.first_due_at is None:
            self.first_due_at = self.due_at
        super().save(*args, **kwargs)


class FollowupAttempt(models.Model):
    """One call (or message) made for a task and its outcome: a task not reached three times has
    three attempts. Reach rates are reached attempts over attempts made."""

    # Read through the (org, store / by, attempted_at) indexes only; stores and staff are never
    # deleted. The task keeps its index: deleting a task cascades to its attempts.
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT, db_index=False)
    task = models.ForeignKey(FollowupTask, on_delete=models.CASCADE, related_name="attempts")
    by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+", db_index=False)
    outcome = models.CharField(max_length=20, choices=FollowupTask.Outcome.choices)
    attempted_at = models.DateTimeField()

    class Meta:
        ordering = ["task_id", "attempted_at", "id"]
        indexes = [
            models.Index(
                fields=["org", "store", "attempted_at"], name="followup_attempt_org_store"
            ),
            models.Index(fields=["org", "by", "attempted_at"], name="followup_attempt_org_by"),
        ]

    def __str__(self):
        return f"{self.task_id} {self.outcome} {self.attempted_at:%Y-%m-%d %H:%M}"


class CallingWindows(models.Model):
    """The chain's calling windows (回访时段): tasks fall due only inside them."""

    org = models.OneToOneField(
        "org.Organization", on_delete=models.CASCADE, related_name="calling_windows"
    )
    # [["11:00", "12:30"], ["14:30", "17:30"], ["19:30", "20:30"]]
    windows = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["org_id"]

    def __str__(self):
        return f"calling windows of {self.org_id}"


class TriggerRun(models.Model):
    """A day a time-based trigger has processed for a store: running it again does nothing."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey("org.Store", on_delete=models.CASCADE, related_name="+")
    trigger = models.CharField(max_length=30, choices=Trigger.choices)
    day = models.DateField()
    task_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["store_id", "trigger", "day"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "trigger", "day"], name="followup_trigger_run_once"
            )
        ]
        indexes = [models.Index(fields=["org", "store", "trigger"], name="followup_run_org")]

    def __str__(self):
        return f"{self.store_id} {self.trigger} {self.day}"


class AdviceTemplate(TimeStampedModel):
    """Medical advice (医嘱) for an item, sent to the customer by SMS after each execution."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    item = models.ForeignKey(
        "catalog.Item", on_delete=models.PROTECT, related_name="+", verbose_name=_("项目")
    )
    text = models.TextField(_("医嘱内容"))
    is_active = models.BooleanField(_("启用"), default=True)
    updated_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["org_id", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "item"], name="advice_template_one_per_item")
        ]

    def __str__(self):
        return f"advice for {self.item_id}"
