"""RFM scores, segments, value score, A/B/C classes, growth types and age bands, computed by hand
for a fixed chain (conftest.FACTS) on 2025-06-15, against `refresh_scores`.

Dealing customers n = 5. Recency days: c1 5, c2 30, c3 90, c4 180, c5 365.
R (fewer days is better): c5 1, c4 2, c3 3, c2 4, c1 5.
F (deal count 1, 2, 3, 3, 5): c1 1, c2 2, c3 3, c4 3 (tie: both rank 3), c5 5.
M (spend 1000, 6000, 9000, 3000, 6000): c1 1, c4 2, c2 3, c5 3 (tie), c3 5.
Value score = (50·spend + 30·visits + 20·ticket, each "customers ≤ me") / n:
  c1 (50·1+30·1+20·2)/5 = 24; c2 (50·4+30·2+20·5)/5 = 72; c3 (50·5+30·5+20·5)/5 = 100;
  c4 (50·2+30·3+20·2)/5 = 46; c5 (50·4+30·4+20·3)/5 = 76.
Classes: A = rank 1 (0 % < 20 %), B = ranks 2–3 (20 %, 40 % < 50 %), C the rest.
"""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from yanzhi.customers.models import MemberActivity
from yanzhi.customers.tests.factories import make_customer
from yanzhi.insight.models import CustomerScore, InsightSettings
from yanzhi.insight.scoring import refresh_scores
from yanzhi.insight.tests.conftest import TODAY, local, set_facts

pytestmark = pytest.mark.django_db


def scores(customers):
    rows = {s.customer_id: s for s in CustomerScore.objects.all()}
    return {name: rows[c.pk] for name, c in customers.items()}


def test_rfm_value_class_growth_and_age_by_hand(chain, scored_chain):
    # when the chain's scores are computed for 2025-06-15
    count = refresh_scores(chain, day=TODAY)
    # then every customer has a row, and the figures are the hand-computed ones
    assert count == 6
    got = scores(scored_chain)
    table = {
        name: (s.recency_days, s.r_score, s.f_score, s.m_score, s.rfm_segment, s.value_score,
               s.abc_class, s.growth_type, s.age_band)
        for name, s in got.items()
    }  # fmt: skip
    assert table == {
        "c1": (5, 5, 1, 1, "general_develop", 24, "C", "nurture", "18_25"),
        "c2": (30, 4, 2, 3, "important_develop", 72, "B", "fast_growing", "35_45"),
        "c3": (90, 3, 3, 5, "important_value", 100, "A", "fast_growing", "25_35"),
        "c4": (180, 2, 3, 2, "general_keep", 46, "C", "loyal", "unknown"),
        "c5": (365, 1, 5, 3, "important_keep", 76, "B", "sleeping", "45_plus"),
        "c6": (None, None, None, None, "", None, "", "", "under_18"),
    }
    assert got["c2"].average_ticket_amount == Decimal("3000.00")
    assert got["c5"].average_ticket_amount == Decimal("1200.00")
    assert got["c3"].store_id == scored_chain["c3"].store_id
    settings = InsightSettings.objects.get(org=chain)
    assert settings.scores_computed_on == TODAY


def test_weights_and_thresholds_come_from_the_chain_settings(chain, scored_chain):
    # given a chain that weighs only spend and calls the top 40 % A, the next 40 % B
    InsightSettings.objects.create(
        org=chain, spend_weight=100, frequency_weight=0, ticket_weight=0,
        class_a_percent=40, class_b_percent=40,
    )  # fmt: skip
    refresh_scores(chain, day=TODAY)
    got = scores(scored_chain)
    # value = 100 · (customers with spend ≤ mine) / 5
    assert {n: got[n].value_score for n in ("c1", "c2", "c3", "c4", "c5")} == {
        "c1": 20, "c2": 80, "c3": 100, "c4": 40, "c5": 80,
    }  # fmt: skip
    # ranks: c3 1, c2/c5 2 (tie), c4 4, c1 5 → A: (r−1)·100 < 200 → r ≤ 2; B: < 400 → r ≤ 4
    assert {n: got[n].abc_class for n in ("c1", "c2", "c3", "c4", "c5")} == {
        "c1": "C", "c2": "A", "c3": "A", "c4": "B", "c5": "A",
    }  # fmt: skip


