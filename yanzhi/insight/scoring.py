"""Computing the customer scores (docs/insight.md is the definition; keep the two in step).

`refresh_scores(org, day=…)` rebuilds `CustomerScore` for the whole chain in three SQL statements,
whatever the number of customers: delete the chain's rows, insert one row per customer from
`CustomerSummary` + `Customer.birth_date` (facts, recency, age band, growth type), then rank the
customers with at least one deal with window functions (RANK, COUNT OVER) and write R/F/M, the
RFM segment, the value score and the A/B/C class. Plain SQL that runs on SQLite (≥ 3.33, for
UPDATE … FROM) and PostgreSQL; the one vendor difference, the store-local date of a moment, is in
`_local_days_since`. Two more statements rebuild the overview's purchase totals of the year
(`BandItemTotal`, `DepartmentTotal`) from the new rows' age bands and home stores.

Ranking uses ties fairly: a customer's score counts only the customers strictly below them, so
two customers with the same spend always get the same M score and the same class.
"""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from yanzhi.catalog.models import Item
from yanzhi.core.timeutil import store_today
from yanzhi.customers.models import Customer, CustomerSummary, MemberActivity
from yanzhi.insight.models import (
    AgeBand,
    BandItemTotal,
    CustomerScore,
    DepartmentTotal,
    GrowthType,
    InsightSettings,
    RfmSegment,
)
from yanzhi.org.models import Organization, Store
from yanzhi.sales.models import Order, OrderLine

# The overview's purchases: paid orders of the year up to the scores' day.
PURCHASE_DAYS = 365

# A score of 3, 4 or 5 is "high" (the customer is not in the lowest two fifths).
HIGH_SCORE = 3
LOYAL_MIN_DEALS = 3
LOYAL_MIN_DAYS = 365
FAST_GROWING_MIN_DEALS = 2
FAST_GROWING_MAX_DAYS = 365
SLEEPING_ACTIVITIES = (MemberActivity.SLEEPING, MemberActivity.DEEP_SLEEP)

# (R high, F high, M high) -> segment
SEGMENTS = {
    (True, True, True): RfmSegment.IMPORTANT_VALUE,
    (True, False, True): RfmSegment.IMPORTANT_DEVELOP,
    (False, True, True): RfmSegment.IMPORTANT_KEEP,
    (False, False, True): RfmSegment.IMPORTANT_RETAIN,
    (True, True, False): RfmSegment.GENERAL_VALUE,
    (True, False, False): RfmSegment.GENERAL_DEVELOP,
    (False, True, False): RfmSegment.GENERAL_KEEP,
    (False, False, False): RfmSegment.GENERAL_RETAIN,
}


def settings_of(org_id: int) -> InsightSettings:
    """The chain's weights and class thresholds; an unsaved row with the defaults if never set."""
    return InsightSettings.objects.filter(org_id=org_id).first() or InsightSettings(org_id=org_id)


