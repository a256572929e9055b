"""Input shape of the catalogue pages; the rules live in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from yanzhi.catalog.models import Item


class ItemForm(forms.Form):
    code = forms.CharField(label=_("编码"), max_length=30)
    name = forms.CharField(label=_("名称"), max_length=100)
    category = forms.IntegerField(label=_("分类"), required=False)
    department = forms.IntegerField(label=_("科室"), required=False)
    order_type = forms.CharField(label=_("订单类型"), max_length=30, required=False)
    unit = forms.CharField(label=_("单位"), max_length=10, required=False)
    spec = forms.CharField(label=_("规格"), max_length=100, required=False)
    price_amount = forms.CharField(label=_("总部定价"), max_length=20)
    material_no = forms.CharField(label=_("物料编号"), max_length=40, required=False)
    track_stock = forms.BooleanField(label=_("库存管理"), required=False)
    card_type = forms.ChoiceField(
        label=_("卡类型"), choices=[("", "—"), *Item.CardType.choices], required=False
    )
    card_value_amount = forms.CharField(label=_("储值金额"), max_length=20, required=False)
    card_sessions = forms.IntegerField(label=_("次数"), required=False)
    card_service = forms.IntegerField(label=_("适用项目"), required=False)
    valid_days = forms.IntegerField(label=_("有效期(天)"), required=False)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea)

    # The fields each kind shows (and sends to the service).
    KIND_FIELDS = {
        "service": ("code", "name", "category", "department", "order_type", "unit", "spec",
                    "price_amount", "valid_days", "description"),
        "product": ("code", "name", "category", "department", "order_type", "unit", "spec",
                    "price_amount", "material_no", "track_stock", "description"),
        "drug": ("code", "name", "category", "department", "order_type", "unit", "spec",
                 "price_amount", "material_no", "track_stock", "description"),
        "package": ("code", "name", "category", "department", "order_type", "unit",
                    "price_amount", "valid_days", "description"),
        "card": ("code", "name", "category", "department", "order_type", "price_amount",
                 "card_type", "card_value_amount", "card_sessions", "card_service",
                 "valid_days", "description"),
    }  # fmt: skip

    def service_kwargs(self, kind: str) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.KIND_FIELDS[kind]}


def item_initial(item: Item) -> dict:
    return {
        "code": item.code,
        "name": item.name,
        "category": item.category_id,
        "department": item.department_id,
        "order_type": item.order_type,
        "unit": item.unit,
        "spec": item.spec,
        "price_amount": f"{item.price_amount:.2f}",
        "material_no": item.material_no,
        "track_stock": item.track_stock,
        "card_type": item.card_type,
        "card_value_amount": ""
        if item.card_value_amount is None
        else f"{item.card_value_amount:.2f}",
        "card_sessions": item.card_sessions,
        "card_service": item.card_service_id,
        "valid_days": item.valid_days,
        "description": item.description,
    }


def lines_from_post(data, item_key: str, qty_key: str) -> list[tuple[str, str]]:
    """Inline rows (package components, materials): pairs of id and quantity; blank rows skipped."""
    items, quantities = data.getlist(item_key), data.getlist(qty_key)
    return [
        (item_id, (quantities[i] if i < len(quantities) else "").strip() or "1")
        for i, item_id in enumerate(items)
        if item_id.strip()
    ]
