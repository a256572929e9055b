"""Follow-up completion (回访完成情况) in the report centre: the follow-up app's own figures
(yanzhi.followups.queries.completion_stats, six queries), over the report filters."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

from yanzhi.core.scope import Scope
from yanzhi.core.timeutil import store_zone
from yanzhi.followups.queries import completion_stats
from yanzhi.org import policy
from yanzhi.reports.filters import ReportFilters
from yanzhi.reports.tables import INT, NUMBER, PERCENT, TEXT, Column, Report, Table, percent


def _satisfaction(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def followup_report(scope: Scope, f: ReportFilters) -> Report:
    """Tasks first due in the period (the store's local days) and the calls made in it, per
    owner, per store and per item (docs/decisions.md, "Completion figures count calls")."""
    policy.require(scope, "followup.stats")
    data = {"by_owner": [], "by_store": [], "by_item": [], "escalations": {}}
    if f.stores:
        zone = store_zone(f.store or f.stores[0])
        start = datetime.combine(f.start, time.min, tzinfo=zone)
        end = datetime.combine(f.end + timedelta(days=1), time.min, tzinfo=zone)
        store_id = f.store.pk if f.store else None
        data = completion_stats(scope, start=start, end=end, store_id=store_id)
    measures = [
        Column("due", _("应回访")),
        Column("done", _("已完成")),
        Column("completion", _("完成率(%)"), PERCENT),
        Column("overdue", _("逾期")),
        Column("calls", _("拨打次数")),
        Column("reached", _("接通")),
        Column("reach_rate", _("接通率(%)"), PERCENT),
        Column("satisfaction", _("平均满意度"), NUMBER),
    ]

    def tidy(rows, name_key, label_key):
        out = []
        for row in rows:
            out.append(
                {
                    label_key: row.get(name_key) or "—",
                    **(
                        {"store": row["store__name"]}
                        if "store__name" in row and label_key != "store"
                        else {}
                    ),
                    "due": row["due"],
                    "done": row["done"],
                    "completion": percent(row["done"], row["due"]),
                    "overdue": row["overdue"],
                    "calls": row["calls"],
                    "reached": row["reached"],
                    "reach_rate": row.get("reach_rate"),
                    "satisfaction": _satisfaction(row["satisfaction"]),
                }
            )
        return out

    by_owner = tidy(data["by_owner"], "owner__name", "owner")
    by_store = tidy(data["by_store"], "store__name", "store")
    by_item = [
        {
            "item": r["item__name"],
            "answers": r["answers"],
            "satisfaction": _satisfaction(r["satisfaction"]),
        }
        for r in data["by_item"]
    ]
    escalations = data["escalations"] or {}
    esc_rows = [
        {
            "count": escalations.get("count") or 0,
            "answered": escalations.get("answered") or 0,
            "late": escalations.get("late") or 0,
            "hours": (
                Decimal(str(escalations["average_response_hours"])).quantize(Decimal("0.1"))
                if escalations.get("average_response_hours") is not None
                else None
            ),
        }
    ]
    return Report(
        slug="followups",
        title=_("回访完成情况"),
        filters=f,
        tables=[
            Table(
                key="by_store",
                title=_("按门店"),
                columns=[Column("store", _("门店"), TEXT), *measures],
                rows=by_store,
                chart=("store", "completion"),
            ),
            Table(
                key="by_owner",
                title=_("按回访人"),
                columns=[
                    Column("owner", _("回访人"), TEXT),
                    Column("store", _("门店"), TEXT),
                    *measures,
                ],
                rows=by_owner,
                chart=("owner", "completion"),
            ),
            Table(
                key="by_item",
                title=_("按项目的满意度"),
                columns=[
                    Column("item", _("项目"), TEXT),
                    Column("answers", _("评价数"), INT),
                    Column("satisfaction", _("平均满意度"), NUMBER),
                ],
                rows=by_item,
            ),
            Table(
                key="escalations",
                title=_("术后异常上报"),
                columns=[
                    Column("count", _("上报数")),
                    Column("answered", _("已处理")),
                    Column("late", _("超时(超过一天)")),
                    Column("hours", _("平均处理时长(小时)"), NUMBER),
                ],
                rows=esc_rows,
            ),
        ],
    )
