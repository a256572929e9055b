"""Dynamic tags (动态标签): facts about a customer that are always current because they are read
from the customer's summary row (kept in the same transaction as the visit, deal or payment that
changes them) and the customer record, never stored as tags that could go stale.

The tags: deal status (未成交 / 首次成交 / 多次成交), member activity (新会员, 活跃, 沉睡, 深度睡眠;
thresholds per clinic), allergy (有过敏史), arrears (有欠费), last visit type (初诊, 复诊, 复查 …).

A `TagFilter` selects customers by them. The same filter is used by the customer list, follow-up
rules, promotions and saved segments: `filter_customers` is the SQL form (for lists and bulk work),
`matches` the in-memory form (for one customer inside a transaction), and the two must agree
(tested with hypothesis)."""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from yanzhi.core.errors import BusinessError
from yanzhi.customers.models import (
    Customer,
    CustomerSummary,
    DealStatus,
    MemberActivity,
    VisitType,
)


@dataclass(frozen=True)
class TagFilter:
    """Empty lists and None mean "any". Within one tag the values are alternatives (OR); the
    tags combine with AND ("沉睡会员 whose last visit was 复查")."""

    deal_statuses: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()
    last_visit_types: tuple[str, ...] = ()
    has_allergy: bool | None = None
    has_arrears: bool | None = None
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_empty(self) -> bool:
        return not (
            self.deal_statuses
            or self.activities
            or self.last_visit_types
            or self.has_allergy is not None
            or self.has_arrears is not None
        )

    @property
    def reads_facts(self) -> bool:
        """Whether it asks about the summary's facts (all but the allergy tag)."""
        return bool(
            self.deal_statuses
            or self.activities
            or self.last_visit_types
            or self.has_arrears is not None
        )

    def as_dict(self) -> dict:
        """The JSON form stored on rules, promotions and segments."""
        return {
            "deal_statuses": list(self.deal_statuses),
            "activities": list(self.activities),
            "last_visit_types": list(self.last_visit_types),
            "has_allergy": self.has_allergy,
            "has_arrears": self.has_arrears,
        }


def tag_filter_from(data: dict | None) -> TagFilter:
    """Validate a filter given as a dict (a form's cleaned data, a JSON body or a stored JSON
    value); unknown values raise BusinessError naming the field."""
    data = data or {}
    fields = {}

    def values(name, allowed, message):
        chosen = list(dict.fromkeys(data.get(name) or ()))
        if set(chosen) - set(allowed):
            fields[name] = [message]
        return tuple(chosen)

    def flag(name):
        value = data.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "true", "yes"):
            return True
        if str(value).lower() in ("0", "false", "no"):
            return False
        fields[name] = [_("只能是“是”或“否”")]
        return None

    result = TagFilter(
        deal_statuses=values("deal_statuses", DealStatus.values, _("成交标签无效")),
        activities=values("activities", MemberActivity.values, _("会员活跃度无效")),
        last_visit_types=values("last_visit_types", VisitType.values, _("到访类型无效")),
        has_allergy=flag("has_allergy"),
        has_arrears=flag("has_arrears"),
    )
    if fields:
        raise BusinessError("invalid", _("标签条件有误"), fields=fields)
    return result


def deal_status_of(summary) -> str:
    """未成交 / 首次成交 / 多次成交 of a summary (or a TagState)."""
    deals = summary.deal_count if summary else 0
    return DealStatus.NONE if deals == 0 else DealStatus.FIRST if deals == 1 else DealStatus.REPEAT


def _summary(customer: Customer) -> CustomerSummary | None:
    try:
        return customer.summary
    except CustomerSummary.DoesNotExist:
        return None


@dataclass(frozen=True)
class TagState:
    """The summary facts the dynamic tags come from, now or as a store day began."""

    deal_count: int = 0
    activity: str = MemberActivity.NON_MEMBER
    last_visit_type: str = ""
    has_arrears: bool = False

    @classmethod
    def of(cls, summary: CustomerSummary | None) -> "TagState":
        if summary is None:
            return cls()
        return cls(
            deal_count=summary.deal_count,
            activity=summary.activity,
            last_visit_type=summary.last_visit_type,
            has_arrears=summary.arrears_amount > 0,
        )

    def as_dict(self) -> dict:
        return {
            "deal_count": self.deal_count,
            "activity": self.activity,
            "last_visit_type": self.last_visit_type,
            "has_arrears": self.has_arrears,
        }


