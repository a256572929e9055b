"""The reports of the report centre (报表中心): what the index lists, which policy action opens
each one, which filters it uses, and the function that computes it. A new report (e.g. the
promotion summary in yanzhi/reports/promotions.py) is one more entry here; the page, the Excel
export and the index pick it up. The API has one endpoint per report in yanzhi/reports/api.py."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.utils.translation import gettext_lazy as _

from yanzhi.core.scope import Scope
from yanzhi.org import policy
from yanzhi.reports import durations, followups, queries, reconciliation


@dataclass(frozen=True)
class ReportSpec:
    slug: str
    title: str
    description: str
    action: str
    build: Callable  # (scope, filters) -> Report
    # Which of the shared filters the report offers ("store", "department", "staff").
    uses: tuple[str, ...] = ("store", "department", "staff")
    # Report-specific query parameters (ids), passed in filters.extra.
    extra: tuple[str, ...] = ()


REPORTS: list[ReportSpec] = [
    ReportSpec(
        "visits",
        _("到访报表"),
        _("按到访类型的到访人次,按咨询师和到访类型的成交率"),
        "report.visits",
        queries.visit_report,
    ),
    ReportSpec(
        "item-sales",
        _("项目销售排行"),
        _("按项目和分类的销售数量与金额(扣除退款)"),
        "report.sales",
        queries.item_sales_report,
    ),
    ReportSpec(
        "categories",
        _("分类汇总"),
        _("四级分类逐级汇总销售额,点击分类下钻"),
        "report.sales",
        queries.category_report,
        extra=("parent",),
    ),
    ReportSpec(
        "consultants",
        _("咨询师业绩"),
        _("成交、咨询、治疗、实收业绩和项次"),
        "report.performance",
        queries.performance_report,
    ),
    ReportSpec(
        "online-consultants",
        _("网电咨询师业绩"),
        _("按客户的网电咨询师统计成交、咨询、治疗、实收业绩和项次"),
        "report.performance",
        partial(queries.performance_report, online=True),
    ),
    ReportSpec(
        "doctors",
        _("医生业绩"),
        _("面诊、执行划扣、执行业绩和接诊实收"),
        "report.doctors",
        queries.doctor_report,
    ),
    ReportSpec(
        "stage-durations",
        _("各环节时长"),
        _("到访各环节时长的中位数和P90,对照目标时长"),
        "report.durations",
        durations.duration_report,
        uses=("store",),
    ),
    ReportSpec(
        "followups",
        _("回访完成情况"),
        _("按门店、回访人和项目的回访完成率、接通率和满意度"),
        "followup.stats",
        followups.followup_report,
        uses=("store",),
    ),
    ReportSpec(
        "reconciliation",
        _("销售与收款对账"),
        _("销售额与收款、储值卡、电子券、预约金、退款和欠费的勾稽"),
        "report.finance",
        reconciliation.reconciliation,
        uses=("store",),
    ),
]
BY_SLUG = {spec.slug: spec for spec in REPORTS}


def reports_for(scope: Scope) -> list[ReportSpec]:
    """The reports this viewer may open."""
    if not policy.can(scope, "report.view"):
        return []
    return [spec for spec in REPORTS if policy.can(scope, spec.action)]
