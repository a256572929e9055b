"""The chain generator (manage.py generate_chain) at a small size, on the database under test
(SQLite, or PostgreSQL with DATABASE_URL): consistent ledgers and summaries, valid identities,
realistic proportions, determinism, and data the real queries and pages work with."""

import hashlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum

from yanzhi.core.search import name_initials, name_pinyin
from yanzhi.core.timeutil import store_today
from yanzhi.core.validators import (
    MOBILE_RE,
    id_card_birth_date,
    id_card_gender,
    validate_id_card,
)
from yanzhi.customers import activity
from yanzhi.customers.models import Customer, CustomerStoreLink, CustomerSummary
from yanzhi.customers.queries import search_customers
from yanzhi.customers.tests.factories import make_customer
from yanzhi.demo.generator.chain import BENCH_PASSWORD
from yanzhi.demo.generator.run import generate
from yanzhi.followups.models import FollowupAttempt, FollowupTask
from yanzhi.org.models import Staff, Store
from yanzhi.org.policy import ALL_ROLES, scope_for
from yanzhi.sales import membership
from yanzhi.sales.models import Order, OrderLine, Payment
from yanzhi.scheduling.models import Appointment
from yanzhi.treatments.models import Entitlement, Execution
from yanzhi.visits.models import Visit
from yanzhi.visits.services import rebuild_visit_facts

SIZE = 300
NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # 14:30 in Shanghai

SUMMARY_FIELDS = [
    "customer_id",
    "store_id",
    "visit_count",
    "first_visit_at",
    "last_visit_at",
    "last_visit_type",
    "deal_count",
    "first_deal_at",
    "last_deal_at",
    "total_spend_amount",
    "arrears_amount",
    "open_course_count",
    "last_active_at",
    "activity",
]


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def chain(db, frozen):
    return generate(customers=SIZE, seed=7, workers=0, stream=None)


def digest() -> str:
    """Key columns of every generated table, in id order."""
    h = hashlib.sha256()
    queries = [
        Customer.objects.values_list(
            "pk", "member_no", "name", "phone", "id_card", "gender", "birth_date", "store_id",
            "consultant_id", "doctor_id", "source_channel_id", "referrer_id", "member_level_id",
        ),
        CustomerSummary.objects.values_list(*SUMMARY_FIELDS),
        Visit.objects.values_list("pk", "customer_id", "store_id", "visit_type", "arrived_at"),
        Appointment.objects.values_list("pk", "customer_id", "status", "starts_at"),
        Order.objects.values_list(
            "pk", "order_no", "status", "payable_amount", "paid_amount", "arrears_amount",
            "refunded_amount", "paid_at",
        ),
        OrderLine.objects.values_list("pk", "order_id", "item_id", "quantity", "amount"),
        Payment.objects.values_list("pk", "order_id", "method", "amount", "card_id"),
        Entitlement.objects.values_list("pk", "customer_id", "remaining_sessions", "status"),
        Execution.objects.values_list("pk", "entitlement_id", "performed_by_id", "created_at"),
        FollowupTask.objects.values_list("pk", "kind", "cause", "status", "owner_id", "due_at"),
    ]  # fmt: skip
    for query in queries:
        for row in query.order_by("pk"):
            h.update(repr(row).encode())
    return h.hexdigest()


def test_generated_chain_passes_the_ledger_check_and_its_summaries_rebuild_equal(chain):
    # then every balance equals its ledger (check_balances exits non-zero otherwise)
    call_command("check_balances")
    # and the summaries equal what the rebuild computes from the visits
    before = list(CustomerSummary.objects.order_by("pk").values_list(*SUMMARY_FIELDS))
    assert len(before) == SIZE
    rebuild_visit_facts()
    call_command("rebuild_customer_summaries")
    after = list(CustomerSummary.objects.order_by("pk").values_list(*SUMMARY_FIELDS))
    assert before == after
    # and the deal, money and course facts equal the history they summarise
    paid = Order.objects.filter(status__in=["paid", "refunded"])
    deals = {
        row["customer_id"]: row
        for row in paid.filter(is_deal=True)
        .values("customer_id")
        .annotate(n=Count("pk"), first=Min("paid_at"), last=Max("paid_at"))
    }
    spend = dict(
        Payment.objects.filter(method__in=Payment.SPEND_METHODS)
        .values_list("order__customer_id")
        .annotate(total=Sum("amount"))
    )
    arrears = dict(paid.values_list("customer_id").annotate(total=Sum("arrears_amount")))
    courses = dict(
        Entitlement.objects.filter(status="active", remaining_sessions__gt=0)
        .values_list("customer_id")
        .annotate(n=Count("pk"))
    )
    for summary in CustomerSummary.objects.all():
        deal = deals.get(summary.customer_id)
        assert summary.deal_count == (deal["n"] if deal else 0)
        assert summary.first_deal_at == (deal["first"] if deal else None)
        assert summary.last_deal_at == (deal["last"] if deal else None)
        assert summary.total_spend_amount == spend.get(summary.customer_id, Decimal("0.00"))
        assert summary.arrears_amount == arrears.get(summary.customer_id, Decimal("0.00"))
        assert summary.open_course_count == courses.get(summary.customer_id, 0)