def as_of_day(org: Organization) -> date:
    """The chain's "today" for scoring: the local day of its first store."""
    store = Store.objects.filter(org=org).order_by("pk").first()
    return store_today(store) if store else timezone.localdate()


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _local_days_since(column: str, day: date, stores_by_tz: dict[str, list[int]]):
    """SQL for `day` − the store-local date of the moment in `column` (whole days; NULL when the
    column is NULL). One branch per timezone of the chain's stores."""
    branches, params = [], []
    for tzname, store_ids in stores_by_tz.items():
        if connection.vendor == "postgresql":
            expr = f"(CAST(%s AS date) - CAST(({column} AT TIME ZONE %s) AS date))"
            expr_params = [day, tzname]
        else:  # SQLite keeps UTC text; shift by the zone's offset on that day
            offset = timezone.datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(tzname))
            minutes = int(offset.utcoffset().total_seconds() // 60)
            expr = f"CAST(julianday(%s) - julianday(date({column}, %s)) AS INTEGER)"
            expr_params = [day.isoformat(), f"{minutes:+d} minutes"]
        ids = ", ".join(str(int(pk)) for pk in store_ids)
        branches.append(f"WHEN s.store_id IN ({ids}) THEN {expr}")
        params += expr_params
    return f"(CASE {' '.join(branches)} END)", params


def _stores_by_timezone(org_id: int) -> dict[str, list[int]]:
    stores: dict[str, list[int]] = {}
    for pk, tzname in Store.objects.filter(org_id=org_id).values_list("pk", "timezone"):
        stores.setdefault(tzname or "Asia/Shanghai", []).append(pk)
    return stores


def _insert_rows(org_id: int, day: date, now) -> None:
    score, summary, customer = (
        CustomerScore._meta.db_table,
        CustomerSummary._meta.db_table,
        Customer._meta.db_table,
    )
    stores = _stores_by_timezone(org_id)
    if not stores:
        return
    recency, recency_params = _local_days_since("s.last_deal_at", day, stores)
    tenure, tenure_params = _local_days_since("s.first_deal_at", day, stores)
    cut = {years: years_before(day, years) for years in (18, 25, 35, 45)}
    ops = connection.ops
    sql = f"""
        INSERT INTO {score} (
            customer_id, org_id, store_id, deal_count, visit_count, total_spend_amount,
            average_ticket_amount, recency_days, rfm_segment, abc_class, growth_type, age_band,
            computed_at
        )
        SELECT
            s.customer_id, s.org_id, s.store_id, s.deal_count, s.visit_count,
            s.total_spend_amount,
            CASE WHEN s.deal_count > 0
                THEN ROUND(s.total_spend_amount * 1.0 / s.deal_count, 2) ELSE 0 END,
            CASE WHEN s.deal_count > 0 AND s.last_deal_at IS NOT NULL
                THEN CASE WHEN {recency} < 0 THEN 0 ELSE {recency} END END,
            '', '',
            CASE
                WHEN s.deal_count = 0 THEN ''
                WHEN s.activity IN (%s, %s) THEN %s
                WHEN s.deal_count >= %s AND {tenure} >= %s THEN %s
                WHEN s.deal_count >= %s AND {tenure} < %s THEN %s
                ELSE %s
            END,
            CASE
                WHEN c.birth_date IS NULL THEN %s
                WHEN c.birth_date > %s THEN %s
                WHEN c.birth_date > %s THEN %s
                WHEN c.birth_date > %s THEN %s
                WHEN c.birth_date > %s THEN %s
                ELSE %s
            END,
            %s
        FROM {summary} s JOIN {customer} c ON c.id = s.customer_id
        WHERE s.org_id = %s
    """
    params = [
        *recency_params,
        *recency_params,
        *SLEEPING_ACTIVITIES,
        GrowthType.SLEEPING,
        LOYAL_MIN_DEALS,
        *tenure_params,
        LOYAL_MIN_DAYS,
        GrowthType.LOYAL,
        FAST_GROWING_MIN_DEALS,
        *tenure_params,
        FAST_GROWING_MAX_DAYS,
        GrowthType.FAST_GROWING,
        GrowthType.NURTURE,
        AgeBand.UNKNOWN,
        ops.adapt_datefield_value(cut[18]),
        AgeBand.UNDER_18,
        ops.adapt_datefield_value(cut[25]),
        AgeBand.AGE_18_25,
        ops.adapt_datefield_value(cut[35]),
        AgeBand.AGE_25_35,
        ops.adapt_datefield_value(cut[45]),
        AgeBand.AGE_35_45,
        AgeBand.AGE_45_PLUS,
        ops.adapt_datetimefield_value(now),
        org_id,
    ]
    params = [ops.adapt_datefield_value(p) if isinstance(p, date) else p for p in params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _rank_dealing_customers(org_id: int, settings: InsightSettings) -> None:
    score = CustomerScore._meta.db_table
    high = HIGH_SCORE
    segment_cases, segment_params = [], []
    for (r_high, f_high, m_high), segment in SEGMENTS.items():
        cond = " AND ".join(
            f"x.{name} {'>=' if is_high else '<'} %s"
            for name, is_high in (("r", r_high), ("f", f_high), ("m", m_high))
        )
        segment_cases.append(f"WHEN {cond} THEN %s")
        segment_params += [high, high, high, segment.value]
    weights = (settings.spend_weight, settings.frequency_weight, settings.ticket_weight)
    a_cut = settings.class_a_percent
    b_cut = settings.class_a_percent + settings.class_b_percent
    sql = f"""
        UPDATE {score}
        SET r_score = x.r, f_score = x.f, m_score = x.m, value_score = x.value_score,
            rfm_segment = CASE {" ".join(segment_cases)} END,
            abc_class = CASE
                WHEN (x.value_rank - 1) * 100 < %s * x.n THEN 'A'
                WHEN (x.value_rank - 1) * 100 < %s * x.n THEN 'B'
                ELSE 'C' END
        FROM (
            SELECT v.*, RANK() OVER (ORDER BY v.value_score DESC) AS value_rank
            FROM (
                SELECT
                    d.customer_id, d.n,
                    1 + 5 * (RANK() OVER (ORDER BY d.recency_days DESC) - 1) / d.n AS r,
                    1 + 5 * (RANK() OVER (ORDER BY d.deal_count) - 1) / d.n AS f,
                    1 + 5 * (RANK() OVER (ORDER BY d.total_spend_amount) - 1) / d.n AS m,
                    (
                        %s * (d.n + 1 - RANK() OVER (ORDER BY d.total_spend_amount DESC))
                        + %s * (d.n + 1 - RANK() OVER (ORDER BY d.visit_count DESC))
                        + %s * (d.n + 1 - RANK() OVER (ORDER BY d.average_ticket_amount DESC))
                    ) / d.n AS value_score
                FROM (
                    SELECT customer_id, recency_days, deal_count, total_spend_amount,
                           visit_count, average_ticket_amount, COUNT(*) OVER () AS n
                    FROM {score}
                    WHERE org_id = %s AND deal_count > 0
                ) d
            ) v
        ) x
        WHERE {score}.customer_id = x.customer_id
    """
    params = [*segment_params, a_cut, b_cut, *weights, org_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def purchases_since(day: date) -> date:
    return day - timedelta(days=PURCHASE_DAYS - 1)


def _insert_purchase_totals(org_id: int, day: date) -> None:
    """The year's paid order lines summed per home store and age band × item, and per home
    store × department (with its distinct customers), from the scores just inserted."""
    lines, orders = OrderLine._meta.db_table, Order._meta.db_table
    score, item = CustomerScore._meta.db_table, Item._meta.db_table
    purchases = f"""
        FROM {lines} l
        JOIN {orders} o ON o.id = l.order_id
        JOIN {score} s ON s.customer_id = o.customer_id
        JOIN {item} i ON i.id = l.item_id
        WHERE o.org_id = %s AND o.status = %s AND o.business_date >= %s
    """
    params = [
        org_id,
        Order.Status.PAID.value,
        connection.ops.adapt_datefield_value(purchases_since(day)),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {BandItemTotal._meta.db_table}
                (org_id, store_id, age_band, item_id, quantity)
            SELECT s.org_id, s.store_id, s.age_band, l.item_id,
                   SUM(l.quantity - l.refunded_quantity)
            {purchases}
            GROUP BY s.org_id, s.store_id, s.age_band, l.item_id
            """,
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO {DepartmentTotal._meta.db_table}
                (org_id, store_id, department_id, customers, spend_amount)
            SELECT s.org_id, s.store_id, i.department_id, COUNT(DISTINCT o.customer_id),
                   SUM(l.amount - l.refunded_amount)
            {purchases}
            GROUP BY s.org_id, s.store_id, i.department_id
            """,
            params,
        )


@transaction.atomic
def refresh_scores(org: Organization, *, day: date | None = None, once_a_day=False) -> int | None:
    """Recompute every customer's score of the chain as of `day` (default: the chain's today).
    Readers see the previous scores until the transaction commits. Returns the number of rows,
    or None when `once_a_day` and the chain was already computed for `day` (checked under the
    settings row's lock, so two stores' morning jobs never both compute)."""
    day = day or as_of_day(org)
    settings, _created = InsightSettings.objects.select_for_update().get_or_create(org=org)
    if (
        once_a_day
        and settings.scores_computed_on is not None
        and settings.scores_computed_on >= day
    ):
        return None
    now = timezone.now()
    for model in (CustomerScore, BandItemTotal, DepartmentTotal):
        model.objects.filter(org_id=org.pk).delete()
    _insert_rows(org.pk, day, now)
    _rank_dealing_customers(org.pk, settings)
    _insert_purchase_totals(org.pk, day)
    settings.scores_computed_on, settings.scores_computed_at = day, now
    settings.save(update_fields=["scores_computed_on", "scores_computed_at", "updated_at"])
    return CustomerScore.objects.filter(org_id=org.pk).count()
