"""The prepaid liability (预收款): stored value, unused sessions and held deposits by store and in
total, expired balances apart — checked against figures computed by hand, in a fixed number of
queries, inside the viewer's scope."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yanzhi.customers.tests.factories import make_customer
from yanzhi.org.policy import scope_for
from yanzhi.org.tests.factories import StoreFactory
from yanzhi.sales import queries, services
from yanzhi.sales.models import StoredValueCard
from yanzhi.sales.services import PaymentLine
from yanzhi.sales.tests.conftest import TODAY, cash, use_session
from yanzhi.treatments.models import Entitlement
from yanzhi.treatments.services import expire_entitlements

pytestmark = pytest.mark.django_db
PAST = date(2026, 3, 1)


@pytest.fixture
def owed(
    card_with,
    open_pending,
    hydra,
    session_card,
    customer,
    store_a,
    store_b,
    store_a_cashier,
    store_a_manager,
    store_b_front_desk,
    store_a_consultant,
):
    """Store A owes: a live card ¥11,000; an expired card ¥11,000; a course of 3 × ¥1,000 with
    one used (¥2,000 live, 2 sessions); a session card 5 × ¥800 past its date but not yet
    swept (¥4,000 expired); a course of 2 × ¥1,000 the expiry run closed (¥2,000 expired);
    deposits: ¥500 held, ¥800 applied, ¥200 refunded (only ¥500 owed).
    Store B owes a held deposit of ¥300."""
    second = make_customer(store_a, name="李四", consultant=store_a_consultant)
    third = make_customer(store_a, name="赵五", consultant=store_a_consultant)
    card_with()
    StoredValueCard.objects.filter(pk=card_with(second).pk).update(expires_on=PAST)
    # a course of three, one used
    order = open_pending([(hydra.pk, 3, 0)])
    services.pay_order(order, payments=[cash("3000")], by=store_a_cashier)
    use_session(order.lines.get())
    # a course of two paid with a deposit and cash, then closed by the expiry run
    applied = services.take_deposit(
        third, store=store_a, amount="800", method="cash", by=store_a_cashier
    )
    order = open_pending([(hydra.pk, 2, 0)], cust=third)
    services.pay_order(
        order,
        payments=[PaymentLine("deposit", Decimal("800"), deposit_id=applied.pk), cash("1200")],
        by=store_a_cashier,
    )
    Entitlement.objects.filter(source_line_id=order.lines.get().pk).update(expires_on=PAST)
    assert expire_entitlements(store_a, day=TODAY) == 1
    # a session card past its date, not swept yet
    order = open_pending([(session_card.pk, 1, 0)], cust=second)
    services.pay_order(order, payments=[cash("4000")], by=store_a_cashier)
    Entitlement.objects.filter(source_line_id=order.lines.get().pk).update(expires_on=PAST)
    # deposits
    services.take_deposit(
        customer, store=store_a, amount="500", method="wechat", by=store_a_cashier
    )
    refunded = services.take_deposit(
        customer, store=store_a, amount="200", method="cash", by=store_a_cashier
    )
    services.refund_deposit(refunded, by=store_a_manager, reason="取消预约")
    services.take_deposit(
        customer, store=store_b, amount="300", method="cash", by=store_b_front_desk
    )


def row_figures(row) -> tuple:
    return (
        row.stored_value_amount,
        row.expired_stored_value_amount,
        row.card_count,
        row.sessions_value_amount,
        row.expired_sessions_value_amount,
        row.session_count,
        row.deposit_amount,
        row.deposit_count,
        row.total_amount,
    )


D = Decimal


def test_hand_computed_figures_by_store_and_in_total(owed, hq_admin):
    liability = queries.prepaid_liability(scope_for(hq_admin))
    a, b = liability.rows
    assert (a.store.code, b.store.code) == ("A", "B")
    assert row_figures(a) == (
        D("11000.00"), D("11000.00"), 1, D("2000.00"), D("6000.00"), 2, D("500.00"), 1,
        D("30500.00"),
    )  # fmt: skip
    assert row_figures(b) == (
        D("0.00"), D("0.00"), 0, D("0.00"), D("0.00"), 0, D("300.00"), 1, D("300.00"),
    )  # fmt: skip
    assert row_figures(liability.total) == (
        D("11000.00"), D("11000.00"), 1, D("2000.00"), D("6000.00"), 2, D("800.00"), 2,
        D("30800.00"),
    )  # fmt: skip


def test_an_extended_course_is_live_again(owed, hq_admin, store_a_manager):
    from yanzhi.treatments.services import extend_entitlement

    closed = Entitlement.objects.get(status=Entitlement.Status.EXPIRED)
    extend_entitlement(
        closed, new_expires_on=date(2026, 12, 31), reason="顾客出差", by=store_a_manager
    )
    a = queries.prepaid_liability(scope_for(hq_admin)).rows[0]
    assert (a.sessions_value_amount, a.expired_sessions_value_amount, a.session_count) == (
        D("4000.00"),
        D("4000.00"),
        4,
    )


def test_a_fixed_number_of_queries_whatever_the_number_of_stores(owed, chain, hq_admin):
    scope = scope_for(hq_admin)
    with CaptureQueriesContext(connection) as two:
        queries.prepaid_liability(scope)
    for code in ("C", "D", "E"):
        StoreFactory(org=chain, name=f"{code}店", code=code)
    with CaptureQueriesContext(connection) as five:
        rows = queries.prepaid_liability(scope).rows
    assert len(rows) == 5 and len(two.captured_queries) == len(five.captured_queries) <= 5


def test_api_and_page_within_scope(owed, api_for, client_for, hq_admin, store_a_manager,
                                   other_chain_admin, store_a_cashier):  # fmt: skip
    hq = api_for(hq_admin).get("/prepaid-liability").json()
    assert [r["store_name"] for r in hq["stores"]] == ["静安店", "浦东店"]
    assert hq["total"]["total_amount"] == "30800.00" and hq["total"]["store_id"] is None
    assert hq["stores"][0]["expired_sessions_value_amount"] == "6000.00"
    # a store manager: their store only
    mine = api_for(store_a_manager).get("/prepaid-liability").json()
    assert [r["store_name"] for r in mine["stores"]] == ["静安店"]
    assert mine["total"]["deposit_amount"] == "500.00"
    # another chain sees none of it; a cashier may not look
    other = api_for(other_chain_admin).get("/prepaid-liability").json()
    assert other["total"]["total_amount"] == "0.00"
    assert "静安店" not in str(other)
    assert api_for(store_a_cashier).get("/prepaid-liability").status_code == 403
    page = client_for(store_a_manager).get("/sales/prepaid-liability/").content.decode()
    assert "¥30,500.00" in page and "¥6,000.00" in page and "浦东店" not in page
