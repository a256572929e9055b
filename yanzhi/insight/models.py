"""Customer insight: the chain's scoring settings, one score row per customer (computed in the
database by `yanzhi.insight.scoring`, daily and on demand), saved segments and their campaign
runs. Every figure is defined in docs/insight.md."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from yanzhi.core.models import TimeStampedModel
from yanzhi.core.money import MoneyField

DEFAULT_SPEND_WEIGHT = 50
DEFAULT_FREQUENCY_WEIGHT = 30
DEFAULT_TICKET_WEIGHT = 20
DEFAULT_CLASS_A_PERCENT = 20
DEFAULT_CLASS_B_PERCENT = 30


class RfmSegment(models.TextChoices):
    """The classic eight segments from R, F and M each high or low (docs/insight.md)."""

    IMPORTANT_VALUE = "important_value", _("重要价值客户")  # R high F high M high
    IMPORTANT_DEVELOP = "important_develop", _("重要发展客户")  # R high F low  M high
    IMPORTANT_KEEP = "important_keep", _("重要保持客户")  # R low  F high M high
    IMPORTANT_RETAIN = "important_retain", _("重要挽留客户")  # R low  F low  M high
    GENERAL_VALUE = "general_value", _("一般价值客户")  # R high F high M low
    GENERAL_DEVELOP = "general_develop", _("一般发展客户")  # R high F low  M low
    GENERAL_KEEP = "general_keep", _("一般保持客户")  # R low  F high M low
    GENERAL_RETAIN = "general_retain", _("一般挽留客户")  # R low  F low  M low


class AbcClass(models.TextChoices):
    A = "A", _("A类")
    B = "B", _("B类")
    C = "C", _("C类")


class GrowthType(models.TextChoices):
    LOYAL = "loyal", _("忠诚")
    FAST_GROWING = "fast_growing", _("快速成长")
    SLEEPING = "sleeping", _("沉睡")
    NURTURE = "nurture", _("值得培养")


class AgeBand(models.TextChoices):
    UNDER_18 = "under_18", _("18岁以下")
    AGE_18_25 = "18_25", _("18–25岁")
    AGE_25_35 = "25_35", _("25–35岁")
    AGE_35_45 = "35_45", _("35–45岁")
    AGE_45_PLUS = "45_plus", _("45岁以上")
    UNKNOWN = "unknown", _("年龄未知")


class InsightSettings(TimeStampedModel):
    """The chain's weights of the value score and its A/B/C thresholds (HQ edits them); when
    there is no row the defaults apply. Also when the scores were last computed."""

    org = models.OneToOneField(
        "org.Organization", on_delete=models.CASCADE, related_name="insight_settings"
    )
    spend_weight = models.PositiveSmallIntegerField(_("累计消费权重"), default=DEFAULT_SPEND_WEIGHT)
    frequency_weight = models.PositiveSmallIntegerField(
        _("到访频次权重"), default=DEFAULT_FREQUENCY_WEIGHT
    )
    ticket_weight = models.PositiveSmallIntegerField(_("客单价权重"), default=DEFAULT_TICKET_WEIGHT)
    class_a_percent = models.PositiveSmallIntegerField(
        _("A类占比(%)"), default=DEFAULT_CLASS_A_PERCENT
    )
    class_b_percent = models.PositiveSmallIntegerField(
        _("B类占比(%)"), default=DEFAULT_CLASS_B_PERCENT
    )
    scores_computed_on = models.DateField(_("评分日期"), null=True, blank=True)
    scores_computed_at = models.DateTimeField(_("评分时间"), null=True, blank=True)

    class Meta:
        ordering = ["org_id"]
        verbose_name = _("客户洞察设置")

    def __str__(self):
        return f"insight settings of {self.org_id}"


class CustomerScore(models.Model):
    """One row per customer: the facts used and the scores, as of `computed_at`. Written only by
    `scoring.refresh_scores` (set-based SQL for the whole chain). RFM, value score and class
    are set for customers with at least one deal; the others keep them empty."""

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="insight_score",
    )
    # org leads the score_org_* indexes.
    org = models.ForeignKey("org.Organization", on_delete=models.CASCADE, db_index=False)
    store = models.ForeignKey("org.Store", on_delete=models.CASCADE)
    deal_count = models.PositiveIntegerField(default=0)
    visit_count = models.PositiveIntegerField(default=0)
    total_spend_amount = MoneyField()
    average_ticket_amount = MoneyField()
    recency_days = models.PositiveIntegerField(null=True, blank=True)
    r_score = models.PositiveSmallIntegerField(null=True, blank=True)
    f_score = models.PositiveSmallIntegerField(null=True, blank=True)
    m_score = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_segment = models.CharField(max_length=20, choices=RfmSegment.choices, blank=True)
    value_score = models.PositiveSmallIntegerField(null=True, blank=True)
    abc_class = models.CharField(max_length=1, choices=AbcClass.choices, blank=True)
    growth_type = models.CharField(max_length=20, choices=GrowthType.choices, blank=True)
    age_band = models.CharField(max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["customer_id"]
        indexes = [
            models.Index(fields=["org", "store"], name="score_org_store"),
            models.Index(fields=["org", "rfm_segment"], name="score_org_rfm"),
            models.Index(fields=["org", "abc_class"], name="score_org_abc"),
            models.Index(fields=["org", "growth_type"], name="score_org_growth"),
            models.Index(fields=["org", "age_band"], name="score_org_age"),
            models.Index(fields=["org", "-value_score"], name="score_org_value"),
        ]

    def __str__(self):
        return f"score of {self.customer_id}"


class BandItemTotal(models.Model):
    """The overview's typical items: net quantity of each item bought on paid orders of the
    purchase year, per home store and age band, as of the scores' day. Rebuilt with the scores
    (a year of order lines is millions of rows at chain size: seconds at every view)."""

    org = models.ForeignKey("org.Organization", on_delete=models.CASCADE)
    store = models.ForeignKey("org.Store", on_delete=models.CASCADE, related_name="+")
    age_band = models.CharField(max_length=10, choices=AgeBand.choices)
    item = models.ForeignKey("catalog.Item", on_delete=models.CASCADE, related_name="+")
    quantity = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["org", "store"], name="band_item_org_store")]

    def __str__(self):
        return f"{self.store_id} {self.age_band} {self.item_id}: {self.quantity}"


class DepartmentTotal(models.Model):
    """The overview's departments: customers who bought the department's items and the amount
    net of refunds on paid orders of the purchase year, per home store, as of the scores' day.
    Customers add up across stores: each one counts in their home store only."""

    org = models.ForeignKey("org.Organization", on_delete=models.CASCADE)
    store = models.ForeignKey("org.Store", on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(
        "org.Department", on_delete=models.CASCADE, null=True, related_name="+"
    )
    customers = models.PositiveIntegerField()
    spend_amount = MoneyField()

    class Meta:
        indexes = [models.Index(fields=["org", "store"], name="department_total_org_store")]

    def __str__(self):
        return f"{self.store_id} {self.department_id}: {self.customers}"


class Segment(TimeStampedModel):
    """A saved group of customers (客群): a name, a store or the whole chain, and a definition
    (see `segments.definition_from`); its members are always computed now, never stored."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey(
        "org.Store",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("门店"),
        help_text=_("留空表示全连锁"),
    )
    name = models.CharField(_("客群名称"), max_length=50)
    definition = models.JSONField(_("筛选条件"), default=dict)
    created_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["org", "store"], name="segment_org_store")]

    def __str__(self):
        return self.name


class SegmentCampaign(models.Model):
    """One run of a segment as a follow-up campaign (one task per member, cause
    "segment-campaign:<id>") or an SMS campaign (one message per consenting member)."""

    class Kind(models.TextChoices):
        FOLLOWUP = "followup", _("回访任务")
        SMS = "sms", _("短信")

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="campaigns")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("主题"), max_length=100)
    text = models.TextField(_("内容"), blank=True)
    member_count = models.PositiveIntegerField(_("客群人数"), default=0)
    created_count = models.PositiveIntegerField(_("生成数"), default=0)
    skipped_no_consent_count = models.PositiveIntegerField(_("未同意营销"), default=0)
    skipped_invalid_phone_count = models.PositiveIntegerField(_("手机号无效"), default=0)
    by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["org", "segment"], name="segcampaign_org_segment")]

    def __str__(self):
        return self.title

    @property
    def cause(self) -> str:
        return f"segment-campaign:{self.pk}"
