"""API shapes of insight: the overview figures, customer scores, scoring settings, segments and
their campaign runs. Money goes out as strings ("1280.00"), phones masked."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ObjectDoesNotExist
from ninja import Schema

from yanzhi.core.validators import mask_phone
from yanzhi.customers.tags import tags_of


class FigureRowOut(Schema):
    key: str
    label: str
    customers: int
    customer_share: Decimal
    spend: Decimal
    spend_share: Decimal


class TypicalItemOut(Schema):
    name: str
    quantity: int


class AgeBandOut(FigureRowOut):
    typical_items: list[TypicalItemOut]

    @staticmethod
    def resolve_typical_items(obj):
        return [{"name": n, "quantity": q} for n, q in obj.extra.get("items", [])]


class OverviewOut(Schema):
    customers: int
    dealing: int
    computed_at: datetime | None
    purchases_since: date | None
    rfm: list[FigureRowOut]
    pyramid: list[FigureRowOut]
    growth: list[FigureRowOut]
    age_bands: list[AgeBandOut]
    departments: list[FigureRowOut]

    @staticmethod
    def resolve_purchases_since(obj):
        return obj.since


class RecomputeOut(Schema):
    customers: int


class SettingsIn(Schema):
    spend_weight: int
    frequency_weight: int
    ticket_weight: int
    class_a_percent: int
    class_b_percent: int


class SettingsOut(SettingsIn):
    scores_computed_on: date | None
    scores_computed_at: datetime | None


class ScoreOut(Schema):
    customer_id: int
    store_id: int
    deal_count: int
    visit_count: int
    total_spend_amount: Decimal
    average_ticket_amount: Decimal
    recency_days: int | None
    r_score: int | None
    f_score: int | None
    m_score: int | None
    rfm_segment: str
    value_score: int | None
    abc_class: str
    growth_type: str
    age_band: str
    computed_at: datetime


class DefinitionIn(Schema):
    deal_statuses: list[str] = []
    activities: list[str] = []
    last_visit_types: list[str] = []
    has_allergy: bool | None = None
    has_arrears: bool | None = None
    rfm_segments: list[str] = []
    abc_classes: list[str] = []
    growth_types: list[str] = []
    age_bands: list[str] = []
    item_ids: list[int] = []
    department_ids: list[int] = []
    member_level_ids: list[int] = []


class SegmentIn(Schema):
    name: str
    store_id: int | None = None  # None: the whole chain (HQ only)
    definition: DefinitionIn = DefinitionIn()


class SegmentOut(Schema):
    id: int
    name: str
    store_id: int | None
    store_name: str
    definition: dict
    created_by_name: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_store_name(obj):
        return obj.store.name if obj.store_id else ""

    @staticmethod
    def resolve_created_by_name(obj):
        return obj.created_by.name


class SegmentPage(Schema):
    count: int
    items: list[SegmentOut]


class MemberOut(Schema):
    id: int
    name: str
    member_no: str
    phone: str
    store_id: int
    store_name: str
    consultant_name: str
    marketing_consent: bool
    dynamic_tags: list[dict]
    rfm_segment: str
    abc_class: str
    value_score: int | None
    total_spend_amount: Decimal

    @staticmethod
    def resolve_phone(obj):
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_store_name(obj):
        return obj.store.name

    @staticmethod
    def resolve_consultant_name(obj):
        return obj.consultant.name if obj.consultant_id else ""

    @staticmethod
    def resolve_dynamic_tags(obj):
        return [{"kind": k, "label": str(label)} for k, label in tags_of(obj)]

    @staticmethod
    def _score(obj):
        try:
            return obj.insight_score
        except ObjectDoesNotExist:  # not scored yet (created since the last computation)
            return None

    @staticmethod
    def resolve_rfm_segment(obj):
        score = MemberOut._score(obj)
        return score.rfm_segment if score else ""

    @staticmethod
    def resolve_abc_class(obj):
        score = MemberOut._score(obj)
        return score.abc_class if score else ""

    @staticmethod
    def resolve_value_score(obj):
        score = MemberOut._score(obj)
        return score.value_score if score else None

    @staticmethod
    def resolve_total_spend_amount(obj):
        return obj.summary.total_spend_amount


class MemberPage(Schema):
    count: int
    items: list[MemberOut]


class SmsReachOut(Schema):
    members: int
    receiving: int
    no_consent: int
    invalid_phone: int


class CampaignIn(Schema):
    kind: Literal["followup", "sms"]
    title: str
    # follow-up campaigns
    owner_role: str = "consultant"
    channel: str = "call"
    script: str = ""
    due_on: date | None = None
    # SMS campaigns ({称呼} is filled per customer)
    text: str = ""


class CampaignOut(Schema):
    id: int
    segment_id: int
    kind: str
    title: str
    text: str
    member_count: int
    created_count: int
    skipped_no_consent_count: int
    skipped_invalid_phone_count: int
    by_name: str
    at: datetime

    @staticmethod
    def resolve_by_name(obj):
        return obj.by.name


class CampaignPage(Schema):
    count: int
    items: list[CampaignOut]
