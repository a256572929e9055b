"""Stage durations (各环节时长): how long each step of a visit takes, median and p90 per store,
against the chain's targets.

Percentiles are PostgreSQL's `percentile_cont` (linear interpolation between the two nearest
ranks), computed in SQL: one grouped query per store and one for the whole selection. SQLite has
no percentile aggregate, so there the durations themselves are computed in SQL and read as one
ordered list of numbers (one query, no per-visit queries), and `percentile_cont` is applied to it
in Python with the same interpolation — both databases give the same figures.
"""

from collections import defaultdict
from decimal import Decimal
from math import floor

from django.db import connection
from django.db.models import Aggregate, Case, Count, F, FloatField, Func, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yanzhi.core.scope import Scope
from yanzhi.org import policy
from yanzhi.reports.filters import ReportFilters
from yanzhi.reports.queries import report_settings
from yanzhi.reports.tables import INT, MINUTES, PERCENT, TEXT, Column, Report, Table, percent
from yanzhi.visits.queries import visits_for

# "Within target" tolerates half a second: SQLite's julianday arithmetic is floating point.
HALF_SECOND = 0.5


class Seconds(Func):
    """Seconds from the second timestamp to the first (NULL if either is NULL)."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL
        end, start = (compiler.compile(e) for e in self.source_expressions)
        return f"EXTRACT(EPOCH FROM ({end[0]} - {start[0]}))", [*end[1], *start[1]]

    def as_sqlite(self, compiler, connection, **extra):
        end, start = (compiler.compile(e) for e in self.source_expressions)
        sql = f"((julianday({end[0]}) - julianday({start[0]})) * 86400.0)"
        return sql, [*end[1], *start[1]]


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate; NULLs are ignored."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=fraction, **extra)


# (key, label, the target in the settings)
STAGES = (
    ("reception", gettext_lazy("到店→接待"), "reception_target_minutes"),
    ("diagnosis", gettext_lazy("接待→面诊"), "diagnosis_target_minutes"),
    ("treatment", gettext_lazy("面诊→治疗"), "treatment_target_minutes"),
    ("post_care", gettext_lazy("治疗→术后护理"), "post_care_target_minutes"),
    ("leave", gettext_lazy("→离店"), "leave_target_minutes"),
    ("total", gettext_lazy("全程(到店→离店)"), "total_target_minutes"),
)


def _left_by_staff(expression):
    """A visit closed automatically at the end of the day has no real leaving time."""
    return Case(When(left_automatically=False, then=expression), default=Value(None))


def stage_expressions() -> dict:
    last_before_leaving = Coalesce(
        "post_care_at", "treated_at", "diagnosed_at", "escorted_at", "arrived_at"
    )
    return {
        "reception": Seconds(F("escorted_at"), F("arrived_at")),
        "diagnosis": Seconds(F("diagnosed_at"), F("escorted_at")),
        "treatment": Seconds(F("treated_at"), F("diagnosed_at")),
        "post_care": Seconds(F("post_care_at"), F("treated_at")),
        "leave": _left_by_staff(Seconds(F("left_at"), last_before_leaving)),
        "total": _left_by_staff(Seconds(F("left_at"), F("arrived_at"))),
    }


def percentile_cont(ordered: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont over an ascending list."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower = floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def _minutes(seconds: float | None) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / 60).quantize(Decimal("0.1"))


def _stats_sql(visits, targets: dict, by_store: bool) -> dict:
    """{store_id or None: {stage: (count, median s, p90 s, within target)}} on PostgreSQL."""
    annotated = visits.order_by().annotate(**{f"_{k}": e for k, e in stage_expressions().items()})
    measures = {}
    for key in targets:
        measures[f"{key}_n"] = Count(f"_{key}")
        measures[f"{key}_median"] = PercentileCont(F(f"_{key}"), 0.5)
        measures[f"{key}_p90"] = PercentileCont(F(f"_{key}"), 0.9)
        within = Q(**{f"_{key}__lte": targets[key] * 60 + HALF_SECOND})
        measures[f"{key}_ok"] = Count(f"_{key}", filter=within)
    if by_store:
        rows = list(annotated.values("store_id").annotate(**measures))
    else:
        rows = [annotated.aggregate(**measures)]
    return {
        row.get("store_id"): {
            key: (row[f"{key}_n"], row[f"{key}_median"], row[f"{key}_p90"], row[f"{key}_ok"])
            for key in targets
        }
        for row in rows
    }


def _stats_python(visits, targets: dict) -> tuple[dict, dict]:
    """The same from one ordered list of durations (SQLite)."""
    expressions = stage_expressions()
    values = (
        visits.order_by()
        .annotate(**{f"_{k}": e for k, e in expressions.items()})
        .values_list("store_id", *[f"_{k}" for k in expressions])
        .order_by("store_id")
    )
    per_store: dict = defaultdict(lambda: defaultdict(list))
    chain: dict = defaultdict(list)
    for store_id, *durations in values:
        for key, seconds in zip(expressions, durations, strict=True):
            if seconds is not None:
                seconds = round(seconds, 3)  # julianday arithmetic is floating point
                per_store[store_id][key].append(seconds)
                chain[key].append(seconds)

    def stats(lists) -> dict:
        out = {}
        for key in targets:
            ordered = sorted(lists.get(key, []))
            ok = sum(1 for s in ordered if s <= targets[key] * 60 + HALF_SECOND)
            out[key] = (
                len(ordered),
                percentile_cont(ordered, 0.5),
                percentile_cont(ordered, 0.9),
                ok,
            )
        return out

    return {sid: stats(lists) for sid, lists in per_store.items()}, {None: stats(chain)}


def stage_stats(visits, targets: dict) -> tuple[dict, dict]:
    """(per store, whole selection) → {stage: (count, median s, p90 s, within target)}."""
    if connection.vendor == "postgresql":
        return _stats_sql(visits, targets, True), _stats_sql(visits, targets, False)
    return _stats_python(visits, targets)


def duration_report(scope: Scope, f: ReportFilters) -> Report:
    """Median and p90 of each visit stage per store and for the selection, the target, and the
    share of visits within it. Two queries on PostgreSQL, one on SQLite (plus the settings)."""
    policy.require(scope, "report.durations")
    settings = report_settings(scope)
    targets = {key: getattr(settings, field) for key, _label, field in STAGES}
    visits = visits_for(scope).filter(f.days("day"), store_id__in=f.store_ids)
    per_store, whole = stage_stats(visits, targets)
    columns = [
        Column("store", _("门店"), TEXT),
        Column("stage", _("环节"), TEXT),
        Column("visits", _("到访数"), INT),
        Column("median", _("中位数(分钟)"), MINUTES),
        Column("p90", _("P90(分钟)"), MINUTES),
        Column("target", _("目标(分钟)"), INT),
        Column("within_target", _("达标率(%)"), PERCENT),
    ]

    def rows_for(label: str, stats: dict) -> list[dict]:
        rows = []
        for key, stage_label, _field in STAGES:
            count, median, p90, ok = stats.get(key, (0, None, None, 0))
            rows.append(
                {
                    "store": label,
                    "stage": str(stage_label),
                    "visits": count,
                    "median": _minutes(median),
                    "p90": _minutes(p90),
                    "target": targets[key],
                    "within_target": percent(ok, count),
                }
            )
        return rows

    overall = Table(
        key="overall",
        title=f.store.name if f.store else _("全部门店"),
        columns=columns[1:],
        rows=rows_for("", whole[None]),
        chart=("stage", "median"),
    )
    tables = [overall]
    if len(f.stores) > 1:
        per_store_rows = []
        for store in f.stores:
            per_store_rows += rows_for(store.name, per_store.get(store.pk, {}))
        tables.append(
            Table(key="by_store", title=_("按门店"), columns=columns, rows=per_store_rows)
        )
    return Report(
        slug="stage-durations",
        title=_("各环节时长"),
        filters=f,
        tables=tables,
        notes=[_("中位数与P90为该环节两端时间均已记录的到访;自动离店的到访不计入离店和全程。")],
    )
