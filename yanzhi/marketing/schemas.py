"""API shapes of marketing (In/Out pairs). Money is a string ("1280.00"), phones are masked;
figures are defined in docs/marketing.md."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Schema

from yanzhi.core.validators import mask_phone


class Ref(Schema):
    id: int
    name: str


class CustomerRef(Schema):
    id: int
    name: str
    member_no: str
    masked_phone: str

    @staticmethod
    def resolve_masked_phone(obj) -> str:
        return mask_phone(obj.phone)


# --- repurchase window ---------------------------------------------------------------------------
class WindowShareOut(Schema):
    months: int
    closed: int
    repurchased: int
    open: int
    share_percent: Decimal | None

    @staticmethod
    def resolve_share_percent(obj):
        return obj.share


class CurveMonthOut(Schema):
    month: int
    count: int
    closed: int
    repurchased: int
    share_percent: Decimal | None

    @staticmethod
    def resolve_share_percent(obj):
        return obj.share


class RepurchaseWindowOut(Schema):
    start: date
    end: date
    store_id: int | None
    customers: int
    repurchased: int
    later: int
    windows: list[WindowShareOut]
    curve: list[CurveMonthOut]


class CandidateOut(Schema):
    customer: CustomerRef
    store: Ref
    consultant: Ref | None
    first_deal_at: datetime
    window_months: int
    window_ends_at: datetime
    days_left: int
    total_spend_amount: Decimal


class CandidatePage(Schema):
    count: int
    items: list[CandidateOut]


class RepurchaseFollowupsIn(Schema):
    customer_ids: list[int] | None = None
    all: bool = False
    title: str = ""
    store_id: int | None = None
    window: int | None = None
    due_on: date | None = None


class CreatedOut(Schema):
    created: int


# --- channels ------------------------------------------------------------------------------------
class ChannelStatsRow(Schema):
    channel_id: int | None
    name: str
    arrivals: int
    first_arrivals: int
    verifications: int
    verification_amount: Decimal
    first_deals: int
    second_deals: int
    repurchases: int
    repurchase_amount: Decimal
    revenue: Decimal
    cost: Decimal
    roi_percent: Decimal | None


class ChannelStatsOut(Schema):
    start: date
    end: date
    store_id: int | None
    channels: list[ChannelStatsRow]
    total: ChannelStatsRow


class ChannelCostIn(Schema):
    channel_id: int
    month: date
    amount: Decimal
    store_id: int | None = None
    note: str = ""


class ChannelCostOut(Schema):
    id: int
    channel: Ref
    store: Ref | None
    month: date
    amount: Decimal
    note: str
    updated_at: datetime


class ChannelCostPage(Schema):
    count: int
    items: list[ChannelCostOut]


class RedemptionIn(Schema):
    customer_id: int
    channel_id: int
    code: str
    item_id: int
    settlement_amount: Decimal
    store_id: int | None = None


class RedemptionOut(Schema):
    id: int
    store: Ref
    channel: Ref
    code: str
    item: Ref
    settlement_amount: Decimal
    customer: CustomerRef
    status: str
    verified_by: Ref
    verified_at: datetime
    business_date: date
    reversed_at: datetime | None
    reverse_reason: str


class RedemptionPage(Schema):
    count: int
    items: list[RedemptionOut]


class ReverseIn(Schema):
    reason: str


# --- referrals -----------------------------------------------------------------------------------
class ReferralNodeOut(Schema):
    customer: CustomerRef
    level: int
    store: Ref
    created_at: datetime
    deal_count: int
    total_spend_amount: Decimal
    children: list["ReferralNodeOut"]


class ReferralTreeOut(Schema):
    customer: CustomerRef
    levels: int
    count: int
    deal_count: int
    spend_amount: Decimal
    referred: list[ReferralNodeOut]


class ReferralCountOut(Schema):
    id: int | None
    name: str
    referred: int
    dealt: int
    spend_amount: Decimal


class ReferralItemOut(Schema):
    item: Ref
    customers: int
    quantity: int
    amount: Decimal


class ReferralStatsOut(Schema):
    start: date
    end: date
    store_id: int | None
    by_referrer: list[ReferralCountOut]
    by_consultant: list[ReferralCountOut]
    by_doctor: list[ReferralCountOut]
    by_item: list[ReferralItemOut]
