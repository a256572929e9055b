"""Customers (会员/客户), their summary row, tags, channels, phone verification and consents."""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from yanzhi.core.models import TimeStampedModel
from yanzhi.core.money import MoneyField


class SourceChannel(TimeStampedModel):
    """Where a customer came from (拓客渠道): 美团点评, 新氧, 抖音, referral, walk-in …"""

    class Kind(models.TextChoices):
        ECOMMERCE = "ecommerce", _("电商/点评平台")
        INFLUENCER = "influencer", _("网红/达人")
        REFERRAL = "referral", _("老带新")
        ONLINE = "online", _("网络/电话咨询")
        WALK_IN = "walk_in", _("自然到店")
        OTHER = "other", _("其他")

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    name = models.CharField(_("渠道名称"), max_length=50)
    kind = models.CharField(_("渠道类型"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["org_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="channel_name_unique_in_org")
        ]

    def __str__(self):
        return self.name


class Tag(TimeStampedModel):
    """A static tag with a colour the clinic chooses (VIP, 敏感肌 …)."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    name = models.CharField(_("标签名称"), max_length=30)
    color = models.CharField(_("颜色"), max_length=7, default="#6c757d")

    class Meta:
        ordering = ["org_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="tag_name_unique_in_org")
        ]

    def __str__(self):
        return self.name


class MembershipProgram(TimeStampedModel):
    """A chain's membership programme settings (one row per chain; absent = the defaults)."""

    DEFAULT_WINDOW_MONTHS = 12

    org = models.OneToOneField(
        "org.Organization", on_delete=models.PROTECT, related_name="membership_program"
    )
    window_months = models.PositiveSmallIntegerField(
        _("滚动消费统计月数"), default=DEFAULT_WINDOW_MONTHS
    )

    class Meta:
        ordering = ["org_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_months__gte=1, window_months__lte=120),
                name="membership_window_in_range",
            )
        ]

    def __str__(self):
        return f"membership programme of {self.org_id}"


class MembershipLevel(TimeStampedModel):
    """A membership level (会员等级): a customer holds the highest active level whose threshold
    their rolling spend reaches. Levels are deactivated, never deleted (history points at them)."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    name = models.CharField(_("等级名称"), max_length=30)
    min_spend_amount = MoneyField(_("滚动消费门槛"))
    rank = models.PositiveSmallIntegerField(_("排序"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["org_id", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="member_level_name_unique"),
            models.CheckConstraint(
                condition=Q(min_spend_amount__gte=0), name="member_level_min_non_negative"
            ),
        ]
        indexes = [models.Index(fields=["org", "is_active", "rank"], name="member_level_org")]

    def __str__(self):
        return self.name


# The customer columns a store's customer list filters on (queries.StoreCustomerIds), carried
# by the customer_store_newest index; the store links copy them (CustomerStoreLink.LIST_FACTS).
LIST_FILTER_COLUMNS = [
    "member_level",
    "source_channel",
    "consultant",
    "online_consultant",
    "phone_verified_at",
    "allergies",
    "tag_keys",
]


def tag_key(tag_id: int) -> str:
    """What Customer.tag_keys contains when the customer has the tag."""
    return f",{tag_id},"


def tag_keys_of(tag_ids) -> str:
    """Customer.tag_keys for these tags: ",4,10," (none: "")."""
    ids = sorted({int(pk) for pk in tag_ids})
    return f",{','.join(map(str, ids))}," if ids else ""


class Customer(TimeStampedModel):
    class Gender(models.TextChoices):
        FEMALE = "female", _("女")
        MALE = "male", _("男")
        UNKNOWN = "unknown", _("未知")

    # org leads the indexes and unique constraints below (no index of its own); nobody reads
    # customers by who created them.
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT, verbose_name=_("归属门店"))
    member_no = models.CharField(_("会员号"), max_length=20)
    name = models.CharField(_("姓名"), max_length=50)
    salutation = models.CharField(
        _("称呼"), max_length=30, blank=True, help_text=_("用于短信,如“王女士”")
    )
    gender = models.CharField(
        _("性别"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN
    )
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    phone = models.CharField(_("手机号"), max_length=11)
    phone_verified_at = models.DateTimeField(_("手机号验证时间"), null=True, blank=True)
    id_card = models.CharField(_("身份证号"), max_length=18, blank=True)
    source_channel = models.ForeignKey(
        SourceChannel, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("来源渠道")
    )
    referrer = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referred",
        verbose_name=_("推荐人"),
    )
    consultant = models.ForeignKey(
        "org.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("责任咨询师"),
    )
    online_consultant = models.ForeignKey(
        "org.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("网电咨询师"),
    )
    doctor = models.ForeignKey(
        "org.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("责任医生"),
    )
    allergies = models.CharField(_("过敏史"), max_length=300, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("标签"))
    # The tags' ids as text (tag_keys_of: ",4,10,"), kept with the tags by customers.services:
    # a store's list filtered by a tag tests it on the index entries of the store's customers
    # (customer_store_newest; the links copy it), not by joining the chain's tagged customers.
    tag_keys = models.TextField(editable=False, blank=True, db_default="")
    marketing_consent = models.BooleanField(_("同意接收营销信息"), default=False)
    # Membership (会员等级), kept by yanzhi.sales.membership whenever money moves: the level
    # follows the rolling spend (docs/decisions.md, "Membership levels").
    member_level = models.ForeignKey(
        MembershipLevel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("会员等级"),
    )
    member_level_since = models.DateTimeField(_("等级生效时间"), null=True, blank=True)
    rolling_spend_amount = MoneyField(_("滚动消费"))
    # Precomputed search keys (yanzhi.core.search): indexed, so search never scans the table.
    phone_tail = models.CharField(max_length=4, editable=False)
    name_pinyin = models.CharField(max_length=120, editable=False, blank=True)
    name_initials = models.CharField(max_length=30, editable=False, blank=True)
    # The name without its first character: "contains" searches for a given name (志强 finds
    # 朱志强) become prefix searches on it (docs/decisions.md, "Speed at chain size").
    name_rest = models.CharField(max_length=49, editable=False, blank=True)
    created_by = models.ForeignKey(
        "org.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "phone"], name="customer_phone_unique_in_org"),
            models.UniqueConstraint(
                fields=["org", "member_no"], name="customer_member_no_unique_in_org"
            ),
            models.UniqueConstraint(
                fields=["org", "id_card"],
                condition=~Q(id_card=""),
                name="customer_id_card_unique_in_org",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "phone_tail"], name="customer_org_phone_tail"),
            # Pattern operator classes: the search box matches prefixes (LIKE 'wf%'), which a
            # plain btree serves only under the C collation (PostgreSQL; SQLite ignores them).
            models.Index(
                fields=["org", "name"],
                name="customer_org_name_prefix",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            ),
            models.Index(
                fields=["org", "name_pinyin"],
                name="customer_org_pinyin_prefix",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            ),
            models.Index(
                fields=["org", "name_initials"],
                name="customer_org_initials_prefix",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            ),
            # A store's own customers by search key (the front desk's search), the same keys
            # as its linked customers' (CustomerStoreLink).
            models.Index(
                fields=["org", "store", "name"],
                name="customer_store_name_prefix",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
            models.Index(
                fields=["org", "store", "name_rest"],
                name="customer_store_rest_prefix",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
            models.Index(
                fields=["org", "store", "name_pinyin"],
                name="customer_store_pinyin_prefix",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
            models.Index(
                fields=["org", "store", "name_initials"],
                name="customer_store_initials_prefix",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
            # The rare long names (4+ characters), where a typed text can sit past the second
            # character.
            models.Index(F("org"), F("store"), Length("name"), name="customer_store_name_length"),
            models.Index(
                fields=["org", "store", "consultant"], name="customer_org_store_consultant"
            ),
            models.Index(fields=["org", "consultant"], name="customer_org_consultant"),
            # The customer list's default order, newest first: a store's (with its linked
            # customers' link_store_newest) and the chain's (HQ).
            # It carries the columns the list filters on (a store's list filtered by level,
            # channel, consultant, verified phone or allergy counts its customers from the
            # index alone: PostgreSQL; SQLite ignores `include`).
            models.Index(
                fields=["org", "store", "created_at", "id"],
                include=LIST_FILTER_COLUMNS,
                name="customer_store_newest",
            ),
            models.Index(fields=["org", "created_at", "id"], name="customer_org_newest"),
            models.Index(fields=["org", "online_consultant"], name="customer_org_online"),
            models.Index(fields=["org", "member_level"], name="customer_org_member_level"),
        ]

    def __str__(self):
        return f"{self.name} ({self.member_no})"

    @property
    def has_allergy(self) -> bool:
        return bool(self.allergies.strip())

    @property
    def phone_verified(self) -> bool:
        return self.phone_verified_at is not None


class MembershipLevelChange(models.Model):
    """One change of a customer's level, with the rolling spend that caused it, so a level going
    down can be explained to the customer."""

    class Reason(models.TextChoices):
        PAYMENT = "payment", _("消费")
        REFUND = "refund", _("退款")
        WINDOW = "window", _("消费滚出统计期")
        CONFIG = "config", _("等级规则调整")

    # Read by customer; org leads level_change_org_customer; levels and staff are never
    # filtered by nor deleted.
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="level_changes")
    from_level = models.ForeignKey(
        MembershipLevel, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    to_level = models.ForeignKey(
        MembershipLevel, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    rolling_spend_amount = MoneyField(_("滚动消费"))
    window_months = models.PositiveSmallIntegerField(_("统计月数"))
    reason = models.CharField(_("原因"), max_length=10, choices=Reason.choices)
    by = models.ForeignKey(
        "org.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        db_index=False,
    )  # fmt: skip
    changed_at = models.DateTimeField(_("变更时间"))

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["org", "customer", "changed_at"], name="level_change_org_customer")
        ]

    def __str__(self):
        return f"{self.customer_id}: {self.from_level_id} → {self.to_level_id}"


class CustomerStoreLink(models.Model):
    """A customer of another store who is served here (booked or arrived in this store):
    this store's staff may then see them, as they may see the store's own customers.

    The link carries copies of the customer's search keys, so that a store's search finds its
    linked customers by an index range scan as it finds its own; customers.services writes
    them with the link and rewrites them in the transaction that changes the name or phone."""

    # org leads the search and tag-fact indexes, customer the unique (customer, store).
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="store_links", db_index=False,
    )  # fmt: skip
    store = models.ForeignKey("org.Store", on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)
    # Copies of Customer.name, name_rest, name_pinyin, name_initials and phone_tail.
    name = models.CharField(max_length=50, editable=False, blank=True)
    name_rest = models.CharField(max_length=49, editable=False, blank=True)
    name_pinyin = models.CharField(max_length=120, editable=False, blank=True)
    name_initials = models.CharField(max_length=30, editable=False, blank=True)
    phone_tail = models.CharField(max_length=4, editable=False, blank=True)
    # Copies of the customer's tag facts (CustomerSummary: activity, last visit type, deals,
    # arrears > 0): a store's customer list filtered by dynamic tags reads its linked
    # customers from this table's index as it reads its own from the summary's.
    # customers.services.mirror_tag_facts keeps them, in the transaction changing the summary.
    activity = models.CharField(max_length=20, editable=False, db_default="non_member")
    last_visit_type = models.CharField(max_length=20, editable=False, db_default="")
    deal_count = models.PositiveIntegerField(editable=False, db_default=0)
    has_arrears = models.BooleanField(editable=False, db_default=False)
    # A copy of the customer's created_at (which never changes): a store's customer list,
    # newest first, reads its linked customers in that order from this table's index as it
    # reads its own customers from the customer table's.
    customer_created_at = models.DateTimeField(editable=False)
    # Copies of what the customer list filters on (LIST_FACTS): a store's list filtered by
    # level, channel, consultant, verified phone or allergy counts and pages its linked
    # customers from link_store_newest alone, as its own from customer_store_newest.
    # customers.services.mirror_list_facts keeps them, in the transaction changing the
    # customer. Same deletion rules as the customer's own columns.
    member_level = models.ForeignKey(
        MembershipLevel, on_delete=models.PROTECT, null=True, editable=False, db_index=False,
        related_name="+",
    )  # fmt: skip
    source_channel = models.ForeignKey(
        SourceChannel, on_delete=models.PROTECT, null=True, editable=False, db_index=False,
        related_name="+",
    )  # fmt: skip
    consultant = models.ForeignKey(
        "org.Staff", on_delete=models.SET_NULL, null=True, editable=False, db_index=False,
        related_name="+",
    )  # fmt: skip
    online_consultant = models.ForeignKey(
        "org.Staff", on_delete=models.SET_NULL, null=True, editable=False, db_index=False,
        related_name="+",
    )  # fmt: skip
    phone_verified = models.BooleanField(editable=False, db_default=False)
    has_allergy = models.BooleanField(editable=False, db_default=False)
    tag_keys = models.TextField(editable=False, blank=True, db_default="")

    SEARCH_KEYS = ("name", "name_rest", "name_pinyin", "name_initials", "phone_tail")
    TAG_FACTS = ("activity", "last_visit_type", "deal_count", "has_arrears")
    LIST_FACTS = (
        "member_level_id",
        "source_channel_id",
        "consultant_id",
        "online_consultant_id",
        "phone_verified",
        "has_allergy",
        "tag_keys",
    )

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "store"], name="customer_store_link_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["org", "store", "customer"], name="customer_link_org_store"),
            models.Index(
                fields=["org", "store", "customer_created_at", "customer"],
                include=[
                    "member_level",
                    "source_channel",
                    "consultant",
                    "online_consultant",
                    "phone_verified",
                    "has_allergy",
                    "tag_keys",
                ],
                name="link_store_newest",
            ),
            models.Index(
                fields=["org", "store", "name"],
                name="link_store_name_prefix",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
            models.Index(
                fields=["org", "store", "name_rest"],
                name="link_store_rest_prefix",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
            models.Index(
                fields=["org", "store", "name_pinyin"],
                name="link_store_pinyin_prefix",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
            models.Index(
                fields=["org", "store", "name_initials"],
                name="link_store_initials_prefix",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
            models.Index(fields=["org", "store", "phone_tail"], name="link_store_phone_tail"),
            models.Index(F("org"), F("store"), Length("name"), name="link_store_name_length"),
            # The store's linked customers with their tag facts, from the index alone
            # (PostgreSQL; SQLite ignores `include`).
            models.Index(
                fields=["org", "store"],
                include=["customer", "activity", "last_visit_type", "deal_count", "has_arrears"],
                name="link_store_tag_facts",
            ),
        ]

    def __str__(self):
        return f"{self.customer_id}@{self.store_id}"


class VisitType(models.TextChoices):
    """到访类型. Lives here because the customer summary keeps the last one."""

    FIRST = "first", _("初诊")
    RETURN = "return", _("复诊")
    IN_COURSE = "in_course", _("疗程内")
    CHECKUP = "checkup", _("复查")
    REPURCHASE = "repurchase", _("再消费")


class DealStatus(models.TextChoices):
    """成交标签, from the customer's deal count (a dynamic tag, docs/insight.md)."""

    NONE = "none", _("未成交")
    FIRST = "first", _("首次成交")
    REPEAT = "repeat", _("多次成交")


class MemberActivity(models.TextChoices):
    """会员活跃度 (docs/decisions.md, "Member activity"): kept on the customer's summary."""

    NON_MEMBER = "non_member", _("非会员")
    NEW = "new", _("新会员")
    ACTIVE = "active", _("活跃会员")
    SLEEPING = "sleeping", _("沉睡会员")
    DEEP_SLEEP = "deep_sleep", _("深度睡眠会员")


class ActivitySettings(TimeStampedModel):
    """A chain's member-activity thresholds in days (one row per chain; absent = the defaults,
    from the repurchase window in PRODUCT.md: most repurchases come within 3 months of the first
    deal, a return is unlikely after 6–12 months without one)."""

    DEFAULT_NEW_MEMBER_DAYS = 90
    DEFAULT_SLEEPING_DAYS = 180
    DEFAULT_DEEP_SLEEP_DAYS = 365

    org = models.OneToOneField(
        "org.Organization", on_delete=models.PROTECT, related_name="activity_settings"
    )
    new_member_days = models.PositiveSmallIntegerField(
        _("新会员天数"), default=DEFAULT_NEW_MEMBER_DAYS
    )
    sleeping_days = models.PositiveSmallIntegerField(_("沉睡天数"), default=DEFAULT_SLEEPING_DAYS)
    deep_sleep_days = models.PositiveSmallIntegerField(
        _("深度睡眠天数"), default=DEFAULT_DEEP_SLEEP_DAYS
    )

    class Meta:
        ordering = ["org_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(new_member_days__gte=1)
                & Q(sleeping_days__gt=models.F("new_member_days"))
                & Q(deep_sleep_days__gt=models.F("sleeping_days")),
                name="activity_thresholds_increase",
            )
        ]

    def __str__(self):
        return f"activity thresholds of {self.org_id}"


