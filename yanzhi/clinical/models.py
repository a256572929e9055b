"""Consultations (咨询记录), doctor diagnoses with treatment plans (面诊), medical records (病历)
and before/after photos."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from yanzhi.core.models import TimeStampedModel
from yanzhi.core.money import MoneyField


class Outcome(models.TextChoices):
    """The three ways a consultation ends (and 'not decided yet' while it is a draft)."""

    UNDECIDED = "", _("未定")
    TREAT_TODAY = "treat_today", _("当天治疗")
    BOOK_LATER = "book_later", _("预约改天(交预约金)")
    THINK_OVER = "think_over", _("考虑一下")


class Consultation(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        FINAL = "final", _("已完成")

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="consultations"
    )
    visit = models.ForeignKey(
        "visits.Visit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations",
    )
    consultant = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name=_("咨询师")
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    demands = models.TextField(_("求美诉求"), blank=True)
    concerns = models.TextField(_("顾虑"), blank=True)
    recommended_items = models.TextField(_("推荐项目"), blank=True)
    quoted_amount = MoneyField(_("报价"), null=True, blank=True, default=None)
    outcome = models.CharField(
        _("结果"), max_length=20, choices=Outcome.choices, blank=True, default=""
    )
    next_contact_on = models.DateField(_("下次联系日期"), null=True, blank=True)
    notes = models.TextField(_("咨询记录"), blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org", "customer", "created_at"], name="consult_org_customer"),
            models.Index(fields=["org", "store", "created_at"], name="consult_org_store"),
            models.Index(fields=["org", "consultant", "created_at"], name="consult_org_consultant"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.created_at:%Y-%m-%d}"


class Diagnosis(TimeStampedModel):
    """The doctor's face-to-face diagnosis (面诊) and the treatment plan: effect, price, time."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="diagnoses"
    )
    visit = models.ForeignKey(
        "visits.Visit", on_delete=models.PROTECT, null=True, blank=True, related_name="diagnoses"
    )
    doctor = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name=_("医生")
    )
    findings = models.TextField(_("面诊所见"))
    skin_analysis = models.TextField(
        _("皮肤检测结果"), blank=True, help_text=_("如 VISIA 检测结果")
    )
    plan_items = models.TextField(_("治疗方案"), blank=True)
    plan_effect = models.TextField(_("预期效果"), blank=True)
    plan_price_amount = MoneyField(_("方案价格"), null=True, blank=True, default=None)
    plan_duration = models.CharField(_("疗程/时间"), max_length=100, blank=True)
    outcome = models.CharField(
        _("结果"), max_length=20, choices=Outcome.choices, blank=True, default=""
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org", "customer", "created_at"], name="diagnosis_org_customer"),
            # the doctor report reads a period of the reported stores
            models.Index(fields=["org", "store", "created_at"], name="diagnosis_org_store"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.created_at:%Y-%m-%d}"


class MedicalRecord(TimeStampedModel):
    """An outpatient medical record (门诊病历) in the standard sections. A signed record is
    never edited again; corrections are addenda."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SIGNED = "signed", _("已签署")

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="medical_records"
    )
    visit = models.ForeignKey(
        "visits.Visit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="medical_records",
    )
    doctor = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name=_("医生")
    )
    consent = models.ForeignKey("customers.Consent", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    chief_complaint = models.TextField(_("主诉"))
    present_illness = models.TextField(_("现病史"), blank=True)
    past_history = models.TextField(_("既往史"), blank=True)
    allergy_history = models.TextField(_("过敏史"), blank=True)
    examination = models.TextField(_("体格检查/专科检查"), blank=True)
    diagnosis = models.TextField(_("诊断"))
    treatment = models.TextField(_("处置/治疗"), blank=True)
    advice = models.TextField(_("医嘱"), blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org", "customer", "created_at"], name="medrec_org_customer"),
            models.Index(fields=["org", "store", "created_at"], name="medrec_org_store"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.created_at:%Y-%m-%d} {self.diagnosis[:20]}"


class MedicalRecordAddendum(models.Model):
    record = models.ForeignKey(MedicalRecord, on_delete=models.PROTECT, related_name="addenda")
    doctor = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("补充说明"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.record_id} {self.created_at:%Y-%m-%d}"


class Photo(models.Model):
    """A clinical photo, stored under MEDIA_ROOT and served only through a scope-checking view."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("术前")
        AFTER = "after", _("术后")
        PROGRESS = "progress", _("恢复期")
        OTHER = "other", _("其他")

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="photos"
    )
    visit = models.ForeignKey(
        "visits.Visit", on_delete=models.PROTECT, null=True, blank=True, related_name="photos"
    )
    consent = models.ForeignKey("customers.Consent", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.BEFORE)
    body_area = models.CharField(_("部位"), max_length=50, blank=True)
    file = models.FileField(upload_to="photos/%Y/%m/", max_length=200)
    content_type = models.CharField(max_length=50)
    size_bytes = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org", "customer", "created_at"], name="photo_org_customer"),
            models.Index(fields=["org", "visit"], name="photo_org_visit"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.get_kind_display()} {self.created_at:%Y-%m-%d}"
