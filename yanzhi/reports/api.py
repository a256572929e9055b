"""/api/v1 endpoints of reports."""

from datetime import date

from ninja import Router

from yanzhi.org import policy
from yanzhi.reports import promotions
from yanzhi.reports.schemas import PromotionReportOut

router = Router(tags=["reports"])


@router.get(
    "/reports/promotions", response=PromotionReportOut, summary="Promotion summary (活动汇总)"
)
def promotion_report(
    request,
    date_from: date | None = None,
    date_to: date | None = None,
    promotion_id: int | None = None,
    store_id: int | None = None,
):
    """Per promotion and item, orders by business date in the period (default: this month):
    quantities, amounts, refunds, customers, new customers and second purchases within 90 days
    (docs/promotions.md). Your scope: HQ the chain, a manager their stores, a consultant the
    orders of their own customers."""
    policy.require(request.scope, "promotion.report")
    filters = promotions.filters_for(
        request.scope,
        date_from=date_from,
        date_to=date_to,
        promotion_id=promotion_id,
        store_id=store_id,
    )
    return {
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "promotion_id": filters.promotion_id,
        "store_id": filters.store_id,
        "promotions": promotions.promotion_summary(request.scope, filters),
    }
