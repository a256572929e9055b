"""Orders (开单), payments (收银), stored-value cards (储值卡), e-coupons (电子券), deposits (预约金)
and the versioned deal definition (成交配置).

Order money (all Decimal, fen):
    payable_amount  = list_amount − discount_amount (fixed when the order is submitted)
    paid_amount     = the sum of the order's Payment rows (signed: refunds are negative rows)
    refunded_amount = the value of the goods taken back (sum of the lines' refunded_amount)
    arrears_amount  = payable_amount − refunded_amount − paid_amount   (≥ 0, a CheckConstraint)
A refund first cancels what is still owed and returns money only for the rest.
"""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from yanzhi.core.models import TimeStampedModel
from yanzhi.core.money import MoneyField


class DealDefinition(models.Model):
    """One version of a chain's deal definition; the latest is in force. Changing it creates a
    new version, so an order keeps the version under which it became a deal."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    order_types = models.JSONField(_("订单类型"), default=list, blank=True)  # [] = every type
    min_amount = MoneyField(_("最低成交限额"))
    service_counts = models.BooleanField(_("服务项目"), default=True)
    product_counts = models.BooleanField(_("商品"), default=True)
    drug_counts = models.BooleanField(_("药品"), default=True)
    package_counts = models.BooleanField(_("套餐"), default=True)
    card_counts = models.BooleanField(_("卡项"), default=True)
    effective_from = models.DateTimeField(_("生效时间"))
    created_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    KINDS = ("service", "product", "drug", "package", "card")

    class Meta:
        ordering = ["org_id", "-effective_from", "-id"]
        indexes = [models.Index(fields=["org", "-effective_from"], name="deal_def_org_from")]
        constraints = [
            models.CheckConstraint(condition=Q(min_amount__gte=0), name="deal_min_non_negative")
        ]

    def __str__(self):
        return f"deal definition {self.pk} of {self.org_id}"

    @property
    def enabled_kinds(self) -> frozenset[str]:
        return frozenset(k for k in self.KINDS if getattr(self, f"{k}_counts"))


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已撤销")


class Order(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PENDING = "pending", _("待支付")
        PAID = "paid", _("已支付")
        REFUNDED = "refunded", _("已退款")

    # Single-column indexes only where a read or a delete needs one (docs/decisions.md, "Speed
    # at chain size"): org and store are read through the (org, …) indexes below; the creator,
    # sales channel and deal definition are never filtered by, and none of them is deleted.
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    store = models.ForeignKey(
        "org.Store", on_delete=models.PROTECT, verbose_name=_("门店"), db_index=False,
    )  # fmt: skip
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="orders"
    )
    visit = models.ForeignKey(
        "visits.Visit", on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    consultant = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name=_("开单人")
    )
    order_no = models.CharField(_("订单号"), max_length=30)
    order_type = models.CharField(_("订单类型"), max_length=30, blank=True)
    sales_channel = models.ForeignKey(
        "customers.SourceChannel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("销售渠道"),
        db_index=False,
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    list_amount = MoneyField(_("原价合计"))
    discount_amount = MoneyField(_("优惠"))
    payable_amount = MoneyField(_("应付"))
    paid_amount = MoneyField(_("实收"))
    refunded_amount = MoneyField(_("退款"))
    arrears_amount = MoneyField(_("欠费"))
    is_deal = models.BooleanField(_("成交"), default=False)
    # Set at submission when the discount is above the store's limit; a pending approval
    # blocks payment.
    approval_status = models.CharField(
        _("折扣审批"), max_length=10, choices=ApprovalStatus.choices, blank=True
    )
    deal_definition = models.ForeignKey(
        DealDefinition, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    business_date = models.DateField(_("业务日期"))
    submitted_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(_("收款时间"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", db_index=False,
    )  # fmt: skip
    # Kept on the row for the reports (docs/reports.md, "Attribution"): the customer's online
    # consultant when the order was opened, the customer's source channel (follows corrections
    # of the customer's channel), and which of the customer's deals this is (1 = the first),
    # set when the order becomes a deal.
    online_consultant = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False, verbose_name=_("网电咨询师"),
    )  # fmt: skip
    customer_channel = models.ForeignKey(
        "customers.SourceChannel", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", db_index=False,
    )  # fmt: skip
    deal_number = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-business_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "order_no"], name="order_no_unique_in_org"),
            # Within half a fen: SQLite evaluates the subtraction in floating point.
            models.CheckConstraint(
                condition=Q(
                    arrears_amount__gte=F("payable_amount")
                    - F("refunded_amount")
                    - F("paid_amount")
                    - Decimal("0.005"),
                    arrears_amount__lte=F("payable_amount")
                    - F("refunded_amount")
                    - F("paid_amount")
                    + Decimal("0.005"),
                ),
                name="order_arrears_is_payable_minus_refunded_minus_paid",
            ),
            models.CheckConstraint(
                condition=Q(arrears_amount__gte=0, paid_amount__gte=0, refunded_amount__gte=0),
                name="order_amounts_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "store", "business_date"], name="order_org_store_date"),
            models.Index(fields=["org", "customer"], name="order_org_customer"),
            models.Index(fields=["org", "status"], name="order_org_status"),
            # Deals of a period per consultant, read from the index alone (PostgreSQL)
            models.Index(
                fields=["org", "business_date"],
                include=["store", "status", "is_deal", "consultant", "online_consultant"],
                name="order_org_day_figures",
            ),
            # Repeat deals of a period by payment time per channel (channel statistics)
            models.Index(
                fields=["org", "paid_at"],
                include=[
                    "store", "is_deal", "deal_number", "customer_channel", "payable_amount",
                    "refunded_amount",
                ],
                name="order_org_paid_figures",
            ),  # fmt: skip
        ]

    def __str__(self):
        return self.order_no


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10)
    quantity = models.PositiveIntegerField(_("数量"))
    unit_price_amount = MoneyField(_("单价"))
    discount_amount = MoneyField(_("优惠"))
    amount = MoneyField(_("金额"))
    refunded_quantity = models.PositiveIntegerField(default=0)
    refunded_amount = MoneyField()
    # Sold under a promotion (活动): the unit price is the promotional price and
    # `list_price_amount` keeps the store's price the promotion replaced (docs/promotions.md).
    # No index of its own: order_line_promotion (promotion, item) leads with it.
    promotion = models.ForeignKey(
        "catalog.Promotion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("活动"),
        db_index=False,
    )
    list_price_amount = MoneyField(_("原价"), null=True, blank=True, default=None)

    class Meta:
        ordering = ["order_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(discount_amount__gte=0, amount__gte=0),
                name="order_line_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(refunded_quantity__lte=F("quantity"), refunded_amount__lte=F("amount")),
                name="order_line_refund_within_line",
            ),
        ]
        indexes = [models.Index(fields=["promotion", "item"], name="order_line_promotion")]

    def __str__(self):
        return f"{self.order_id}: {self.item_id} × {self.quantity}"

    @property
    def remaining_quantity(self) -> int:
        return self.quantity - self.refunded_quantity


class StoredValueCard(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("正常")
        REFUNDED = "refunded", _("已退卡")

    # org: the (org, …) indexes lead with it; cards are never looked up by item, items never
    # deleted.
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="stored_value_cards"
    )
    item = models.ForeignKey(
        "catalog.Item", on_delete=models.PROTECT, related_name="+", db_index=False,
    )  # fmt: skip
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT, verbose_name=_("开卡门店"))
    source_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, null=True, blank=True, related_name="cards"
    )
    card_no = models.CharField(_("卡号"), max_length=30)
    original_amount = MoneyField(_("储值金额"))
    balance_amount = MoneyField(_("余额"))
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )

    class Meta:
        ordering = ["org_id", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_amount__gte=0), name="card_balance_non_negative"
            ),
            models.UniqueConstraint(fields=["org", "card_no"], name="card_no_unique_in_org"),
        ]
        indexes = [
            models.Index(fields=["org", "customer"], name="card_org_customer"),
            models.Index(fields=["org", "store", "status"], name="card_org_store_status"),
        ]

    def __str__(self):
        return self.card_no


class StoredValueLedger(models.Model):
    class Reason(models.TextChoices):
        ISSUED = "issued", _("开卡")
        PAID = "paid", _("消费")
        REFUNDED = "refunded", _("退款退回")
        CARD_REFUNDED = "card_refunded", _("退卡")
        EXTENDED = "extended", _("延期")
        EXPIRED = "expired", _("过期")

    # Read by card only; org leads card_ledger_org_card, payments and staff are never deleted.
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    card = models.ForeignKey(StoredValueCard, on_delete=models.PROTECT, related_name="ledger")
    delta = MoneyField()
    balance_after = MoneyField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    payment = models.ForeignKey(
        "sales.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    note = models.CharField(max_length=200, blank=True)
    by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["card_id", "id"]
        indexes = [models.Index(fields=["org", "card"], name="card_ledger_org_card")]

    def __str__(self):
        return f"{self.card_id} {self.delta}"


class Coupon(TimeStampedModel):
    """An e-coupon (电子券) worth value_amount, used once; expired = past expires_on."""

    class Status(models.TextChoices):
        UNUSED = "unused", _("未使用")
        USED = "used", _("已使用")
        EXPIRED = "expired", _("已过期")

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="coupons"
    )
    code = models.CharField(_("券码"), max_length=30)
    value_amount = MoneyField(_("面额"))
    expires_on = models.DateField(_("有效期至"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.UNUSED
    )
    payment = models.ForeignKey(
        "sales.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["org_id", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "code"], name="coupon_code_unique_in_org"),
            models.CheckConstraint(condition=Q(value_amount__gt=0), name="coupon_value_positive"),
        ]
        indexes = [models.Index(fields=["org", "customer", "status"], name="coupon_org_customer")]

    def __str__(self):
        return self.code


class Deposit(TimeStampedModel):
    """A deposit (预约金) taken for a booking; applied later as a payment of the customer's order."""

    class Status(models.TextChoices):
        HELD = "held", _("未使用")
        APPLIED = "applied", _("已抵扣")
        REFUNDED = "refunded", _("已退还")

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="deposits"
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deposits",
    )
    amount = MoneyField(_("金额"))
    method = models.CharField(_("收款方式"), max_length=20)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.HELD)
    applied_order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    business_date = models.DateField()
    by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["org_id", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deposit_amount_positive")
        ]
        indexes = [models.Index(fields=["org", "customer", "status"], name="deposit_org_customer")]

    def __str__(self):
        return f"deposit {self.pk}"