def test_a_refresh_replaces_the_previous_scores(chain, scored_chain):
    refresh_scores(chain, day=TODAY)
    # when c1 buys twice more and the scores are recomputed a day later
    from yanzhi.customers.models import CustomerSummary

    CustomerSummary.objects.filter(customer=scored_chain["c1"]).update(deal_count=3)
    refresh_scores(chain, day=date(2025, 6, 16))
    # then one row per customer still, with the new facts
    assert CustomerScore.objects.count() == 6
    c1 = CustomerScore.objects.get(customer=scored_chain["c1"])
    assert (c1.deal_count, c1.recency_days) == (3, 6)


def test_other_chains_are_untouched(chain, other_chain, scored_chain):
    other_store = other_chain.stores.first() if hasattr(other_chain, "stores") else None
    from yanzhi.org.models import Store

    other_store = Store.objects.filter(org=other_chain).first()
    foreign = make_customer(other_store, name="别家")
    refresh_scores(chain, day=TODAY)
    assert not CustomerScore.objects.filter(customer=foreign).exists()
    refresh_scores(other_chain, day=TODAY)
    assert CustomerScore.objects.filter(org=chain).count() == 6


@pytest.mark.parametrize(
    ("deals", "first_deal", "activity", "expected"),
    [
        # 忠诚: ≥ 3 deals, first deal 365 days ago or more, awake
        (3, local(2024, 6, 15, 23, 59), MemberActivity.ACTIVE, "loyal"),
        (3, local(2024, 6, 16, 0, 0), MemberActivity.ACTIVE, "fast_growing"),
        (2, local(2024, 6, 15, 12), MemberActivity.ACTIVE, "nurture"),
        # 快速成长: ≥ 2 deals, first deal fewer than 365 days ago
        (2, local(2024, 6, 16, 0, 0), MemberActivity.ACTIVE, "fast_growing"),
        (1, local(2025, 6, 1), MemberActivity.NEW, "nurture"),
        # 沉睡 wins over everything else
        (9, local(2020, 1, 1), MemberActivity.SLEEPING, "sleeping"),
        (2, local(2025, 1, 1), MemberActivity.DEEP_SLEEP, "sleeping"),
        (0, None, MemberActivity.NON_MEMBER, ""),
    ],
)
def test_growth_type_boundaries(chain, store_a, deals, first_deal, activity, expected):
    customer = make_customer(store_a)
    set_facts(customer, deals, 1, "100", first_deal, first_deal, activity, None)
    refresh_scores(chain, day=TODAY)
    assert CustomerScore.objects.get(customer=customer).growth_type == expected


@pytest.mark.parametrize(
    ("birth", "band"),
    [
        (date(2007, 6, 15), "18_25"),  # 18 today
        (date(2007, 6, 16), "under_18"),
        (date(2000, 6, 15), "25_35"),
        (date(2000, 6, 16), "18_25"),
        (date(1980, 6, 15), "45_plus"),
        (date(1980, 6, 16), "35_45"),
    ],
)
def test_age_band_boundaries(chain, store_a, birth, band):
    customer = make_customer(store_a)
    set_facts(customer, 0, 0, "0", None, None, MemberActivity.NON_MEMBER, birth)
    refresh_scores(chain, day=TODAY)
    assert CustomerScore.objects.get(customer=customer).age_band == band


def test_default_day_is_the_chains_today(chain, scored_chain):
    with time_machine.travel(local(2025, 6, 15, 0, 30), tick=False):  # still the 14th in UTC
        refresh_scores(chain)
    assert CustomerScore.objects.get(customer=scored_chain["c1"]).recency_days == 5


def test_refresh_is_a_fixed_number_of_queries(chain, store_a, scored_chain):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    refresh_scores(chain, day=TODAY)
    with CaptureQueriesContext(connection) as few:
        refresh_scores(chain, day=TODAY)
    for index in range(10):
        set_facts(make_customer(store_a), index + 1, 1, "100", local(2025, 1, 1), local(2025, 1, 1),
                  MemberActivity.ACTIVE, None)  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        refresh_scores(chain, day=TODAY)
    assert len(many) == len(few) <= 16
