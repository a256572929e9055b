"""Rooms and devices, the staff roster (shifts and rest shifts), and appointments."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from yanzhi.core.models import TimeStampedModel


class Room(TimeStampedModel):
    """A treatment room or a device (e.g. the Thermage machine) that can be booked."""

    class Kind(models.TextChoices):
        ROOM = "room", _("诊室/治疗室")
        DEVICE = "device", _("仪器")

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(_("名称"), max_length=50)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.ROOM)
    department = models.ForeignKey(
        "org.Department", on_delete=models.SET_NULL, null=True, blank=True
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["store_id", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="room_name_unique_in_store")
        ]

    def __str__(self):
        return self.name


class ShiftType(TimeStampedModel):
    """A named shift (班次) such as 早班 09:00–18:00, or a rest shift (休息班) such as 午休
    12:00–13:30. A day rostered with rest shifts only counts every other minute of the store's
    opening hours as working time."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey(
        "org.Store",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("留空表示全连锁通用"),
    )
    name = models.CharField(_("班次名称"), max_length=30)
    starts_at = models.TimeField(_("开始时间"))
    ends_at = models.TimeField(_("结束时间"))
    is_rest = models.BooleanField(_("休息班"), default=False)
    color = models.CharField(_("颜色"), max_length=7, default="#0d6efd")

    class Meta:
        ordering = ["org_id", "is_rest", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_type_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.name} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"


class RosterEntry(TimeStampedModel):
    """One shift of one staff member on one day in one store. Times are copied from the shift
    type, so later edits of the type do not rewrite history."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT)
    staff = models.ForeignKey("org.Staff", on_delete=models.CASCADE, related_name="roster_entries")
    day = models.DateField(_("日期"))
    shift_type = models.ForeignKey(ShiftType, on_delete=models.PROTECT, verbose_name=_("班次"))
    starts_at = models.TimeField()
    ends_at = models.TimeField()
    is_rest = models.BooleanField(default=False)

    class Meta:
        ordering = ["day", "staff_id", "starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "day", "shift_type"], name="roster_entry_unique"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="roster_entry_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["org", "store", "day"], name="roster_org_store_day"),
            models.Index(fields=["org", "staff", "day"], name="roster_org_staff_day"),
        ]


class Appointment(TimeStampedModel):
    class Status(models.TextChoices):
        BOOKED = "booked", _("已预约")
        ARRIVED = "arrived", _("已到店")
        NO_SHOW = "no_show", _("爽约")
        CANCELLED = "cancelled", _("已取消")

    class Purpose(models.TextChoices):
        CONSULTATION = "consultation", _("咨询/面诊")
        TREATMENT = "treatment", _("治疗")
        SURGERY = "surgery", _("手术")
        CHECKUP = "checkup", _("复查")
        OTHER = "other", _("其他")

    # Every read of appointments has the org: store, doctor, consultant and room are found through
    # the (org, …, starts_at) indexes below, and none of them (nor staff) is ever deleted; so no
    # single-column index on them. The customer keeps its own (read without the org).
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT, db_index=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="appointments"
    )
    purpose = models.CharField(
        _("预约类型"), max_length=20, choices=Purpose.choices, default=Purpose.CONSULTATION
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    doctor = models.ForeignKey(
        "org.Staff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("医生"),
        db_index=False,
    )
    consultant = models.ForeignKey(
        "org.Staff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("咨询师"),
        db_index=False,
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("诊室/仪器"),
        db_index=False,
    )  # fmt: skip
    items = models.CharField(_("意向项目"), max_length=200, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.BOOKED
    )
    booked_by = models.ForeignKey(
        "org.Staff", on_delete=models.SET_NULL, null=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    arrived_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["org", "store", "starts_at"], name="appt_org_store_start"),
            # the chain's list (HQ's API) in start order
            models.Index(fields=["org", "starts_at"], name="appt_org_start"),
            models.Index(fields=["org", "doctor", "starts_at"], name="appt_org_doctor_start"),
            models.Index(
                fields=["org", "consultant", "starts_at"], name="appt_org_consultant_start"
            ),
            models.Index(fields=["org", "room", "starts_at"], name="appt_org_room_start"),
            models.Index(fields=["org", "customer", "starts_at"], name="appt_org_customer_start"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.starts_at:%Y-%m-%d %H:%M}"
