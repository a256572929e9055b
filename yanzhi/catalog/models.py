"""The chain's catalogue (配置管理): items of five kinds in four-level categories, defined once by
HQ and assigned to stores (主数据下发), each store selling only what it was assigned, at the HQ
price or — with free pricing — its own."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yanzhi.core.models import TimeStampedModel
from yanzhi.core.money import MoneyField

MAX_CATEGORY_DEPTH = 4


class Category(TimeStampedModel):
    """A category node; level 1 has no parent, a level-n node's parent has level n-1 (≤ 4)."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    name = models.CharField(_("分类名称"), max_length=50)
    level = models.PositiveSmallIntegerField(_("层级"))
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["org_id", "level", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "parent", "name"], name="category_name_unique_under_parent"
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=MAX_CATEGORY_DEPTH),
                name="category_level_1_to_4",
            ),
        ]

    def __str__(self):
        return self.name


class Item(TimeStampedModel):
    """Anything the chain sells: a service item, a product, a drug, a package of other items, or
    a card (stored value, or a number of sessions of a service)."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("服务项目")
        PRODUCT = "product", _("商品")
        DRUG = "drug", _("药品")
        PACKAGE = "package", _("套餐")
        CARD = "card", _("卡项")

    class CardType(models.TextChoices):
        STORED_VALUE = "stored_value", _("储值卡")
        SESSIONS = "sessions", _("次卡")

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    code = models.CharField(_("编码"), max_length=30)
    name = models.CharField(_("名称"), max_length=100)
    # Search keys precomputed from the name (光子嫩肤 → guangzinenfu, gznf); see core.search.
    name_pinyin = models.CharField(max_length=200, editable=False, blank=True)
    name_initials = models.CharField(max_length=60, editable=False, blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("分类")
    )
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("科室")
    )
    order_type = models.CharField(
        _("订单类型"), max_length=30, blank=True, help_text=_("如:医美、生活美容、口腔")
    )
    unit = models.CharField(_("单位"), max_length=10, default="次")
    spec = models.CharField(_("规格"), max_length=100, blank=True)
    price_amount = MoneyField(_("总部定价"))
    # Products and drugs are physical: stock-tracked by material number (物料编号).
    material_no = models.CharField(_("物料编号"), max_length=40, blank=True)
    track_stock = models.BooleanField(_("库存管理"), default=False)
    # Cards: a stored-value card credits `card_value_amount`; a session card grants
    # `card_sessions` sessions of `card_service`. Both expire `valid_days` after sale.
    card_type = models.CharField(_("卡类型"), max_length=20, choices=CardType.choices, blank=True)
    card_value_amount = MoneyField(_("储值金额"), null=True, blank=True, default=None)
    card_sessions = models.PositiveIntegerField(_("次数"), null=True, blank=True)
    card_service = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("适用项目"),
    )
    valid_days = models.PositiveIntegerField(_("有效期(天)"), null=True, blank=True)
    description = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["org_id", "kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["org", "code"], name="item_code_unique_in_org"),
            models.UniqueConstraint(
                fields=["org", "material_no"],
                condition=~Q(material_no=""),
                name="item_material_no_unique_in_org",
            ),
            models.CheckConstraint(
                condition=Q(price_amount__gte=0), name="item_price_non_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["org", "kind", "is_active"], name="item_org_kind"),
            models.Index(fields=["org", "category"], name="item_org_category"),
            models.Index(fields=["org", "material_no"], name="item_org_material"),
            models.Index(fields=["org", "name_initials"], name="item_org_initials"),
        ]

    def __str__(self):
        return self.name


class PackageComponent(models.Model):
    """One item inside a package (套餐), with its quantity; a sold package expands into these."""

    package = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="components")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("数量"), default=1)

    class Meta:
        ordering = ["package_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["package", "item"], name="package_component_unique"),
        ]

    def __str__(self):
        return f"{self.package_id}: {self.item_id} × {self.quantity}"


class MaterialUsage(models.Model):
    """Materials one session of a service item consumes from stock (e.g. 0.5 支 of a filler)."""

    service = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("用量"), max_digits=10, decimal_places=3)

    class Meta:
        ordering = ["service_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "material"], name="material_usage_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="material_usage_positive"),
        ]

    def __str__(self):
        return f"{self.service_id}: {self.material_id} × {self.quantity}"


class StoreItem(TimeStampedModel):
    """An item assigned to a store. Without free pricing the store sells at the HQ price;
    with it, at its own `price_amount`."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT, related_name="items")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="store_items")
    free_pricing = models.BooleanField(_("门店自由定价"), default=False)
    price_amount = MoneyField(_("门店价格"), null=True, blank=True, default=None)
    is_active = models.BooleanField(_("在售"), default=True)

    class Meta:
        ordering = ["store_id", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "item"], name="store_item_unique"),
        ]
        indexes = [models.Index(fields=["org", "store", "is_active"], name="store_item_org_store")]

    def __str__(self):
        return f"{self.store_id}: {self.item_id}"


class Promotion(TimeStampedModel):
    """A promotion (活动): some items at a promotional price, from `start_date` to `end_date`
    (store-local business dates, both inclusive), in some stores (`all_stores`: every store of
    the chain) for the customers carrying the target's dynamic tags (yanzhi.customers.tags;
    empty = everyone) and, optionally, holding one of `member_levels`. Ended (结束) promotions
    stay for history. Rules: yanzhi.catalog.promotion_services; definitions: docs/promotions.md."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    name = models.CharField(_("活动名称"), max_length=100)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    all_stores = models.BooleanField(_("全部门店"), default=True)
    stores = models.ManyToManyField(
        "org.Store", blank=True, related_name="+", verbose_name=_("适用门店")
    )
    # The TagFilter's JSON form (TagFilter.as_dict); {} = every customer.
    target_tags = models.JSONField(_("活动对象标签"), default=dict, blank=True)
    member_levels = models.ManyToManyField(
        "customers.MembershipLevel", blank=True, related_name="+", verbose_name=_("会员等级")
    )
    description = models.CharField(_("活动说明"), max_length=200, blank=True)
    is_active = models.BooleanField(_("进行中"), default=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    created_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["org_id", "-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="promotion_end_not_before_start",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "is_active", "end_date"], name="promotion_org_active"),
        ]

    def __str__(self):
        return self.name


class PromotionItem(models.Model):
    """One item of a promotion at its promotional price, with an optional limit of units per
    customer (counted over paid, non-refunded units)."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    price_amount = MoneyField(_("活动价"))
    limit_per_customer = models.PositiveIntegerField(_("每人限购"), null=True, blank=True)

    class Meta:
        ordering = ["promotion_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["promotion", "item"], name="promotion_item_unique"),
            models.CheckConstraint(
                condition=Q(price_amount__gte=0), name="promotion_price_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(limit_per_customer__isnull=True) | Q(limit_per_customer__gte=1),
                name="promotion_limit_positive",
            ),
        ]

    def __str__(self):
        return f"{self.promotion_id}: {self.item_id} @ {self.price_amount}"