class PaymentRequest(models.Model):
    """One pay call with an idempotency key: a repeated key finds this row and charges nothing."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=80)
    by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "key"], name="payment_request_key_unique")
        ]

    def __str__(self):
        return self.key


class Payment(models.Model):
    """The cash-received ledger: one row per method per pay call; a refund is a negative row
    pointing at the payment it returns money to."""

    class Method(models.TextChoices):
        CASH = "cash", _("现金")
        BANK_CARD = "bank_card", _("银行卡")
        WECHAT = "wechat", _("微信")
        ALIPAY = "alipay", _("支付宝")
        STORED_VALUE = "stored_value", _("储值卡")
        COUPON = "coupon", _("电子券")
        DEPOSIT = "deposit", _("预约金")

    # Money that enters the till now (not stored value, coupons or earlier deposits).
    MONEY_METHODS = frozenset({"cash", "bank_card", "wechat", "alipay"})
    # What counts as the customer's spend (real money, including a deposit paid earlier).
    SPEND_METHODS = MONEY_METHODS | {"deposit"}

    # No single-column index on org and store (read through the (org, …) indexes), coupon,
    # deposit and staff (never filtered by, never deleted). Order, card, request and refund_of
    # keep theirs: payments are read through them without the org.
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT, db_index=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(_("支付方式"), max_length=20, choices=Method.choices)
    amount = MoneyField(_("金额"))
    refund_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    card = models.ForeignKey(
        StoredValueCard, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    coupon = models.ForeignKey(
        Coupon, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    deposit = models.ForeignKey(
        Deposit, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    request = models.ForeignKey(
        PaymentRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    business_date = models.DateField(_("业务日期"))
    by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Whom the money counts for (docs/reports.md, "Attribution"), copied from the order when it
    # is taken (a refund: from the payment it returns): the order's consultant (开单人) and
    # online consultant, the doctor of the order's visit (kept in step when the visit is
    # triaged again), and the customer's source channel.
    consultant = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    online_consultant = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    doctor = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    customer_channel = models.ForeignKey(
        "customers.SourceChannel", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", db_index=False,
    )  # fmt: skip

    class Meta:
        ordering = ["order_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(refund_of__isnull=True, amount__gt=0)
                    | Q(refund_of__isnull=False, amount__lt=0)
                ),
                name="payment_sign_matches_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "store", "business_date"], name="payment_org_store_date"),
            models.Index(fields=["org", "order"], name="payment_org_order"),
            # A period's money per person and channel, read from the index alone (PostgreSQL)
            models.Index(
                fields=["org", "business_date"],
                include=[
                    "store", "method", "amount", "consultant", "online_consultant", "doctor",
                    "customer_channel",
                ],
                name="payment_org_day_figures",
            ),  # fmt: skip
        ]

    def __str__(self):
        return f"{self.method} {self.amount}"


class DiscountApprovalStep(models.Model):
    """One level of the chain's discount approval flow (审批流程), in order: who approves at this
    level and the largest discount (percent of the list amount) they may grant. A request
    starts at the first level that has an approver and goes up until a level covers it."""

    class Approver(models.TextChoices):
        GROUP_LEADER = "group_leader", _("申请人所在小组负责人")
        STORE_MANAGER = "store_manager", _("门店店长")
        HQ = "hq", _("总部")

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    position = models.PositiveSmallIntegerField(_("层级"))
    approver = models.CharField(_("审批人"), max_length=20, choices=Approver.choices)
    max_percent = models.DecimalField(
        _("可批准的最大折扣(%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["org_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["org", "position"], name="approval_step_position"),
            models.UniqueConstraint(fields=["org", "approver"], name="approval_step_approver"),
            models.CheckConstraint(
                condition=Q(max_percent__isnull=True) | Q(max_percent__gt=0, max_percent__lte=100),
                name="approval_step_percent_range",
            ),
        ]

    def __str__(self):
        return f"{self.position}: {self.approver}"


class DiscountApproval(models.Model):
    """A request to approve an order's discount above the store's limit, and where it stands:
    the level it waits at, and for a group leader the person."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="approvals")
    requested_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    list_amount = MoneyField(_("原价合计"))
    discount_amount = MoneyField(_("优惠"))
    discount_percent = models.DecimalField(_("优惠比例(%)"), max_digits=5, decimal_places=2)
    limit_percent = models.DecimalField(_("门店上限(%)"), max_digits=5, decimal_places=2)
    reason = models.CharField(_("申请说明"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    step_position = models.PositiveSmallIntegerField(_("当前层级"), null=True, blank=True)
    approver_kind = models.CharField(
        _("当前审批人"), max_length=20, choices=DiscountApprovalStep.Approver.choices, blank=True
    )
    approver = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["org", "status", "approver_kind", "store"], name="approval_inbox"),
            models.Index(fields=["org", "approver", "status"], name="approval_org_approver"),
            models.Index(fields=["org", "requested_by", "status"], name="approval_org_requester"),
        ]
        constraints = [
            # One open request per order.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="pending"),
                name="approval_one_pending_per_order",
            ),
        ]

    def __str__(self):
        return f"approval {self.pk} of order {self.order_id}"


class DiscountApprovalDecision(models.Model):
    """One step of a request's history: approved at a level (and passed up or finished),
    rejected, or approved by the requester's own authority."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("同意")
        PASSED_UP = "passed_up", _("同意,转上级审批")
        REJECTED = "rejected", _("驳回")
        OWN_AUTHORITY = "own_authority", _("本人权限内自动通过")

    approval = models.ForeignKey(
        DiscountApproval, on_delete=models.CASCADE, related_name="decisions"
    )
    step_position = models.PositiveSmallIntegerField(null=True, blank=True)
    approver_kind = models.CharField(max_length=20, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    comment = models.CharField(_("意见"), max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["approval_id", "at", "id"]

    def __str__(self):
        return f"{self.outcome} by {self.by_id}"
