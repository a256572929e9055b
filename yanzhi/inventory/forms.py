"""Form shapes for the stock pages; the rules are in inventory.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yanzhi.inventory.models import StockMove, Warehouse

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
QUANTITY = {"max_digits": 12, "decimal_places": 3}


def _warehouse_label(warehouse: Warehouse) -> str:
    return f"{warehouse.store.name} · {warehouse.name}"


class WarehouseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _warehouse_label(obj)


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}" + (f"({obj.material_no})" if obj.material_no else "")


class WarehouseForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=50)
    kind = forms.ChoiceField(label=_("类型"), choices=Warehouse.Kind.choices)


class ReceiptForm(forms.Form):
    warehouse = WarehouseChoiceField(label=_("入库仓"), queryset=None)
    business_date = forms.DateField(label=_("业务日期"), widget=DATE)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, warehouses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses


class TransferForm(forms.Form):
    from_warehouse = WarehouseChoiceField(label=_("调出仓"), queryset=None)
    to_warehouse = WarehouseChoiceField(label=_("调入仓"), queryset=None)
    business_date = forms.DateField(label=_("业务日期"), widget=DATE)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, warehouses, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_warehouse"].queryset = warehouses
        self.fields["to_warehouse"].queryset = targets


class LineForm(forms.Form):
    """One line of a receipt or transfer; a line without an item is left out."""

    item = ItemChoiceField(label=_("物品"), queryset=None, required=False)
    quantity = forms.DecimalField(label=_("数量"), required=False, **QUANTITY)
    lot_no = forms.CharField(label=_("批号"), max_length=40, required=False)
    expires_on = forms.DateField(label=_("有效期至"), required=False, widget=DATE)
    unit_cost = forms.DecimalField(
        label=_("单位成本"), required=False, max_digits=12, decimal_places=2
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        for name, field in self.fields.items():
            css = "form-select" if name == "item" else "form-control"
            field.widget.attrs.update(
                {"class": f"{css} form-control-sm", "aria-label": field.label}
            )

    def clean(self):
        data = super().clean()
        if data.get("item") and data.get("quantity") is None:
            self.add_error("quantity", _("请输入数量"))
        return data


LineFormSet = forms.formset_factory(LineForm, extra=5)


class CountForm(forms.Form):
    business_date = forms.DateField(label=_("业务日期"), widget=DATE)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class MoveFilterForm(forms.Form):
    warehouse = WarehouseChoiceField(label=_("仓库"), queryset=None, required=False)
    item = ItemChoiceField(label=_("物品"), queryset=None, required=False)
    kind = forms.ChoiceField(
        label=_("类型"), choices=[("", _("全部"))] + StockMove.Kind.choices, required=False
    )
    lot_no = forms.CharField(label=_("批号"), max_length=40, required=False)
    date_from = forms.DateField(label=_("从"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("到"), required=False, widget=DATE)

    def __init__(self, *args, warehouses, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses
        self.fields["item"].queryset = items
