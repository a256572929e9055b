"""A small fixed chain of customers whose scores are computed by hand in docs/insight.md's terms
(see test_scoring.py for the arithmetic)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from yanzhi.customers.models import Customer, CustomerSummary, MemberActivity
from yanzhi.customers.tests.factories import make_customer

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2025, 6, 15)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# name: deal_count, visit_count, spend, last deal, first deal, activity, birth date
FACTS = {
    "c1": (1, 1, "1000", local(2025, 6, 10, 23, 30), local(2025, 6, 10, 23, 30),
           MemberActivity.NEW, date(2000, 6, 16)),
    "c2": (2, 3, "6000", local(2025, 5, 16, 10), local(2025, 1, 1, 10),
           MemberActivity.ACTIVE, date(1990, 6, 15)),
    "c3": (3, 6, "9000", local(2025, 3, 17, 10), local(2024, 6, 16, 0, 5),
           MemberActivity.ACTIVE, date(1990, 6, 16)),
    "c4": (3, 4, "3000", local(2024, 12, 17, 10), local(2024, 6, 15, 0, 10),
           MemberActivity.ACTIVE, None),
    "c5": (5, 5, "6000", local(2024, 6, 15, 9), local(2023, 1, 1, 9),
           MemberActivity.SLEEPING, date(1980, 1, 1)),
    "c6": (0, 1, "0", None, None, MemberActivity.NON_MEMBER, date(2010, 1, 1)),
}  # fmt: skip


def set_facts(customer, deals, visits, spend, last_deal, first_deal, activity, birth):
    Customer.objects.filter(pk=customer.pk).update(birth_date=birth)
    CustomerSummary.objects.filter(customer=customer).update(
        deal_count=deals,
        visit_count=visits,
        total_spend_amount=Decimal(spend),
        last_deal_at=last_deal,
        first_deal_at=first_deal,
        activity=activity,
    )


@pytest.fixture
def scored_chain(store_a, store_b, store_a_consultant, store_a_consultant_2):
    """c1–c4 in store A (c1, c2 are consultant 1's; c3, c4 consultant 2's), c5, c6 in store B."""
    customers = {}
    for name, facts in FACTS.items():
        store = store_b if name in ("c5", "c6") else store_a
        consultant = {"c1": store_a_consultant, "c2": store_a_consultant}.get(
            name, store_a_consultant_2 if store == store_a else None
        )
        customer = make_customer(store, name=f"客户{name}", consultant=consultant)
        set_facts(customer, *facts)
        customers[name] = customer
    return customers
