"""Courses (疗程) and their execution (执行划扣).

`Entitlement.remaining_sessions` is a balance; `EntitlementLedger` is its ledger (one signed row
per change), so every balance equals the sum of its ledger rows (`manage.py check_balances`).
Balances change only through `services`, by guarded UPDATEs.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from yanzhi.core.money import MoneyField
from yanzhi.inventory.models import QUANTITY


class Entitlement(models.Model):
    """A course: sessions of one service item the customer has paid for (or been given)."""

    class SourceKind(models.TextChoices):
        PURCHASE = "purchase", _("购买")
        PACKAGE = "package", _("套餐")
        SESSION_CARD = "session_card", _("次卡")
        GIFT = "gift", _("赠送")

    class Status(models.TextChoices):
        ACTIVE = "active", _("使用中")
        EXHAUSTED = "exhausted", _("已用完")
        REVOKED = "revoked", _("已退款")
        EXPIRED = "expired", _("已过期")

    # org leads the indexes below; courses are never read by item (items are never deleted). The
    # store keeps its index: the expiry job reads a store's courses without the org.
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    store = models.ForeignKey(
        "org.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("购买门店")
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="entitlements"
    )
    item = models.ForeignKey(
        "catalog.Item", on_delete=models.PROTECT, related_name="+", verbose_name=_("项目"),
        db_index=False,
    )  # fmt: skip
    # The sales order line that created it (null for gifts); an id, not a key: sales sits above.
    source_line_id = models.BigIntegerField(_("来源订单行"), null=True, blank=True)
    source_kind = models.CharField(_("来源"), max_length=20, choices=SourceKind.choices)
    total_sessions = models.PositiveIntegerField(_("总次数"))
    remaining_sessions = models.PositiveIntegerField(_("剩余次数"))
    unit_value_amount = MoneyField(_("每次价值"))
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining_sessions__gte=0)
                & Q(remaining_sessions__lte=F("total_sessions")),
                name="entitlement_remaining_in_range",
            ),
            models.CheckConstraint(
                condition=Q(total_sessions__gte=1), name="entitlement_total_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_value_amount__gte=0), name="entitlement_value_non_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["org", "customer", "status"], name="entitlement_org_customer"),
            models.Index(fields=["org", "source_line_id"], name="entitlement_org_source"),
            models.Index(fields=["org", "status", "expires_on"], name="entitlement_org_expiry"),
        ]

    def __str__(self):
        return f"{self.item} {self.remaining_sessions}/{self.total_sessions}"


class EntitlementLedger(models.Model):
    """One change of a course's remaining sessions: who, when, why, signed delta, balance after."""

    class Reason(models.TextChoices):
        GRANTED = "granted", _("开通")
        EXECUTED = "executed", _("执行划扣")
        REVOKED = "revoked", _("退款")
        EXPIRED = "expired", _("过期")
        ADJUSTED = "adjusted", _("调整")

    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="ledger")
    delta = models.IntegerField(_("变动次数"))
    remaining_after = models.PositiveIntegerField(_("变动后剩余"))
    reason = models.CharField(_("原因"), max_length=10, choices=Reason.choices)
    reference = models.CharField(_("关联单据"), max_length=50, blank=True)
    by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entitlement_id", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="entitlement_ledger_nonzero")
        ]

    def __str__(self):
        return f"{self.entitlement_id} {self.delta:+} ({self.reason})"


class Execution(models.Model):
    """One execution (执行划扣): sessions of a course performed, with the treatment parameters."""

    class ConfirmationMethod(models.TextChoices):
        SIGNATURE = "signature", _("签字板签名")
        SMS = "sms", _("短信验证码")
        IN_PERSON = "in_person", _("当面确认")

    # org and store are read through the (org, …) indexes below, items never filtered by (nor
    # deleted): no single-column index on them.
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    store = models.ForeignKey(
        "org.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("执行门店"),
        db_index=False,
    )  # fmt: skip
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="executions"
    )
    entitlement = models.ForeignKey(
        Entitlement, on_delete=models.PROTECT, related_name="executions"
    )
    item = models.ForeignKey(
        "catalog.Item", on_delete=models.PROTECT, related_name="+", verbose_name=_("项目"),
        db_index=False,
    )  # fmt: skip
    sessions = models.PositiveIntegerField(_("次数"), default=1)
    performed_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name=_("执行人")
    )
    assistant = models.ForeignKey(
        "org.Staff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("配台"),
    )
    visit = models.ForeignKey(
        "visits.Visit", on_delete=models.PROTECT, null=True, blank=True, related_name="executions"
    )
    device = models.CharField(_("设备"), max_length=100, blank=True)
    energy = models.CharField(_("能量"), max_length=100, blank=True)
    dose = models.CharField(_("剂量"), max_length=100, blank=True)
    injection_sites = models.CharField(_("注射部位"), max_length=200, blank=True)
    lot_no = models.CharField(_("产品批号"), max_length=40, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    customer_confirmed_at = models.DateTimeField(_("客户确认时间"), null=True, blank=True)
    confirmation_method = models.CharField(
        _("确认方式"), max_length=10, choices=ConfirmationMethod.choices, blank=True
    )
    business_date = models.DateField(_("业务日期"))
    created_at = models.DateTimeField(auto_now_add=True)
    # Whom the execution counts for in performance reports, fixed when it happens: the
    # customer's consultant and online consultant then (a later handover does not move past
    # work), and the value of the sessions (sessions × the course's value per session).
    consultant = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False, verbose_name=_("责任咨询师"),
    )  # fmt: skip
    online_consultant = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False, verbose_name=_("网电咨询师"),
    )  # fmt: skip
    value_amount = MoneyField(_("执行业绩"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(sessions__gte=1), name="execution_sessions_positive")
        ]
        indexes = [
            models.Index(fields=["org", "lot_no"], name="execution_org_lot"),
            models.Index(fields=["org", "customer", "created_at"], name="execution_org_customer"),
            models.Index(fields=["org", "store", "business_date"], name="execution_org_store_day"),
            # A period's executions per person, read from the index alone (PostgreSQL)
            models.Index(
                fields=["org", "business_date"],
                include=[
                    "store", "consultant", "online_consultant", "performed_by", "assistant",
                    "sessions", "value_amount",
                ],
                name="execution_org_day_figures",
            ),  # fmt: skip
        ]

    def __str__(self):
        return f"execution:{self.pk}"

    @property
    def reference(self) -> str:
        return f"execution:{self.pk}"


class ExecutionMaterial(models.Model):
    """What an execution consumed (a copy of its consumption stock moves, for the record)."""

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="materials")
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("数量"), **QUANTITY)
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, related_name="+")
    lot_no = models.CharField(_("批号"), max_length=40, blank=True)

    class Meta:
        ordering = ["execution_id", "id"]

    def __str__(self):
        return f"{self.item_id} × {self.quantity}"
