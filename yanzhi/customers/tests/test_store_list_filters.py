"""A store's customer list filtered by level, channel, consultant, tag, verified phone or
allergy, read from its two indexes (queries.StoreCustomerIds: the stores' own customers and
their links, which copy what the list filters on): the same customers, count and order as the
general rule over the customer table (customers_for and the filters), for one store, two
stores and a consultant's own customers. The copies are set when a link is made and kept by
each service changing the customer, in either order."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.utils import timezone

from yanzhi.customers import membership, queries, services
from yanzhi.customers.models import Customer, CustomerStoreLink
from yanzhi.customers.tests.factories import make_customer
from yanzhi.org.policy import scope_for
from yanzhi.org.tests.factories import StoreFactory, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(chain, store_a, store_b, hq_admin):
    """45 customers of three stores at shuffled creation times, with levels, channels, team,
    tags, verified phones and allergies, some set before their links were made and some
    changed after, by the services."""
    store_c = StoreFactory(org=chain, name="徐汇店", code="C")
    stores = (store_a, store_b, store_c)
    consultant_a = make_staff(chain, "consultant", [store_a], name="咨询A", username="ca")
    consultant_ab = make_staff(
        chain, "consultant", [store_a, store_b], name="咨询AB", username="cab"
    )
    consultant_c = make_staff(chain, "consultant", [store_c], name="咨询C", username="cc")
    online = make_staff(chain, "online_consultant", list(stores), name="网电", username="on")
    team = {
        store_a: [consultant_a, consultant_ab],
        store_b: [consultant_ab],
        store_c: [consultant_c],
    }
    channels = [services.create_channel(chain, name=f"渠道{n}", by=hq_admin) for n in range(2)]
    tags = [
        services.create_tag(chain, name=f"标签{n}", color="#336699", by=hq_admin) for n in range(3)
    ]
    silver = membership.create_level(
        chain, name="银卡", min_spend_amount="1000", rank=2, by=hq_admin
    )
    membership.create_level(chain, name="金卡", min_spend_amount="5000", rank=3, by=hq_admin)
    rng = random.Random(11)
    base = timezone.now() - timedelta(days=400)
    made = []
    for n in range(45):
        home = stores[n % 3]
        customer = make_customer(
            home,
            name=f"客户{n}",
            member_level=silver if rng.random() < 0.3 else None,
            source_channel=rng.choice([None, *channels]),
            consultant=rng.choice([None, *team[home]]),
            online_consultant=rng.choice([None, online]),
            phone_verified_at=timezone.now() if rng.random() < 0.5 else None,
            allergies=rng.choice(["", "", "青霉素"]),
        )
        moment = base + timedelta(days=rng.randrange(60))  # ties: 45 customers, 60 days
        Customer.objects.filter(pk=customer.pk).update(created_at=moment)
        services.set_customer_tags(
            customer, [t.pk for t in rng.sample(tags, rng.randrange(3))], by=hq_admin
        )
        made.append(customer)
    for customer in made:
        for store in rng.sample(stores, rng.randrange(3)):
            services.link_customer_to_store(customer, store_id=store.pk)
    # after the links: each service that changes a filtered column, on about a third
    for customer in made:
        if rng.random() < 0.35:
            services.update_customer(
                customer,
                by=hq_admin,
                source_channel=rng.choice(channels).pk if rng.random() < 0.7 else None,
                allergies=rng.choice(["", "头孢"]),
                phone=f"1380000{customer.pk:04d}",  # a new phone is not verified
            )
        if rng.random() < 0.35:
            home = customer.store
            services.assign_team(
                customer,
                consultant=rng.choice([None, *team[home]]),
                doctor=None,
                online_consultant=rng.choice([None, online]),
                by=hq_admin,
            )
        if rng.random() < 0.35:
            services.set_customer_tags(
                customer, [t.pk for t in rng.sample(tags, rng.randrange(3))], by=hq_admin
            )
        if rng.random() < 0.35:
            spend = rng.choice([Decimal("0"), Decimal("1500"), Decimal("8000")])
            membership.apply_rolling_spend(customer.pk, spend, org_id=chain.pk, reason="payment")
    deleted = tags[2].pk
    services.delete_tag(tags[2], by=hq_admin)  # its id leaves the customers' and links' keys
    tags = tags[:2]
    staff = {
        "front_desk_a": make_staff(chain, "front_desk", [store_a], name="前台", username="fa"),
        "manager_ab": make_staff(
            chain, "store_manager", [store_a, store_b], name="店长", username="mab"
        ),
        "consultant_a": consultant_a,
        "consultant_ab": consultant_ab,
        "online": online,
    }
    return {
        "staff": staff,
        "channels": channels,
        "tags": tags,
        "level": silver,
        "team": team,
        "deleted_tag": deleted,
    }


def filter_cases(world):
    channel, tag, level = world["channels"][0], world["tags"][1], world["level"]
    consultant = world["staff"]["consultant_ab"]
    return [
        {},
        {"member_level_id": level.pk},
        {"source_channel_id": channel.pk},
        {"consultant_id": consultant.pk},
        {"tag_id": tag.pk},
        {"phone_verified": True},
        {"phone_verified": False},
        {"has_allergy": True},
        {"has_allergy": False},
        {"member_level_id": level.pk, "has_allergy": False, "phone_verified": False},
        {"tag_id": tag.pk, "source_channel_id": channel.pk},
    ]


def rule_ids(scope, filters) -> list[int]:
    """The list by the general rule over the customer table (customers_for, the filters)."""
    return list(queries.customer_list(scope, filters, None).values_list("pk", flat=True))


@pytest.mark.parametrize(
    "who", ["front_desk_a", "manager_ab", "consultant_a", "consultant_ab", "online"]
)
def test_filtered_lists_from_the_indexes_match_the_rule(world, who):
    scope = scope_for(world["staff"][who])
    seen_nonempty = 0
    for case in filter_cases(world):
        filters = queries.ListFilters(**case)
        expected = rule_ids(scope, filters)
        ids = queries.customer_list_ids(scope, filters, None)
        assert isinstance(ids, queries.StoreCustomerIds)
        assert ids.count() == len(expected), case
        pages = [ids[start : start + 4] for start in range(0, len(expected) + 4, 4)]
        assert [pk for page in pages for pk in page] == expected, case
        seen_nonempty += bool(expected)
    assert seen_nonempty >= 6  # the cases are not all empty


def test_the_links_copy_what_the_list_filters_on(world):
    links = list(CustomerStoreLink.objects.select_related("customer"))
    assert len(links) > 20
    for link in links:
        expected = services.link_copies(link.customer)
        stored = {key: getattr(link, key) for key in expected}
        assert stored == expected, link
    call_command("check_balances", "--only", "store_links")
    call_command("check_balances", "--only", "customer_tag_keys")
    assert not Customer.objects.filter(tag_keys__contains=f",{world['deleted_tag']},").exists()


def test_the_balance_check_finds_a_stale_copy(world):
    link = CustomerStoreLink.objects.filter(~Q(customer__allergies="")).first()
    CustomerStoreLink.objects.filter(pk=link.pk).update(has_allergy=False)
    with pytest.raises(CommandError):
        call_command("check_balances", "--only", "store_links")


def test_searches_and_dynamic_tags_keep_the_general_path(world):
    scope = scope_for(world["staff"]["front_desk_a"])
    for filters in (queries.ListFilters(q="客户"), queries.ListFilters(activities=("sleeping",))):
        assert not isinstance(
            queries.customer_list_ids(scope, filters, None), queries.StoreCustomerIds
        )


def test_the_balance_check_finds_stale_tag_keys(world):
    customer = Customer.objects.exclude(tag_keys="").first()
    Customer.objects.filter(pk=customer.pk).update(tag_keys="")
    with pytest.raises(CommandError):
        call_command("check_balances", "--only", "customer_tag_keys")


def test_the_repair_command_rewrites_stale_copies(world):
    tagged = Customer.objects.exclude(tag_keys="").filter(store_links__isnull=False).first()
    Customer.objects.filter(pk=tagged.pk).update(tag_keys="")  # as a bypassing write leaves it
    link = CustomerStoreLink.objects.exclude(customer=tagged).first()
    CustomerStoreLink.objects.filter(pk=link.pk).update(
        phone_verified=not link.phone_verified, name="旧名"
    )
    with pytest.raises(CommandError):
        call_command("check_balances", "--only", "store_links")
    # the tagged customer's links agree again once its keys are rewritten
    assert services.repair_customer_copies() == (1, 1)
    call_command("check_balances", "--only", "store_links")
    call_command("check_balances", "--only", "customer_tag_keys")
    call_command("repair_customer_copies")  # nothing left to rewrite
    scope = scope_for(world["staff"]["manager_ab"])
    for case in filter_cases(world):
        filters = queries.ListFilters(**case)
        ids = queries.customer_list_ids(scope, filters, None)
        assert ids[0:100] == rule_ids(scope, filters), case
