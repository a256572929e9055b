"""The morning job recomputes the chain once a day, whichever store's run comes first."""

import pytest
import time_machine

from yanzhi.core.schedule import registered_jobs
from yanzhi.insight.models import CustomerScore, InsightSettings
from yanzhi.insight.tests.conftest import TODAY, local

pytestmark = pytest.mark.django_db


def test_the_daily_job_scores_the_chain_once_a_day(chain, store_a, store_b, scored_chain):
    job = registered_jobs()["customer_scores"]
    with time_machine.travel(local(2025, 6, 15, 6, 30), tick=False):
        assert job.run(store_a, TODAY) == "6 customers scored"
        assert job.run(store_b, TODAY) == "already computed today"
    assert CustomerScore.objects.filter(org=chain).count() == 6
    assert CustomerScore.objects.get(customer=scored_chain["c1"]).recency_days == 5
    with time_machine.travel(local(2025, 6, 16, 6, 30), tick=False):
        assert job.run(store_b, TODAY) == "6 customers scored"  # as of the store's today
    assert CustomerScore.objects.get(customer=scored_chain["c1"]).recency_days == 6
    assert InsightSettings.objects.get(org=chain).scores_computed_on.day == 16
