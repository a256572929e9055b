from django.core.management import call_command

from yanzhi.customers.models import Customer, CustomerSummary
from yanzhi.insight.models import CustomerScore
from yanzhi.marketing.models import ChannelCost, VoucherRedemption
from yanzhi.org.models import Staff
from yanzhi.org.policy import ALL_ROLES
from yanzhi.sales.summaries import rebuild_deal_facts
from yanzhi.visits.models import Visit
from yanzhi.visits.services import rebuild_visit_facts


def test_demo_chain_has_every_role_and_consistent_history(db):
    # when
    call_command("load_demo", customers=25, seed=7)
    # then every role can sign in to the demo
    assert set(Staff.objects.values_list("role", flat=True)) == ALL_ROLES
    assert Visit.objects.exists()
    # and the summaries the services kept equal a rebuild from the visits table
    before = list(
        CustomerSummary.objects.order_by("pk").values_list(
            "pk", "visit_count", "first_visit_at", "last_visit_at", "last_visit_type"
        )
    )
    rebuild_visit_facts()
    after = list(
        CustomerSummary.objects.order_by("pk").values_list(
            "pk", "visit_count", "first_visit_at", "last_visit_at", "last_visit_type"
        )
    )
    assert before == after
    # and the deal facts equal a rebuild from the deal orders
    deal_facts = ("pk", "deal_count", "first_deal_at", "second_deal_at", "last_deal_at")
    before = list(CustomerSummary.objects.order_by("pk").values_list(*deal_facts))
    rebuild_deal_facts()
    assert list(CustomerSummary.objects.order_by("pk").values_list(*deal_facts)) == before
    # and the marketing pages have something to show
    assert ChannelCost.objects.exists() and VoucherRedemption.objects.exists()
    # and every balance equals its ledger (exits non-zero otherwise)
    call_command("check_balances")
    # and the insight scores are computed, one row per customer
    assert CustomerScore.objects.count() == Customer.objects.count() > 0
    assert CustomerScore.objects.exclude(rfm_segment="").exists()


def test_load_demo_if_empty_does_not_load_twice(db):
    call_command("load_demo", customers=5, seed=1)
    staff_count = Staff.objects.count()
    call_command("load_demo", "--if-empty", customers=5, seed=1)
    assert Staff.objects.count() == staff_count