class CustomerSummary(models.Model):
    """Facts lists filter on, kept current in the same transaction as the fact (a visit, a deal,
    a payment) and rebuildable from history (`manage.py rebuild_customer_summaries`)."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="summary"
    )
    # org leads the summary_org_* indexes.
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT)
    visit_count = models.PositiveIntegerField(default=0)
    first_visit_at = models.DateTimeField(null=True, blank=True)
    last_visit_at = models.DateTimeField(null=True, blank=True)
    last_visit_type = models.CharField(max_length=20, choices=VisitType.choices, blank=True)
    deal_count = models.PositiveIntegerField(default=0)
    first_deal_at = models.DateTimeField(null=True, blank=True)
    # The second deal (复购窗口, docs/marketing.md): when the customer first bought again.
    second_deal_at = models.DateTimeField(null=True, blank=True)
    last_deal_at = models.DateTimeField(null=True, blank=True)
    total_spend_amount = MoneyField()
    arrears_amount = MoneyField()
    open_course_count = models.PositiveIntegerField(default=0)
    # Member activity (yanzhi.customers.activity): the last visit or payment, and the class it
    # gives with the chain's thresholds, moved at once by a visit or a payment and by the daily
    # job as days pass.
    last_active_at = models.DateTimeField(null=True, blank=True)
    activity = models.CharField(
        max_length=20, choices=MemberActivity.choices, default=MemberActivity.NON_MEMBER
    )
    activity_since = models.DateTimeField(null=True, blank=True)
    # The dynamic tags as they stood when the store day began, kept by the day's first visit,
    # deal or payment (customers.tags.TagState): a promotion for 沉睡会员 still applies to the
    # sleeping member who walks in today, although the visit has just woken them.
    day_start_on = models.DateField(null=True, blank=True)
    day_start_tags = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["customer_id"]
        indexes = [
            models.Index(fields=["org", "last_visit_type"], name="summary_org_last_type"),
            models.Index(fields=["org", "last_visit_at"], name="summary_org_last_visit"),
            models.Index(fields=["org", "deal_count"], name="summary_org_deals"),
            # The repurchase window reads a year's first deals with their second deal from
            # the index alone (PostgreSQL; SQLite ignores `include`).
            models.Index(
                fields=["org", "first_deal_at"],
                include=["store", "second_deal_at"],
                name="summary_org_first_deal_2nd",
            ),
            models.Index(
                fields=["org", "store", "first_deal_at"],
                include=["second_deal_at"],
                name="summary_org_store_first_2nd",
            ),
            models.Index(fields=["org", "second_deal_at"], name="summary_org_second_deal"),
            models.Index(fields=["org", "activity"], name="summary_org_activity"),
            models.Index(fields=["org", "store", "activity"], name="summary_org_store_activity"),
            # The store's own customers with their tag facts, from the index alone.
            models.Index(
                fields=["org", "store"],
                include=["customer", "activity", "last_visit_type", "deal_count", "arrears_amount"],
                name="summary_store_tag_facts",
            ),
        ]

    def __str__(self):
        return f"summary of {self.customer_id}"


class PhoneVerification(models.Model):
    """An SMS code sent to confirm a customer's mobile number; only a hash of the code is kept."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="phone_verifications"
    )
    phone = models.CharField(max_length=11)
    code_hash = models.CharField(max_length=128)
    sent_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempt_count = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey("org.Staff", on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["org", "customer", "sent_at"], name="phone_verif_org_customer")
        ]

    def __str__(self):
        return f"{self.customer_id} {self.sent_at:%Y-%m-%d %H:%M}"


