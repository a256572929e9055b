"""The chain (organization), its stores, departments, staff groups and staff accounts."""

from datetime import time

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from yanzhi.core.models import TimeStampedModel
from yanzhi.org.settings_cache import new_version as new_settings_version


class Organization(TimeStampedModel):
    """A clinic chain: the tenant. Its security settings apply to all of its staff."""

    class PasswordPolicy(models.TextChoices):
        STANDARD = "standard", _("标准(至少12位,不可为常见密码)")
        MLPS3 = (
            "mlps3",
            _("等保三级(至少12位,含大小写字母、数字和符号中的三类,90天更换,不可重复最近5次)"),
        )

    name = models.CharField(_("机构名称"), max_length=100)
    code = models.SlugField(_("机构代码"), max_length=40, unique=True)
    login_failure_limit = models.PositiveSmallIntegerField(_("登录失败锁定次数"), default=5)
    login_lock_minutes = models.PositiveSmallIntegerField(_("锁定时长(分钟)"), default=15)
    password_policy = models.CharField(
        _("密码策略"),
        max_length=20,
        choices=PasswordPolicy.choices,
        default=PasswordPolicy.STANDARD,
    )
    session_idle_minutes = models.PositiveSmallIntegerField(_("空闲自动退出(分钟)"), default=30)
    # A new value whenever a cached kind of settings row changes (org.settings_cache).
    settings_version = models.BigIntegerField(default=new_settings_version, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Store(TimeStampedModel):
    """A clinic (门店). Opening hours frame the roster and the automatic leave at closing."""

    class NegativeStock(models.TextChoices):
        BLOCK = "block", _("禁止(库存不足时不能出库)")
        WARN = "warn", _("允许,但给出警告")

    class SearchOrder(models.TextChoices):
        PHONE_FIRST = "phone", _("手机号优先")
        MEMBER_NO_FIRST = "member_no", _("会员号优先")
        NAME_FIRST = "name", _("姓名优先")
        RECENT_FIRST = "recent", _("最近到访优先")

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="stores")
    name = models.CharField(_("门店名称"), max_length=100)
    code = models.CharField(_("门店代码"), max_length=20)
    timezone = models.CharField(_("时区"), max_length=50, default="Asia/Shanghai")
    opens_at = models.TimeField(_("营业开始"), default=time(9, 0))
    closes_at = models.TimeField(_("营业结束"), default=time(21, 0))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("门店电话"), max_length=30, blank=True)
    # How this store wants customer search results: sort order and the columns shown.
    search_order = models.CharField(
        _("搜索结果排序"),
        max_length=20,
        choices=SearchOrder.choices,
        default=SearchOrder.PHONE_FIRST,
    )
    search_fields = models.JSONField(
        _("搜索结果显示字段"),
        default=list,
        blank=True,
        help_text=_("留空时显示默认字段"),
    )
    # What happens when a consumption or transfer needs more than is on hand (负库存).
    negative_stock = models.CharField(
        _("负库存"),
        max_length=10,
        choices=NegativeStock.choices,
        default=NegativeStock.BLOCK,
    )
    # The largest discount, as a percentage of the order's list amount, that this store may give
    # without approval (折扣权限). Empty = no limit; above it the order needs approval (层级审批).
    discount_limit_percent = models.DecimalField(
        _("免审批折扣上限(%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("订单优惠占原价的比例超过此值时需要审批;留空表示不限"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["org_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["org", "code"], name="store_code_unique_in_org"),
        ]

    def __str__(self):
        return self.name


class Department(TimeStampedModel):
    """A medical department (科室): 皮肤科, 微整科, 口腔科, 整形外科, 毛发 …"""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="departments")
    name = models.CharField(_("科室名称"), max_length=50)

    class Meta:
        ordering = ["org_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="department_name_unique_in_org"),
        ]

    def __str__(self):
        return self.name


class StaffGroup(TimeStampedModel):
    """A team, e.g. a consultant group with its leader, who sees the group's customers."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="staff_groups")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, null=True, blank=True)
    name = models.CharField(_("小组名称"), max_length=50)
    leader = models.ForeignKey(
        "Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="led_groups"
    )

    class Meta:
        ordering = ["org_id", "name"]

    def __str__(self):
        return self.name


class StaffManager(BaseUserManager):
    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)


class Staff(AbstractBaseUser, TimeStampedModel):
    """A staff account. The role decides the data scope (yanzhi.org.policy)."""

    class Role(models.TextChoices):
        FRONT_DESK = "front_desk", _("前台/导医")
        CONSULTANT = "consultant", _("咨询师")
        ONLINE_CONSULTANT = "online_consultant", _("网电咨询师")
        DOCTOR = "doctor", _("医生")
        NURSE = "nurse", _("护士/治疗师")
        CUSTOMER_SERVICE = "customer_service", _("客服")
        CASHIER = "cashier", _("收银")
        STORE_MANAGER = "store_manager", _("店长")
        HQ = "hq", _("总部/总经理")

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="staff")
    username = models.CharField(_("登录名"), max_length=50, unique=True)
    name = models.CharField(_("姓名"), max_length=50)
    mobile = models.CharField(_("手机号"), max_length=20, blank=True)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    title = models.CharField(_("职称"), max_length=50, blank=True)
    stores = models.ManyToManyField(
        Store, related_name="staff", blank=True, verbose_name=_("所属门店")
    )
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("科室")
    )
    group = models.ForeignKey(
        StaffGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("小组"),
    )
    can_unmask = models.BooleanField(_("可查看完整手机号/身份证号"), default=False)
    is_active = models.BooleanField(_("在职"), default=True)
    failed_login_count = models.PositiveSmallIntegerField(default=0)
    first_failed_login_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    # Set when a manager resets the password: the staff member must choose their own at the
    # next sign-in, whatever the clinic's password policy.
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=False)

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["name"]
    objects = StaffManager()

    class Meta:
        ordering = ["org_id", "name"]
        verbose_name = _("员工")
        indexes = [models.Index(fields=["org", "role"], name="staff_org_role")]

    def __str__(self):
        return self.name

    # Django's admin/auth expects these on a user model; Yanzhi's permissions are role-based.
    is_superuser = False
    is_staff = False

    def has_perm(self, perm, obj=None):
        return False

    def has_module_perms(self, app_label):
        return False


class PasswordHistory(models.Model):
    """Earlier password hashes, so the stricter policy can refuse reuse."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.staff_id} {self.created_at:%Y-%m-%d}"


class ApiToken(models.Model):
    """A per-staff API token. Only a hash is stored; the key is shown once when created."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=50)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class PeriodClose(models.Model):
    """A closed month (关账) of a store. Closing a month closes everything dated up to its end:
    months close in order, and nothing dated in a closed month can be changed any more."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="period_closes")
    month = models.DateField(_("会计月份"), help_text=_("该月第一天"))
    closed_at = models.DateTimeField(_("关账时间"))
    closed_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="+", verbose_name=_("关账人")
    )

    class Meta:
        ordering = ["store_id", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["store", "month"], name="period_close_unique_month"),
        ]
        indexes = [models.Index(fields=["org", "store", "month"], name="period_close_org_store")]

    def __str__(self):
        return f"{self.store_id} {self.month:%Y-%m}"
