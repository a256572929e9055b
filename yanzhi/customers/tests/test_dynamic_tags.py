"""Dynamic tags: the SQL filter and the one-customer test agree, and bad filters are refused."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yanzhi.core.errors import BusinessError
from yanzhi.customers.models import Customer, CustomerSummary, DealStatus, MemberActivity, VisitType
from yanzhi.customers.tags import TagFilter, filter_customers, matches, tag_filter_from, tags_of
from yanzhi.customers.tests.factories import make_customer

pytestmark = pytest.mark.django_db

PROFILES = [
    # deal_count, activity, last_visit_type, allergies, arrears
    (0, MemberActivity.NON_MEMBER, "", "", "0"),
    (1, MemberActivity.NEW, VisitType.FIRST, "青霉素", "0"),
    (2, MemberActivity.SLEEPING, VisitType.CHECKUP, "", "300.00"),
    (5, MemberActivity.ACTIVE, VisitType.REPURCHASE, "利多卡因", "0"),
    (3, MemberActivity.DEEP_SLEEP, VisitType.CHECKUP, "", "0"),
]


@pytest.fixture
def tagged_customers(store_a):
    customers = []
    for index, (deals, activity, last_type, allergies, arrears) in enumerate(PROFILES):
        customer = make_customer(store_a, name=f"标签客户{index}", phone=f"1390000100{index}")
        Customer.objects.filter(pk=customer.pk).update(allergies=allergies)
        CustomerSummary.objects.filter(customer=customer).update(
            deal_count=deals,
            activity=activity,
            last_visit_type=last_type,
            arrears_amount=Decimal(arrears),
        )
        customers.append(customer.pk)
    return customers


filters = st.builds(
    TagFilter,
    deal_statuses=st.lists(st.sampled_from(DealStatus.values), unique=True).map(tuple),
    activities=st.lists(st.sampled_from(MemberActivity.values), unique=True, max_size=2).map(tuple),
    last_visit_types=st.lists(st.sampled_from(VisitType.values), unique=True, max_size=2).map(
        tuple
    ),
    has_allergy=st.sampled_from([None, True, False]),
    has_arrears=st.sampled_from([None, True, False]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tags=filters)
def test_sql_filter_and_one_customer_test_agree(tagged_customers, tags):
    customers = Customer.objects.filter(pk__in=tagged_customers).select_related("summary")
    in_sql = set(filter_customers(customers, tags).values_list("pk", flat=True))
    in_memory = {c.pk for c in customers if matches(c, tags)}
    assert in_sql == in_memory


def test_sleeping_members_whose_last_visit_was_a_checkup(tagged_customers):
    # given the profiles above: one sleeping member last seen for a 复查, one deep sleeper too
    tags = tag_filter_from({"activities": ["sleeping"], "last_visit_types": ["checkup"]})
    # when
    found = filter_customers(Customer.objects.filter(pk__in=tagged_customers), tags)
    # then
    assert list(found.values_list("pk", flat=True)) == [tagged_customers[2]]


def test_tags_of_a_customer_read_from_the_summary(tagged_customers):
    customer = Customer.objects.select_related("summary").get(pk=tagged_customers[2])
    assert [label for _kind, label in tags_of(customer)] == [
        "多次成交",
        "沉睡会员",
        "复查",
        "有欠费",
    ]


def test_unknown_values_are_refused_naming_the_field():
    with pytest.raises(BusinessError) as error:
        tag_filter_from({"activities": ["sleepy"], "has_arrears": "maybe"})
    assert set(error.value.fields) == {"activities", "has_arrears"}
