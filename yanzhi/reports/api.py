"""/api/v1 endpoints of reports: the same report functions as the pages, as JSON."""

from datetime import date

from ninja import Query, Router, Schema

from yanzhi.core.money import to_money
from yanzhi.org import policy
from yanzhi.reports import promotions, services
from yanzhi.reports.filters import report_filters
from yanzhi.reports.home import home_figures
from yanzhi.reports.queries import report_settings
from yanzhi.reports.registry import BY_SLUG, reports_for
from yanzhi.reports.schemas import (
    HomeOut,
    PromotionReportOut,
    ReportIndexOut,
    ReportOut,
    ReportSettingsIn,
    ReportSettingsOut,
)
from yanzhi.reports.tables import MONEY, report_json

router = Router(tags=["reports"])


def _run(request, slug: str, **params) -> dict:
    spec = BY_SLUG[slug]
    policy.require(request.scope, "report.view")
    policy.require(request.scope, spec.action)
    values = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in params.items()}
    values = {k: v for k, v in values.items() if v is not None}
    filters = report_filters(request.scope, values, uses=spec.uses, extra=spec.extra)
    return report_json(spec.build(request.scope, filters))


@router.get("/reports", response=list[ReportIndexOut], summary="The reports this viewer may open")
def list_reports(request):
    return [
        {
            "slug": s.slug,
            "title": str(s.title),
            "description": str(s.description),
            "path": f"/api/v1/reports/{s.slug}",
        }
        for s in reports_for(request.scope)
    ]


class PeriodQuery(Schema):
    start: date | None = None
    end: date | None = None
    store_id: int | None = None


class StaffReportQuery(PeriodQuery):
    department_id: int | None = None
    staff_id: int | None = None


class CategoryQuery(StaffReportQuery):
    parent: int | None = None


def _report_endpoint(slug: str, query: type[Schema], name: str, summary: str) -> None:
    """GET /reports/<slug>: the report of that slug with the filters `query` declares."""

    def endpoint(request, filters: Query[query]):
        return _run(request, slug, **filters.dict())

    endpoint.__name__ = name
    router.get(f"/reports/{slug}", response=ReportOut, summary=summary)(endpoint)


for _slug, _query, _name, _summary in (
    ("visits", StaffReportQuery, "visits_report", "Visit report (到访报表)"),
    ("item-sales", StaffReportQuery, "item_sales_report", "Item sales ranking (项目销售排行)"),
    ("categories", CategoryQuery, "category_report", "Category summary (分类汇总)"),
    ("consultants", StaffReportQuery, "consultant_report", "Consultant performance (咨询师业绩)"),
    (
        "online-consultants",
        StaffReportQuery,
        "online_consultant_report",
        "Online-consultant performance (网电咨询师业绩)",
    ),
    ("doctors", StaffReportQuery, "doctor_report", "Doctor performance (医生业绩)"),
    ("stage-durations", PeriodQuery, "stage_duration_report", "Stage durations (各环节时长)"),
    ("followups", PeriodQuery, "followup_report", "Follow-up completion (回访完成情况)"),
    (
        "reconciliation",
        PeriodQuery,
        "reconciliation_report",
        "Sales and cash reconciliation (对账)",
    ),
):
    _report_endpoint(_slug, _query, _name, _summary)


@router.get("/reports/home", response=HomeOut, summary="The manager's home figures (店长首页)")
def manager_home(request, store_id: int | None = None):
    policy.require(request.scope, "report.home")
    params = {"store_id": store_id} if store_id is not None else {}
    home = home_figures(request.scope, report_filters(request.scope, params, uses=("store",)))

    def value(kind, v):
        return str(to_money(v)) if kind == MONEY and v is not None else v

    return {
        "today": home.today,
        "store_id": store_id,
        "figures": [
            {
                "key": f.key,
                "label": str(f.label),
                "kind": f.kind,
                **{w: value(f.kind, f.values[w]) for w in f.values},
            }
            for f in home.figures
        ],
        "pending_approvals": home.pending_approvals,
        "expiring_cards": home.expiring_cards,
        "expiring_amount": str(home.expiring_amount),
    }


def _settings_out(settings) -> dict:
    data = {f: getattr(settings, f) for f in services.FIELDS}
    for f in ("deal_weight", "consultation_weight", "treatment_weight"):
        data[f] = str(data[f])
    return data


@router.get("/reports/settings", response=ReportSettingsOut, summary="Report settings (报表设置)")
def get_settings(request):
    policy.require(request.scope, "report.view")
    return _settings_out(report_settings(request.scope))


@router.put("/reports/settings", response=ReportSettingsOut)
def update_settings(request, data: ReportSettingsIn):
    changes = {k: v for k, v in data.dict().items() if v is not None}
    settings = services.update_report_settings(request.auth.org, by=request.auth, **changes)
    return _settings_out(settings)


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
