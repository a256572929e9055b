"""API shapes of customers, tags, channels and consents. Phones and ID numbers go out masked."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Schema

from yanzhi.core.validators import mask_id_card, mask_phone
from yanzhi.customers.tags import tags_of


class TagIn(Schema):
    name: str
    color: str = "#6c757d"


class TagPatch(Schema):
    name: str | None = None
    color: str | None = None


class TagOut(Schema):
    id: int
    name: str
    color: str


class DynamicTagOut(Schema):
    kind: str  # deal, activity, last_visit, allergy, arrears
    label: str


class ChannelIn(Schema):
    name: str
    kind: str = "other"


class ChannelPatch(Schema):
    name: str | None = None
    kind: str | None = None
    is_active: bool | None = None


class ChannelOut(Schema):
    id: int
    name: str
    kind: str
    is_active: bool


class CustomerIn(Schema):
    store_id: int | None = None
    name: str
    phone: str
    id_card: str = ""
    gender: str = "unknown"
    birth_date: date | None = None
    salutation: str = ""
    source_channel_id: int | None = None
    referrer_id: int | None = None
    consultant_id: int | None = None
    online_consultant_id: int | None = None
    doctor_id: int | None = None
    allergies: str = ""
    notes: str = ""
    tag_ids: list[int] = []
    marketing_consent: bool = False


class CustomerPatch(Schema):
    name: str | None = None
    phone: str | None = None
    id_card: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    salutation: str | None = None
    source_channel_id: int | None = None
    referrer_id: int | None = None
    consultant_id: int | None = None
    online_consultant_id: int | None = None
    doctor_id: int | None = None
    allergies: str | None = None
    notes: str | None = None
    marketing_consent: bool | None = None


class TeamIn(Schema):
    consultant_id: int | None = None
    doctor_id: int | None = None


class CustomerOut(Schema):
    id: int
    member_no: str
    name: str
    salutation: str
    gender: str
    birth_date: date | None
    phone: str
    phone_verified: bool
    id_card: str
    store_id: int
    store_name: str
    source_channel_id: int | None
    referrer_id: int | None
    consultant_id: int | None
    consultant_name: str
    online_consultant_id: int | None
    doctor_id: int | None
    doctor_name: str
    allergies: str
    has_allergy: bool
    notes: str
    marketing_consent: bool
    tags: list[TagOut]
    dynamic_tags: list[DynamicTagOut]
    member_level_id: int | None
    member_level_name: str
    member_level_since: datetime | None
    rolling_spend_amount: Decimal
    created_at: datetime

    @staticmethod
    def resolve_member_level_name(obj):
        return obj.member_level.name if obj.member_level_id else ""

    @staticmethod
    def resolve_phone(obj):
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_id_card(obj):
        return mask_id_card(obj.id_card)

    @staticmethod
    def resolve_store_name(obj):
        return obj.store.name

    @staticmethod
    def resolve_consultant_name(obj):
        return obj.consultant.name if obj.consultant_id else ""

    @staticmethod
    def resolve_doctor_name(obj):
        return obj.doctor.name if obj.doctor_id else ""

    @staticmethod
    def resolve_tags(obj):
        return list(obj.tags.all())

    @staticmethod
    def resolve_dynamic_tags(obj):
        return [{"kind": kind, "label": str(label)} for kind, label in tags_of(obj)]


class CustomerPage(Schema):
    count: int
    items: list[CustomerOut]


class PhoneLookupOut(Schema):
    exists: bool
    masked_phone: str
    name_initial: str
    store_name: str
    consultant_name: str
    customer_id: int | None


class UnmaskIn(Schema):
    field: Literal["phone", "id_card"] = "phone"


class UnmaskOut(Schema):
    field: str
    value: str


class VerificationOut(Schema):
    sent_at: datetime
    expires_at: datetime


class VerificationConfirmIn(Schema):
    code: str


class ConsentIn(Schema):
    kind: str
    method: str = "paper"
    note: str = ""


class ConsentOut(Schema):
    id: int
    customer_id: int
    kind: str
    document_id: int
    document_version: int
    method: str
    granted_at: datetime
    withdrawn_at: datetime | None
    note: str

    @staticmethod
    def resolve_document_version(obj):
        return obj.document.version


class ConsentDocumentIn(Schema):
    kind: str
    title: str
    body: str


class ConsentDocumentOut(Schema):
    id: int
    kind: str
    version: int
    title: str
    body: str
    is_current: bool
    created_at: datetime


class CustomerTagsIn(Schema):
    tag_ids: list[int]


class MembershipLevelIn(Schema):
    name: str
    min_spend_amount: Decimal
    rank: int
    is_active: bool = True


class MembershipLevelPatch(Schema):
    name: str | None = None
    min_spend_amount: Decimal | None = None
    rank: int | None = None
    is_active: bool | None = None


class MembershipLevelOut(Schema):
    id: int
    name: str
    min_spend_amount: Decimal
    rank: int
    is_active: bool


class MembershipProgramIn(Schema):
    window_months: int


class MembershipProgramOut(Schema):
    window_months: int


class ActivitySettingsIn(Schema):
    new_member_days: int
    sleeping_days: int
    deep_sleep_days: int


class ActivitySettingsOut(ActivitySettingsIn):
    pass


class LevelChangeOut(Schema):
    id: int
    from_level_id: int | None
    from_level_name: str
    to_level_id: int | None
    to_level_name: str
    rolling_spend_amount: Decimal
    window_months: int
    reason: str
    changed_at: datetime

    @staticmethod
    def resolve_from_level_name(obj):
        return obj.from_level.name if obj.from_level_id else ""

    @staticmethod
    def resolve_to_level_name(obj):
        return obj.to_level.name if obj.to_level_id else ""