def test_member_activity_and_levels_are_what_the_daily_jobs_compute(chain):
    # when the daily jobs run today, they find nothing to change
    for store in Store.objects.all():
        moved = activity.refresh_store(store, store_today(store), emit=False)
        assert sum(moved.moved.values()) == 0, moved
    result = membership.refresh_all()
    assert (result.up, result.down, result.spend_only) == (0, 0, 0)
    # and every class is represented (members, sleepers, non-members)
    classes = set(CustomerSummary.objects.values_list("activity", flat=True))
    assert {"non_member", "active", "sleeping", "deep_sleep"} <= classes


def test_identities_are_valid_unique_and_searchable(chain):
    customers = list(Customer.objects.select_related("store"))
    phones = [c.phone for c in customers]
    assert all(MOBILE_RE.match(p) for p in phones)
    assert len(set(phones)) == len(phones)
    ids = [c.id_card for c in customers if c.id_card]
    assert len(set(ids)) == len(ids) > SIZE // 2
    for c in customers:
        if c.id_card:
            validate_id_card(c.id_card, today=store_today(c.store))  # region, date, checksum
            assert c.birth_date == id_card_birth_date(c.id_card)
            assert c.gender == id_card_gender(c.id_card)
        # search keys exactly as customers.services fills them
        assert c.phone_tail == c.phone[-4:]
        assert c.name_pinyin == name_pinyin(c.name)[:120]
        assert c.name_initials == name_initials(c.name)[:30]
        assert c.name_rest == c.name[1:]
        assert c.salutation.startswith(c.name[:1])
    # the store links carry copies of their customer's keys
    by_pk = {c.pk: c for c in customers}
    links = list(CustomerStoreLink.objects.all())
    assert links
    for link in links:
        c = by_pk[link.customer_id]
        keys = ("name", "name_rest", "name_pinyin", "name_initials", "phone_tail")
        assert [getattr(link, k) for k in keys] == [getattr(c, k) for k in keys]
        # another store's: never the customer's own (customers.services.link_customer_to_store)
        assert link.store_id != c.store_id
        assert link.customer_created_at == c.created_at
    member_nos = [c.member_no for c in customers]
    assert len(set(member_nos)) == SIZE
    order_nos = list(Order.objects.values_list("order_no", flat=True))
    assert len(set(order_nos)) == len(order_nos)
    # pinyin collisions: some pinyin is shared by different names or by many customers
    by_pinyin = Customer.objects.values("name_pinyin").annotate(n=Count("pk")).filter(n__gt=1)
    assert by_pinyin.exists()
    # and the real search query finds them by phone tail and by pinyin initials
    hq = Staff.objects.get(username="lr-hq")
    scope = scope_for(hq)
    sample = customers[SIZE // 2]
    found = search_customers(scope, sample.phone[-4:], None)
    assert sample.pk in {c.pk for c in found}
    found = search_customers(scope, sample.name_initials, None)
    initials = Customer.objects.filter(pk__in=[c.pk for c in found]).values_list(
        "name_initials", flat=True
    )
    assert found and all(i.startswith(sample.name_initials) for i in initials)


def test_counts_come_in_the_expected_proportions(chain):
    n = SIZE
    visits, orders = Visit.objects.count(), Order.objects.count()
    assert 3.5 * n <= visits <= 7 * n
    assert 0.45 * visits <= orders <= 0.8 * visits
    assert 2.7 * orders <= OrderLine.objects.count() <= 4.2 * orders
    refunded = Order.objects.filter(Q(status="refunded") | Q(refunded_amount__gt=0)).count()
    assert 0.005 * orders <= refunded <= 0.08 * orders
    assert Order.objects.filter(arrears_amount__gt=0).exists()
    referred = Customer.objects.filter(referrer__isnull=False).count()
    assert 0.04 * n <= referred <= 0.2 * n
    assert 6 * n <= FollowupTask.objects.count() <= 16 * n
    assert FollowupAttempt.objects.exists()
    assert set(Visit.objects.values_list("visit_type", flat=True)) == {
        "first",
        "return",
        "in_course",
        "checkup",
        "repurchase",
    }
    # first visits are 初诊, exactly one per customer who came
    assert Visit.objects.filter(visit_type="first").count() == (
        Customer.objects.filter(visits__isnull=False).distinct().count()
    )
    # skew: the busiest customers have many more orders than the typical one
    per_customer = sorted(
        Order.objects.values("customer_id").annotate(n=Count("pk")).values_list("n", flat=True)
    )
    assert per_customer[-1] >= 4 * per_customer[len(per_customer) // 2]
    # staff of every role, ~15 per store, consultant groups with leaders
    staff_roles = set(Staff.objects.values_list("role", flat=True))
    assert staff_roles == ALL_ROLES
    assert Staff.objects.filter(led_groups__isnull=False).count() == Store.objects.count()


def test_staff_sign_in_on_the_login_page(chain, client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    response = client.post(
        "/accounts/login/", {"username": "lr-s001-consultant1", "password": BENCH_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_same_seed_gives_the_same_data_whatever_the_workers_and_another_seed_differs(db, frozen):
    def run(seed, workers):
        with transaction.atomic():
            generate(customers=120, seed=seed, workers=workers, stream=None)
            value = digest()
            transaction.set_rollback(True)
        return value

    first = run(3, workers=0)
    assert run(3, workers=2) == first
    assert run(4, workers=0) != first


def test_refuses_a_database_that_has_customers(db, frozen):
    make_customer(Store.objects.create(org=_org(), code="X", name="X店"), name="王芳")
    with pytest.raises(CommandError, match="already has customers"):
        call_command("generate_chain", customers=10, quiet=True)


def _org():
    from yanzhi.org.models import Organization

    return Organization.objects.create(name="别的连锁", code="other")
