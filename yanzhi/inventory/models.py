"""Warehouses and pharmacies, stock levels and the stock ledger.

`StockLevel.quantity` is the balance; `StockMove` is its ledger (one signed row per change), so
every level equals the sum of its moves (`manage.py check_balances`). Levels change only through
`services.move_stock`, a guarded UPDATE.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yanzhi.core.models import TimeStampedModel
from yanzhi.core.money import MoneyField

QUANTITY = {"max_digits": 12, "decimal_places": 3}


class Warehouse(TimeStampedModel):
    """A store's stock room (仓库) or pharmacy (药房)."""

    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse", _("仓库")
        PHARMACY = "pharmacy", _("药房")

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT, related_name="warehouses")
    name = models.CharField(_("名称"), max_length=50)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["org_id", "store_id", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "name"], name="warehouse_name_unique_in_store"
            ),
        ]
        indexes = [models.Index(fields=["org", "store", "kind"], name="warehouse_org_store")]

    def __str__(self):
        return self.name


class StockLevel(models.Model):
    """How much of one item a warehouse has on hand (the balance; negative only under the
    store's "allow with a warning" policy)."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="levels")
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("库存数量"), default=0, **QUANTITY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["warehouse_id", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "item"], name="stock_level_unique"),
        ]
        indexes = [
            models.Index(fields=["org", "warehouse"], name="stock_level_org_warehouse"),
            models.Index(fields=["org", "item"], name="stock_level_org_item"),
        ]

    def __str__(self):
        return f"{self.warehouse_id}/{self.item_id}: {self.quantity}"


class StockMove(models.Model):
    """One change of a stock level (the ledger): who, when, why, signed delta, balance after."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("入库")
        TRANSFER_OUT = "transfer_out", _("调出")
        TRANSFER_IN = "transfer_in", _("调入")
        CONSUMPTION = "consumption", _("消耗")
        COUNT_ADJUSTMENT = "count_adjustment", _("盘点调整")
        RETURN = "return", _("退回")
        SALE = "sale", _("销售出库")
        SALE_RETURN = "sale_return", _("销售退货")

    # org and store are read through the (org, …) indexes below, staff never filtered by (nor
    # deleted). Warehouse and item keep theirs: the stock checks read moves by them alone.
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    store = models.ForeignKey(
        "org.Store", on_delete=models.PROTECT, related_name="+", db_index=False,
    )  # fmt: skip
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="moves")
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    delta = models.DecimalField(_("变动数量"), **QUANTITY)
    quantity_after = models.DecimalField(_("变动后库存"), **QUANTITY)
    # Set when this move took the level below zero under the store's "allow" policy.
    went_negative = models.BooleanField(_("出现负库存"), default=False)
    lot_no = models.CharField(_("批号"), max_length=40, blank=True)
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    unit_cost_amount = MoneyField(_("单位成本"), null=True, blank=True, default=None)
    business_date = models.DateField(_("业务日期"))
    reference = models.CharField(_("关联单据"), max_length=50, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人"),
        db_index=False,
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(delta=0), name="stock_move_nonzero")]
        indexes = [
            models.Index(fields=["org", "item", "lot_no"], name="stock_move_org_lot"),
            models.Index(
                fields=["org", "warehouse", "item", "created_at"], name="stock_move_org_ledger"
            ),
            models.Index(fields=["org", "store", "business_date"], name="stock_move_org_date"),
            models.Index(fields=["org", "reference"], name="stock_move_org_reference"),
            # the chain's ledger (HQ's API), newest first
            models.Index(fields=["org", "created_at"], name="stock_move_org_created"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.item_id} {self.delta:+}"


class StockReceipt(models.Model):
    """A goods receipt (入库单): its lines are the receipt moves with reference receipt:<id>."""

    # org leads receipt_org_store.
    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT, db_index=False)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="receipts")
    business_date = models.DateField(_("业务日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "store", "created_at"], name="receipt_org_store")]

    def __str__(self):
        return f"receipt:{self.pk}"

    @property
    def reference(self) -> str:
        return f"receipt:{self.pk}"


class StockTransfer(models.Model):
    """A transfer (调拨单) between two warehouses, possibly of different stores of the chain.
    Both sides move in one transaction, so a transfer is complete the moment it exists."""

    class Status(models.TextChoices):
        COMPLETED = "completed", _("已完成")

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    from_warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="transfers_out", verbose_name=_("调出仓")
    )
    to_warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="transfers_in", verbose_name=_("调入仓")
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.COMPLETED
    )
    business_date = models.DateField(_("业务日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "created_at"], name="transfer_org_created")]

    def __str__(self):
        return f"transfer:{self.pk}"

    @property
    def reference(self) -> str:
        return f"transfer:{self.pk}"


class StockTransferLine(models.Model):
    transfer = models.ForeignKey(StockTransfer, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("数量"), **QUANTITY)
    lot_no = models.CharField(_("批号"), max_length=40, blank=True)

    class Meta:
        ordering = ["transfer_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transfer_line_positive")
        ]

    def __str__(self):
        return f"{self.item_id} × {self.quantity}"


class StockCount(models.Model):
    """A stock count (盘点单): counted quantities against the book; the differences are posted as
    count-adjustment moves with reference count:<id>."""

    org = models.ForeignKey("org.Organization", on_delete=models.PROTECT)
    store = models.ForeignKey("org.Store", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="counts")
    business_date = models.DateField(_("业务日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "store", "created_at"], name="count_org_store")]

    def __str__(self):
        return f"count:{self.pk}"

    @property
    def reference(self) -> str:
        return f"count:{self.pk}"


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")
    expected_quantity = models.DecimalField(_("账面数量"), **QUANTITY)
    counted_quantity = models.DecimalField(_("实盘数量"), **QUANTITY)

    class Meta:
        ordering = ["count_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["count", "item"], name="count_line_unique_item"),
            models.CheckConstraint(
                condition=Q(counted_quantity__gte=0), name="count_line_counted_non_negative"
            ),
        ]

    def __str__(self):
        return f"{self.item_id}: {self.expected_quantity} → {self.counted_quantity}"

    @property
    def difference(self):
        return self.counted_quantity - self.expected_quantity
