"""Channel costs (渠道费用) and e-commerce voucher verifications (电商核销). Figures built on them
are defined in docs/marketing.md."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yanzhi.core.models import TimeStampedModel
from yanzhi.core.money import MoneyField


class ChannelCost(TimeStampedModel):
    """What a source channel cost in one month, for one store or (store empty) the whole chain:
    platform fees, advertising, an influencer's fee. ROI divides by it."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey(
        "org.Store", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("门店")
    )
    channel = models.ForeignKey(
        "customers.SourceChannel", on_delete=models.PROTECT, verbose_name=_("渠道")
    )
    # The first day of the month the cost belongs to.
    month = models.DateField(_("月份"))
    amount = MoneyField(_("费用"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-month", "channel_id", "store_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "store", "channel", "month"],
                condition=Q(store__isnull=False),
                name="channel_cost_one_per_store_month",
            ),
            models.UniqueConstraint(
                fields=["org", "channel", "month"],
                condition=Q(store__isnull=True),
                name="channel_cost_one_per_chain_month",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="channel_cost_non_negative"),
        ]
        indexes = [models.Index(fields=["org", "month"], name="channel_cost_org_month")]

    def __str__(self):
        return f"{self.channel_id} {self.month:%Y-%m} {self.amount}"


class VoucherRedemption(TimeStampedModel):
    """A platform voucher (美团/新氧/抖音 团购券) verified at the store for a customer (核销). It is
    its own record: no order or payment is created (the platform settles with the clinic
    outside the till); channel figures count it. A code is verified once per channel unless the
    verification was reversed."""

    class Status(models.TextChoices):
        VERIFIED = "verified", _("已核销")
        REVERSED = "reversed", _("已撤销")

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT, verbose_name=_("门店"))
    channel = models.ForeignKey(
        "customers.SourceChannel", on_delete=models.PROTECT, verbose_name=_("渠道")
    )
    code = models.CharField(_("券码"), max_length=64)
    item = models.ForeignKey(
        "catalog.Item", on_delete=models.PROTECT, related_name="+", verbose_name=_("项目")
    )
    settlement_amount = MoneyField(_("结算金额"))
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="voucher_redemptions",
        verbose_name=_("客户"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.VERIFIED
    )
    verified_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(_("核销时间"))
    # The store-local day of the verification: period figures count by it.
    business_date = models.DateField(_("业务日期"))
    reversed_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversed_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    reverse_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["-verified_at", "-id"]
        constraints = [
            # Concurrent verifications of one code cannot both succeed.
            models.UniqueConstraint(
                fields=["org", "channel", "code"],
                condition=Q(status="verified"),
                name="voucher_verified_once_per_channel",
            ),
            models.CheckConstraint(
                condition=Q(settlement_amount__gte=0), name="voucher_settlement_non_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["org", "store", "business_date"], name="voucher_org_store_date"),
            models.Index(fields=["org", "customer"], name="voucher_org_customer"),
        ]

    def __str__(self):
        return f"{self.code} ({self.get_status_display()})"
