"""API shapes of the reports. Money is a decimal string "1280.00"."""

from datetime import date
from decimal import Decimal

from ninja import Field, Schema


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