class ConsentDocument(TimeStampedModel):
    """A versioned consent text the customer agrees to (medical data and photos; marketing)."""

    class Kind(models.TextChoices):
        MEDICAL = "medical", _("医疗数据与照片")
        MARKETING = "marketing", _("营销信息")

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    version = models.PositiveIntegerField(_("版本"))
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"))
    is_current = models.BooleanField(_("现行版本"), default=True)

    class Meta:
        ordering = ["org_id", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "kind", "version"], name="consent_doc_version_unique"
            ),
            models.UniqueConstraint(
                fields=["org", "kind"], condition=Q(is_current=True), name="consent_doc_one_current"
            ),
        ]

    def __str__(self):
        return f"{self.title} v{self.version}"


class Consent(models.Model):
    """A customer's consent to one version of a consent document; withdrawal keeps the row."""

    class Method(models.TextChoices):
        PAPER = "paper", _("纸质签字")
        SIGNATURE = "signature", _("电子签名")
        VERBAL = "verbal", _("口头同意(已录音)")
        ONLINE = "online", _("线上勾选")

    # org leads consent_org_customer_kind.
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT)
    kind = models.CharField(max_length=20, choices=ConsentDocument.Kind.choices)
    method = models.CharField(
        _("方式"), max_length=20, choices=Method.choices, default=Method.PAPER
    )
    granted_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        "org.Staff", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "org.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [
            models.Index(fields=["org", "customer", "kind"], name="consent_org_customer_kind")
        ]

    def __str__(self):
        return f"{self.customer_id} {self.kind} v{self.document.version}"
