"""A segment's definition (客群条件) and its members.

A definition is one flat dict, stored as JSON on `Segment.definition` and posted as it is by the
form and the API: the dynamic tags of `yanzhi.customers.tags` (deal_statuses, activities,
last_visit_types, has_allergy, has_arrears) plus the insight conditions below. Empty lists mean
"any"; values within one condition are alternatives; the conditions combine with AND. Scores
(RFM segment, class, growth type, age band) are read from the last computation (CustomerScore)."""

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yanzhi.catalog.models import Item
from yanzhi.core.errors import BusinessError
from yanzhi.core.scope import Scope
from yanzhi.customers.models import Customer, MembershipLevel
from yanzhi.customers.queries import customers_for
from yanzhi.customers.tags import TagFilter, filter_customers, tag_filter_from
from yanzhi.insight.models import AbcClass, AgeBand, GrowthType, RfmSegment
from yanzhi.org.models import Department
from yanzhi.sales.models import Order, OrderLine

CHOICE_FIELDS = {
    "rfm_segments": (RfmSegment, gettext_lazy("RFM分群无效")),
    "abc_classes": (AbcClass, gettext_lazy("客户价值等级无效")),
    "growth_types": (GrowthType, gettext_lazy("成长类型无效")),
    "age_bands": (AgeBand, gettext_lazy("年龄段无效")),
}
ID_FIELDS = ("item_ids", "department_ids", "member_level_ids")
MAX_IDS = 200


@dataclass(frozen=True)
class Definition:
    tags: TagFilter = TagFilter()
    rfm_segments: tuple[str, ...] = ()
    abc_classes: tuple[str, ...] = ()
    growth_types: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    item_ids: tuple[int, ...] = ()
    department_ids: tuple[int, ...] = ()
    member_level_ids: tuple[int, ...] = ()

    def as_dict(self) -> dict:
        return {
            **self.tags.as_dict(),
            "rfm_segments": list(self.rfm_segments),
            "abc_classes": list(self.abc_classes),
            "growth_types": list(self.growth_types),
            "age_bands": list(self.age_bands),
            "item_ids": list(self.item_ids),
            "department_ids": list(self.department_ids),
            "member_level_ids": list(self.member_level_ids),
        }

    @property
    def is_empty(self) -> bool:
        return self.tags.is_empty and not any(
            getattr(self, name) for name in [*CHOICE_FIELDS, *ID_FIELDS]
        )


def _listed(value) -> list:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [v for v in value.split(",") if v.strip()]
    return list(value)


def definition_from(data: dict | None, *, org_id: int) -> Definition:
    """Validate a definition (a form's data, a JSON body, a stored value). Unknown values and
    ids of another chain raise BusinessError naming the field; nothing is guessed."""
    data = data or {}
    fields: dict[str, list] = {}
    try:
        tags = tag_filter_from(data)
    except BusinessError as error:
        fields.update(error.fields)
        tags = TagFilter()
    chosen = {}
    for name, (choices, message) in CHOICE_FIELDS.items():
        values = list(dict.fromkeys(str(v) for v in _listed(data.get(name))))
        if set(values) - set(choices.values):
            fields[name] = [message]
        chosen[name] = tuple(values)
    known = {
        "item_ids": (Item.objects.filter(org_id=org_id), _("项目不存在")),
        "department_ids": (Department.objects.filter(org_id=org_id), _("科室不存在")),
        "member_level_ids": (MembershipLevel.objects.filter(org_id=org_id), _("会员等级不存在")),
    }
    for name, (rows, message) in known.items():
        try:
            ids = tuple(dict.fromkeys(int(v) for v in _listed(data.get(name))))
        except (TypeError, ValueError):
            fields[name] = [message]
            continue
        if len(ids) > MAX_IDS:
            fields[name] = [_("最多选择200个")]
        elif ids and rows.filter(pk__in=ids).count() != len(ids):
            fields[name] = [message]
        chosen[name] = ids
    if fields:
        raise BusinessError("invalid", _("客群条件有误"), fields=fields, status=422)
    return Definition(tags=tags, **chosen)


def bought(*, item_ids=(), department_ids=()) -> Exists:
    """The customer has a paid order with a line (not fully refunded) of one of the items or of
    an item of one of the departments."""
    lines = OrderLine.objects.filter(
        order__customer_id=OuterRef("pk"),
        order__status=Order.Status.PAID,
        quantity__gt=F("refunded_quantity"),
    )
    if item_ids:
        lines = lines.filter(item_id__in=item_ids)
    if department_ids:
        lines = lines.filter(item__department_id__in=department_ids)
    return Exists(lines)


def filter_members(customers: QuerySet[Customer], definition: Definition) -> QuerySet[Customer]:
    """`customers` narrowed to those the definition selects (SQL; one query when evaluated)."""
    qs = filter_customers(customers, definition.tags)
    if definition.rfm_segments:
        qs = qs.filter(insight_score__rfm_segment__in=definition.rfm_segments)
    if definition.abc_classes:
        qs = qs.filter(insight_score__abc_class__in=definition.abc_classes)
    if definition.growth_types:
        qs = qs.filter(insight_score__growth_type__in=definition.growth_types)
    if definition.age_bands:
        qs = qs.filter(insight_score__age_band__in=definition.age_bands)
    if definition.item_ids:
        qs = qs.filter(bought(item_ids=definition.item_ids))
    if definition.department_ids:
        qs = qs.filter(bought(department_ids=definition.department_ids))
    if definition.member_level_ids:
        qs = qs.filter(member_level_id__in=definition.member_level_ids)
    return qs


def members(scope: Scope, definition: Definition, *, store_id: int | None) -> QuerySet[Customer]:
    """The members the viewer may see: inside their customer scope, of the segment's store (its
    home-store customers) or of the chain, best customers first."""
    qs = customers_for(scope)
    if store_id is not None:
        qs = qs.filter(store_id=store_id)
    qs = filter_members(qs, definition)
    return qs.select_related("store", "consultant", "summary", "insight_score").order_by(
        F("insight_score__value_score").desc(nulls_last=True), "pk"
    )