def tag_state(customer: Customer, *, as_of=None) -> TagState:
    """The customer's tag facts now, or (with `as_of`, a store-local date) as that day began:
    the day's first visit, deal or payment kept them (`customers.services._keep_day_start`);
    with no such change that day, the current facts are also the day's first ones."""
    summary = _summary(customer)
    if as_of is not None and summary is not None and summary.day_start_on == as_of:
        kept = summary.day_start_tags or {}
        return TagState(
            deal_count=kept.get("deal_count", 0),
            activity=kept.get("activity", MemberActivity.NON_MEMBER),
            last_visit_type=kept.get("last_visit_type", ""),
            has_arrears=bool(kept.get("has_arrears", False)),
        )
    return TagState.of(summary)


def matches(customer: Customer, tags: TagFilter, *, as_of=None) -> bool:
    """Whether one customer carries the tags (reads customer.summary; select_related it), now
    or, with `as_of`, as that store day began (see `tag_state`)."""
    if tags.has_allergy is not None and bool(customer.allergies.strip()) != tags.has_allergy:
        return False
    return facts_match(tag_state(customer, as_of=as_of), tags)


def facts_match(state: TagState, tags: TagFilter) -> bool:
    """Whether tag facts carry the tags (all but the allergy tag, a fact of the customer)."""
    if tags.deal_statuses and deal_status_of(state) not in tags.deal_statuses:
        return False
    if tags.activities and state.activity not in tags.activities:
        return False
    if tags.last_visit_types and state.last_visit_type not in tags.last_visit_types:
        return False
    if tags.has_arrears is not None and state.has_arrears != tags.has_arrears:
        return False
    return True


def facts_q(tags: TagFilter, *, owing: Q) -> Q:
    """The tags (but allergy) as a condition on rows carrying the facts as columns — a summary
    or a store link (CustomerStoreLink.TAG_FACTS); `owing`: the row's "has arrears"."""
    condition = Q()
    if tags.deal_statuses:
        deals = Q(pk__in=[])
        if DealStatus.NONE in tags.deal_statuses:
            deals |= Q(deal_count=0)
        if DealStatus.FIRST in tags.deal_statuses:
            deals |= Q(deal_count=1)
        if DealStatus.REPEAT in tags.deal_statuses:
            deals |= Q(deal_count__gte=2)
        condition &= deals
    if tags.activities:
        condition &= Q(activity__in=tags.activities)
    if tags.last_visit_types:
        condition &= Q(last_visit_type__in=tags.last_visit_types)
    if tags.has_arrears is not None:
        condition &= owing if tags.has_arrears else ~owing
    return condition


def filter_customers(customers: QuerySet[Customer], tags: TagFilter) -> QuerySet[Customer]:
    """`customers` narrowed to those carrying the tags, in SQL (the summary row joins one to
    one; its indexes lead with org)."""
    if tags.deal_statuses:
        match = Q(pk__in=[])
        if DealStatus.NONE in tags.deal_statuses:
            match |= Q(summary__isnull=True) | Q(summary__deal_count=0)
        if DealStatus.FIRST in tags.deal_statuses:
            match |= Q(summary__deal_count=1)
        if DealStatus.REPEAT in tags.deal_statuses:
            match |= Q(summary__deal_count__gte=2)
        customers = customers.filter(match)
    if tags.activities:
        match = Q(summary__activity__in=tags.activities)
        if MemberActivity.NON_MEMBER in tags.activities:
            match |= Q(summary__isnull=True)
        customers = customers.filter(match)
    if tags.last_visit_types:
        customers = customers.filter(summary__last_visit_type__in=tags.last_visit_types)
    if tags.has_allergy is not None:
        blank = Q(allergies="")
        customers = customers.exclude(blank) if tags.has_allergy else customers.filter(blank)
    if tags.has_arrears is not None:
        owing = Q(summary__arrears_amount__gt=0)
        customers = customers.filter(owing) if tags.has_arrears else customers.exclude(owing)
    return customers


def tags_of(customer: Customer) -> list[tuple[str, str]]:
    """The customer's dynamic tags as (kind, label) pairs for display, e.g.
    [("deal", "首次成交"), ("activity", "沉睡会员"), ("last_visit", "复查"), ("arrears", "有欠费")]."""
    return tag_pairs(TagState.of(_summary(customer)), allergic=bool(customer.allergies.strip()))


def tag_pairs(state: "TagState", *, allergic: bool) -> list[tuple[str, str]]:
    """tags_of for the facts `state` (a summary's, or none's) and the allergy mark."""
    shown = [("deal", DealStatus(deal_status_of(state)).label)]
    shown.append(("activity", MemberActivity(state.activity).label))
    if state.last_visit_type:
        shown.append(("last_visit", VisitType(state.last_visit_type).label))
    if allergic:
        shown.append(("allergy", _("有过敏史")))
    if state.has_arrears:
        shown.append(("arrears", _("有欠费")))
    return shown
