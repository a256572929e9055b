"""The repurchase window (复购窗口) on a small fixed history, against figures computed by hand
(docs/marketing.md): the second deal is kept on the customer summary, shares only count windows
that have fully elapsed, the candidates are ranked by the days left in their window."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from yanzhi.customers.models import CustomerSummary
from yanzhi.customers.tests.factories import make_customer
from yanzhi.marketing import queries
from yanzhi.marketing.tests.conftest import NOW, at
from yanzhi.org.policy import scope_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(
    store_a, store_a_consultant, store_a_consultant_2, meituan, soyoung, hydra, cream, deal
):
    """Five customers of store A, first deals between 2025-09-01 and 2026-02-01:
    c1 first 2025-09-01, second 2025-10-15 (44 days: month 2), third 2026-03-10;
    c2 first 2025-09-10, none since;      c3 first 2025-10-01, second 2026-02-01 (123 days: month 5);
    c4 first 2026-02-01, second 2026-02-20 (19 days: month 1);  c5 first 2026-01-20, none since."""
    mine, theirs = store_a_consultant, store_a_consultant_2
    c = {
        1: make_customer(store_a, name="一号", consultant=mine, source_channel=meituan),
        2: make_customer(store_a, name="二号", consultant=mine, source_channel=meituan),
        3: make_customer(store_a, name="三号", consultant=theirs, source_channel=soyoung),
        4: make_customer(store_a, name="四号", consultant=mine),
        5: make_customer(store_a, name="五号", consultant=mine, source_channel=meituan),
    }
    deal(c[1], at(2025, 9, 1), hydra)
    deal(c[1], at(2025, 10, 15), cream)
    deal(c[1], at(2026, 3, 10), cream)
    deal(c[2], at(2025, 9, 10), hydra)
    deal(c[3], at(2025, 10, 1), hydra)
    deal(c[3], at(2026, 2, 1), hydra)
    deal(c[4], at(2026, 2, 1), cream)
    deal(c[4], at(2026, 2, 20), cream)
    deal(c[5], at(2026, 1, 20), hydra)
    return c


def facts(ids):
    return list(
        CustomerSummary.objects.filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "deal_count", "first_deal_at", "second_deal_at", "last_deal_at")
    )


def test_the_second_deal_is_kept_and_rebuilt_identically(history):
    # then the summary holds the first two deals in order
    c1 = CustomerSummary.objects.get(pk=history[1].pk)
    assert (c1.deal_count, c1.first_deal_at, c1.second_deal_at, c1.last_deal_at) == (
        3,
        at(2025, 9, 1),
        at(2025, 10, 15),
        at(2026, 3, 10),
    )
    assert CustomerSummary.objects.get(pk=history[2].pk).second_deal_at is None
    ids = [c.pk for c in history.values()]
    kept = facts(ids)
    # when the deal facts are wiped and rebuilt from the orders
    CustomerSummary.objects.filter(pk__in=ids).update(
        deal_count=0, first_deal_at=None, second_deal_at=at(2020, 1, 1), last_deal_at=None
    )
    call_command("rebuild_customer_summaries", stdout=StringIO())
    # then they equal what the payments kept
    assert facts(ids) == kept


def test_a_refund_leaves_the_second_deal(history, refund):
    # given c3's second deal is refunded (a deal stays a deal, docs/marketing.md)
    order = history[3].orders.get(paid_at=at(2026, 2, 1))
    refund(order, NOW - timedelta(hours=1))
    # then
    assert CustomerSummary.objects.get(pk=history[3].pk).second_deal_at == at(2026, 2, 1)


def test_shares_count_only_windows_that_have_elapsed(history, hq_admin, django_assert_num_queries):
    # given first deals from 2025-09-01 to 2026-03-16, as of 2026-03-16 10:00
    scope = scope_for(hq_admin)
    lo, hi = queries.period_bounds(None, NOW.date().replace(year=2025, month=9, day=1), NOW.date())
    # when
    with django_assert_num_queries(1):
        stats = queries.repurchase_window(scope, start=lo, end=hi, as_of=NOW)
    # then: 5 first deals, 3 bought again
    assert (stats.customers, stats.repurchased, stats.later) == (5, 3, 0)
    three, six, twelve = stats.windows
    # 3 months (90 days) elapsed for c1, c2, c3 (first deal on or before 2025-12-16): only c1
    assert (three.closed, three.repurchased, three.open, three.share) == (3, 1, 2, Decimal("33.3"))
    # 6 months (180 days) elapsed for c1 and c2 (on or before 2025-09-17): c1
    assert (six.closed, six.repurchased, six.open, six.share) == (2, 1, 3, Decimal("50.0"))
    # 12 months elapsed for nobody: no share yet (not "0 %")
    assert (twelve.closed, twelve.repurchased, twelve.share) == (0, 0, None)
    # the curve: c4 in month 1, c1 in month 2, c3 in month 5
    assert [m.count for m in stats.curve] == [1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    # month 1 (30 days) elapsed for all five (c4: 2026-02-01 + 30 days = 03-03); only c4 bought
    assert (stats.curve[0].closed, stats.curve[0].repurchased) == (5, 1)
    # month 2 (60 days) not yet for c4 (ends 04-02) nor c5 (03-21)
    assert (stats.curve[1].closed, stats.curve[1].repurchased, stats.curve[1].share) == (
        3,
        1,
        Decimal("33.3"),
    )
    assert (stats.curve[4].closed, stats.curve[4].repurchased) == (3, 2)


def test_a_period_and_a_consultant_narrow_the_cohort(history, store_a_consultant_2):
    scope = scope_for(store_a_consultant_2)
    lo, hi = queries.period_bounds(None, NOW.date().replace(year=2025, month=9, day=1), NOW.date())
    stats = queries.repurchase_window(scope, start=lo, end=hi, as_of=NOW)
    assert (stats.customers, stats.repurchased) == (1, 1)  # only c3 is theirs
    lo, hi = queries.period_bounds(None, NOW.date().replace(year=2025, month=10, day=1), NOW.date())
    stats = queries.repurchase_window(scope_for(store_a_consultant_2), start=lo, end=hi, as_of=NOW)
    assert stats.customers == 1


def test_candidates_are_ranked_by_days_left(history, store_a_manager, store_a_consultant_2):
    # when
    rows = list(queries.repurchase_candidates(scope_for(store_a_manager), as_of=NOW))
    # then c5 (3-month window ends 2026-04-20, 35 days) comes before c2 (12-month window ends
    # 2026-09-05, 173 days); customers who bought again are not listed
    assert [r.customer_id for r in rows] == [history[5].pk, history[2].pk]
    assert [r.window_months for r in rows] == [3, 12]
    assert [queries.days_left(r.window_end, NOW) for r in rows] == [35, 173]
    # and a window filter, and a consultant sees only their own
    only_12 = queries.repurchase_candidates(scope_for(store_a_manager), as_of=NOW, window=12)
    assert [r.customer_id for r in only_12] == [history[2].pk]
    assert not queries.repurchase_candidates(scope_for(store_a_consultant_2), as_of=NOW).exists()


def test_the_same_days_left_ranks_higher_spend_first(store_a, hydra, cream, deal, store_a_manager):
    low = make_customer(store_a, name="低消费")
    high = make_customer(store_a, name="高消费")
    deal(low, at(2026, 3, 1), cream)
    deal(high, at(2026, 3, 1), hydra)
    rows = queries.repurchase_candidates(scope_for(store_a_manager), as_of=NOW)
    assert [r.customer_id for r in rows] == [high.pk, low.pk]


def test_the_migration_back_fills_the_second_deal(history):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("yanzhi.sales.migrations.0004_backfill_second_deal_at")
    ids = [c.pk for c in history.values()]
    kept = facts(ids)
    CustomerSummary.objects.update(second_deal_at=None)
    migration.backfill(apps, None)
    assert facts(ids) == kept


def test_reminding_nobody_or_without_a_title_changes_nothing(history, store_a_manager):
    from yanzhi.core.errors import BusinessError
    from yanzhi.followups.models import FollowupTask
    from yanzhi.marketing.services import create_repurchase_followups

    with pytest.raises(BusinessError) as error:
        create_repurchase_followups(customer_ids=[], title="回访", by=store_a_manager)
    assert error.value.code == "no_customers"
    with pytest.raises(BusinessError) as error:
        create_repurchase_followups(customer_ids=None, title="  ", by=store_a_manager)
    assert "title" in error.value.fields
    assert not FollowupTask.objects.exists()
    # and a customer who already bought again is skipped
    created = create_repurchase_followups(
        customer_ids=[history[1].pk, history[5].pk], title="复购提醒", by=store_a_manager
    )
    assert created == 1
    assert list(FollowupTask.objects.values_list("customer_id", "cause")) == [
        (history[5].pk, "repurchase")
    ]
