"""A store's customer list by dynamic tags: its own customers by their summary, the customers
linked to it by the tag facts their links copy — the same customers, whichever way the facts
changed (a visit, a payment, the nightly activity refresh, a link made after them)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yanzhi.core.timeutil import store_today
from yanzhi.customers import activity, queries, services
from yanzhi.customers.models import (
    Customer,
    CustomerStoreLink,
    DealStatus,
    MemberActivity,
    VisitType,
)
from yanzhi.customers.tags import TagFilter, matches
from yanzhi.customers.tests.factories import make_customer
from yanzhi.org.policy import scope_for

pytestmark = pytest.mark.django_db


def give_facts(customer, n: int) -> None:
    """Facts varying with n, written by the services that write them in the clinic."""
    now = timezone.now()
    if n % 5:
        visit_type = list(VisitType.values)[n % len(VisitType.values)]
        services.note_visit(
            customer_id=customer.pk, arrived_at=now - timedelta(days=n * 37), visit_type=visit_type
        )
    for deal in range(n % 3):
        moment = now - timedelta(days=n * 53 + deal)
        services.note_money(
            customer_id=customer.pk,
            spend_delta=Decimal("1000"),
            arrears_delta=Decimal("200") if n % 4 == 1 else 0,
            paid_at=moment,
            dealt_at=moment,
        )


@pytest.fixture
def population(store_a, store_b):
    """store_a's own customers, store_b's customers linked to store_a (before or after their
    facts), and store_b's customers store_a may not see."""
    for n in range(8):
        give_facts(make_customer(store_a, name=f"本店{n}"), n)
    for n in range(8):
        linked_first = make_customer(store_b, name=f"先关联{n}")
        services.link_customer_to_store(linked_first, store_id=store_a.pk)
        give_facts(linked_first, n + 3)
        linked_later = make_customer(store_b, name=f"后关联{n}")
        give_facts(linked_later, n + 5)
        services.link_customer_to_store(linked_later, store_id=store_a.pk)
        give_facts(make_customer(store_b, name=f"他店{n}"), n)
    # the nightly refresh of store_b, half a year on: some of its members fall asleep
    activity.refresh_store(store_b, store_today(store_b) + timedelta(days=200), emit=False)


def listed(scope, tags: TagFilter) -> set[int]:
    filters = queries.ListFilters(
        deal_statuses=tags.deal_statuses,
        activities=tags.activities,
        last_visit_type=tags.last_visit_types[0] if tags.last_visit_types else "",
        has_allergy=tags.has_allergy,
        has_arrears=tags.has_arrears,
    )
    return set(queries.customer_list(scope, filters, None).values_list("pk", flat=True))


def by_the_rule(scope, tags: TagFilter) -> set[int]:
    visible = queries.customers_for(scope).select_related("summary")
    return {c.pk for c in visible if matches(c, tags)}


tag_filters = st.builds(
    TagFilter,
    deal_statuses=st.lists(st.sampled_from(DealStatus.values), unique=True).map(tuple),
    activities=st.lists(st.sampled_from(MemberActivity.values), unique=True, max_size=2).map(tuple),
    last_visit_types=st.lists(st.sampled_from(VisitType.values), max_size=1).map(tuple),
    has_allergy=st.sampled_from([None, True, False]),
    has_arrears=st.sampled_from([None, True, False]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tags=tag_filters)
def test_the_store_list_finds_who_carries_the_tags(population, store_a_front_desk, tags):
    scope = scope_for(store_a_front_desk)
    assert listed(scope, tags) == by_the_rule(scope, tags)


def test_the_population_covers_what_the_list_distinguishes(population, store_a_front_desk):
    # a test of the test: the property above compares sets that differ by tag
    scope = scope_for(store_a_front_desk)
    by_activity = [len(by_the_rule(scope, TagFilter(activities=(v,)))) for v in MemberActivity]
    by_type = [len(by_the_rule(scope, TagFilter(last_visit_types=(v,)))) for v in VisitType]
    assert sum(1 for n in by_activity if n) >= 3, by_activity
    assert sum(1 for n in by_type if n) >= 3, by_type
    linked = CustomerStoreLink.objects.filter(store=scope.current_store_id)
    assert linked.exclude(activity=MemberActivity.NON_MEMBER).exists()
    assert linked.filter(has_arrears=True).exists()


def test_a_broad_tag_reads_the_ids_as_a_subquery(
    population, store_a_front_desk, monkeypatch, django_assert_max_num_queries
):
    scope = scope_for(store_a_front_desk)
    tags = TagFilter(deal_statuses=(DealStatus.NONE, DealStatus.FIRST))
    expected = by_the_rule(scope, tags)
    monkeypatch.setattr(queries, "MAX_LISTED_IDS", 1)
    assert len(expected) > 1 and listed(scope, tags) == expected


def test_a_consultant_lists_only_own_customers(population, store_a, store_a_consultant):
    mine = make_customer(store_a, name="我的", consultant=store_a_consultant)
    give_facts(mine, 1)
    scope = scope_for(store_a_consultant)
    tags = TagFilter(deal_statuses=(DealStatus.FIRST,))
    assert listed(scope, tags) == by_the_rule(scope, tags) == {mine.pk}


def test_the_balance_check_finds_a_link_whose_facts_differ(population, capsys):
    call_command("check_balances", "--only", "link_tag_facts")
    link = CustomerStoreLink.objects.exclude(activity=MemberActivity.DEEP_SLEEP).first()
    CustomerStoreLink.objects.filter(pk=link.pk).update(activity=MemberActivity.DEEP_SLEEP)
    with pytest.raises(CommandError, match="1 balance"):
        call_command("check_balances", "--only", "link_tag_facts")
    assert f"link {link}" in capsys.readouterr().out


def test_customer_without_summary_counts_as_having_none(store_a, store_a_front_desk):
    bare = make_customer(store_a, name="无汇总")
    bare.summary.delete()
    scope = scope_for(store_a_front_desk)
    tags = TagFilter(activities=(MemberActivity.NON_MEMBER,), deal_statuses=(DealStatus.NONE,))
    assert bare.pk in listed(scope, tags) and Customer.objects.filter(pk=bare.pk).exists()


def test_the_links_are_rewritten_only_when_the_facts_change(store_a, store_b):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    customer = make_customer(store_a, name="跨店客户")
    services.link_customer_to_store(customer, store_id=store_b.pk)

    def link_updates(**money) -> int:
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            services.note_money(customer_id=customer.pk, **money)
        return sum(
            q["sql"].startswith('UPDATE "customers_customerstorelink"')
            for q in queries.captured_queries
        )

    # money that moves no tag fact (no deal, no arrears, no consumption): the links stay
    assert link_updates(spend_delta=Decimal("100")) == 0
    # arrears: the links carry 有欠费
    assert link_updates(arrears_delta=Decimal("50")) == 1
    link = CustomerStoreLink.objects.get(customer=customer)
    assert link.has_arrears
    assert link_updates(spend_delta=Decimal("10")) == 0
    assert link_updates(arrears_delta=Decimal("-50")) == 1
    link.refresh_from_db()
    assert not link.has_arrears
