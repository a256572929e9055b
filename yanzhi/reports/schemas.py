"""API shapes of the report centre. A report is tables of rows keyed by column; money is a
string ("1280.00"), percentages and minutes are numbers, counts integers."""

from datetime import date
from decimal import Decimal
from typing import Any

from ninja import Field, Schema


class ReportIndexOut(Schema):
    slug: str
    title: str
    description: str
    path: str


class ColumnOut(Schema):
    key: str
    label: str
    kind: str


class TableOut(Schema):
    key: str
    title: str
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None = None


class FiltersOut(Schema):
    start: date
    end: date
    store_id: int | None = None
    department_id: int | None = None
    staff_id: int | None = None
    own_only: bool
    parent: int | None = None


class ReportOut(Schema):
    report: str
    title: str
    filters: FiltersOut
    tables: list[TableOut]


class FigureOut(Schema):
    key: str
    label: str
    kind: str
    today: Any = None
    today_before: Any = None
    month: Any = None
    month_before: Any = None


class HomeOut(Schema):
    today: date
    store_id: int | None = None
    figures: list[FigureOut]
    pending_approvals: int
    expiring_cards: int
    expiring_amount: str


class ReportSettingsIn(Schema):
    deal_weight: str | None = None
    consultation_weight: str | None = None
    treatment_weight: str | None = None
    reception_target_minutes: int | None = None
    diagnosis_target_minutes: int | None = None
    treatment_target_minutes: int | None = None
    post_care_target_minutes: int | None = None
    leave_target_minutes: int | None = None
    total_target_minutes: int | None = None


class ReportSettingsOut(Schema):
    deal_weight: str
    consultation_weight: str
    treatment_weight: str
    reception_target_minutes: int
    diagnosis_target_minutes: int
    treatment_target_minutes: int
    post_care_target_minutes: int
    leave_target_minutes: int
    total_target_minutes: int


class PromotionFiguresOut(Schema):
    promotion_id: int
    promotion_name: str
    item_id: int | None = Field(None, description="null on a promotion's total row")
    item_name: str = ""
    quantity: int
    refunded_quantity: int
    amount: Decimal
    refunded_amount: Decimal
    net_amount: Decimal
    customers: int
    new_customers: int = Field(description="customers whose first deal was this promotion's order")
    second_purchase_customers: int = Field(
        description="customers with a later deal within 90 days of the promotion order"
    )


class PromotionSummaryOut(Schema):
    total: PromotionFiguresOut
    items: list[PromotionFiguresOut]


class PromotionReportOut(Schema):
    date_from: date
    date_to: date
    promotion_id: int | None
    store_id: int | None
    promotions: list[PromotionSummaryOut]
