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


_orders = iter(range(1, 10_000))


def make_paid_line(
    customer,
    item,
    *,
    quantity=1,
    amount="100",
    refunded_quantity=0,
    refunded_amount="0",
    business_date=TODAY,
    status="paid",
    by=None,
):
    """A paid order with one line, written directly (only the columns insight reads)."""
    from yanzhi.sales.models import Order, OrderLine

    n = next(_orders)
    order = Order.objects.create(
        org_id=customer.org_id,
        store_id=customer.store_id,
        customer=customer,
        consultant=by,
        order_no=f"T{n:06d}",
        status=status,
        business_date=business_date,
        created_by=by,
        payable_amount=Decimal(amount),
        paid_amount=Decimal(amount) - Decimal(refunded_amount),
        refunded_amount=Decimal(refunded_amount),
        is_deal=True,
    )
    OrderLine.objects.create(
        order=order,
        item=item,
        kind=item.kind,
        quantity=quantity,
        unit_price_amount=Decimal(amount),
        amount=Decimal(amount),
        refunded_quantity=refunded_quantity,
        refunded_amount=Decimal(refunded_amount),
    )
    return order


@pytest.fixture
def departments(chain):
    from yanzhi.org.models import Department

    return {
        "skin": Department.objects.create(org=chain, name="皮肤科"),
        "inject": Department.objects.create(org=chain, name="微整科"),
    }


@pytest.fixture
def items(chain, departments):
    from yanzhi.catalog.models import Item

    def item(code, name, department):
        return Item.objects.create(
            org=chain,
            kind="service",
            code=code,
            name=name,
            department=department,
            price_amount=Decimal("100"),
        )

    return {
        "hydro": item("S1", "水光针", departments["skin"]),
        "photon": item("S2", "光子嫩肤", departments["skin"]),
        "botox": item("S3", "除皱针", departments["inject"]),
        "mask": item("P1", "面膜", None),
    }  # fmt: skip


@pytest.fixture
def purchases(scored_chain, items, store_a_manager):
    """c1 (18–25): 3 水光针 + 1 面膜; c2 (35–45): 2 除皱针 (1 refunded); c3 (25–35): 1 光子嫩肤,
    1 水光针 two years ago (outside the 365 days); c5 (45+, store B): 1 除皱针; c6 a fully
    refunded 水光针 (status refunded: not counted)."""
    c, it, by = scored_chain, items, store_a_manager
    make_paid_line(c["c1"], it["hydro"], quantity=3, amount="3000", by=by)
    make_paid_line(c["c1"], it["mask"], quantity=1, amount="100", by=by)
    make_paid_line(
        c["c2"],
        it["botox"],
        quantity=2,
        amount="4000",
        refunded_quantity=1,
        refunded_amount="2000",
        by=by,
    )
    make_paid_line(c["c3"], it["photon"], quantity=1, amount="1500", by=by)
    make_paid_line(
        c["c3"], it["hydro"], quantity=1, amount="1000", by=by, business_date=date(2023, 6, 1)
    )
    make_paid_line(c["c5"], it["botox"], quantity=1, amount="2500", by=by)
    make_paid_line(
        c["c6"],
        it["hydro"],
        quantity=1,
        amount="1000",
        by=by,
        status="refunded",
        refunded_quantity=1,
        refunded_amount="1000",
    )
    return c
