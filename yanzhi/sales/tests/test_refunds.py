"""Refunds: back to the original methods (latest first), arrears cancelled first, used
sessions not refundable, a stored-value card refunds its unused balance, a deal stays a deal."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yanzhi.core.balances import checks
from yanzhi.core.errors import BusinessError
from yanzhi.customers.models import CustomerSummary
from yanzhi.sales import services
from yanzhi.sales.models import Order, Payment
from yanzhi.sales.services import PaymentLine
from yanzhi.sales.tests.conftest import card_line, cash, use_session
from yanzhi.treatments.services import refundable_sessions


def _no_mismatches():
    return [m for check in checks().values() for m in check()]


def test_full_refund_goes_back_to_the_original_methods(
    card_with, open_pending, hydra, store_a_cashier, store_a_manager, customer
):
    # given: ¥2,000 paid ¥1,500 from the card then ¥500 by WeChat
    card = card_with()
    order = open_pending([(hydra.pk, 2, 0)])
    services.pay_order(order, payments=[card_line(card, "1500")], by=store_a_cashier)
    services.pay_order(order, payments=[PaymentLine("wechat", "500")], by=store_a_cashier)
    # when
    order = services.refund_order(order, full=True, by=store_a_manager, reason="顾客不想做了")
    # then
    assert order.status == Order.Status.REFUNDED
    assert (order.paid_amount, order.refunded_amount, order.arrears_amount) == (
        0,
        Decimal("2000.00"),
        0,
    )
    refunds = list(
        order.payments.filter(refund_of__isnull=False)
        .order_by("id")
        .values_list("method", "amount")
    )
    assert refunds == [("wechat", Decimal("-500.00")), ("stored_value", Decimal("-1500.00"))]
    card.refresh_from_db()
    assert card.balance_amount == Decimal("11000.00")
    assert card.ledger.last().reason == "refunded"
    assert order.is_deal  # a refunded deal stays a deal
    assert CustomerSummary.objects.get(customer=customer).deal_count == 2  # card order + this one
    assert _no_mismatches() == []


def test_refund_cancels_arrears_first(
    open_pending, hydra, cream, store_a_cashier, store_a_manager, customer
):
    # given: ¥1,200 due, ¥1,000 paid, ¥200 owed
    order = open_pending([(hydra.pk, 1, 0), (cream.pk, 1, 0)])
    services.pay_order(order, payments=[cash("1000")], by=store_a_cashier)
    line = order.lines.get(item=cream)
    # when: the ¥200 cream goes back
    order = services.refund_order(order, lines=[(line.pk, 1)], by=store_a_manager, reason="过敏")
    # then: no money returned, the arrears are gone
    assert (order.paid_amount, order.refunded_amount, order.arrears_amount) == (
        Decimal("1000.00"),
        Decimal("200.00"),
        0,
    )
    assert order.status == Order.Status.PAID
    assert not Payment.objects.filter(amount__lt=0).exists()
    assert CustomerSummary.objects.get(customer=customer).arrears_amount == 0
    assert _no_mismatches() == []


def test_used_session_is_not_refundable(open_pending, hydra, store_a_cashier, store_a_manager):
    order = open_pending([(hydra.pk, 3, 0)])
    services.pay_order(order, payments=[cash("3000")], by=store_a_cashier)
    line = order.lines.get()
    use_session(line)
    with pytest.raises(BusinessError) as error:
        services.refund_order(order, lines=[(line.pk, 3)], by=store_a_manager, reason="x")
    assert error.value.code == "sessions_used"
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.refunded_amount == 0 and line.refunded_quantity == 0
    assert refundable_sessions(line.pk) == 2
    # the two unused sessions can go back
    order = services.refund_order(order, full=True, by=store_a_manager, reason="x")
    assert order.refunded_amount == Decimal("2000.00") and order.paid_amount == Decimal("1000.00")
    assert order.status == Order.Status.PAID  # one session was used: not fully refunded
    assert refundable_sessions(line.pk) == 0
    with pytest.raises(BusinessError, match="nothing_to_refund"):
        services.refund_order(order, full=True, by=store_a_manager, reason="x")


def test_stored_value_card_refunds_only_its_unused_balance(
    card_with, open_pending, hydra, store_a_cashier, store_a_manager
):
    card = card_with()
    card_order = card.source_line.order
    spend = open_pending([(hydra.pk, 6, "500")])
    services.pay_order(spend, payments=[card_line(card, "5500")], by=store_a_cashier)
    # when: the card (¥10,000 for ¥11,000, ¥5,500 left) goes back
    card_order = services.refund_order(card_order, full=True, by=store_a_manager, reason="退卡")
    # then: half its value unused → half its price back
    assert card_order.refunded_amount == Decimal("5000.00")
    assert card_order.payments.get(amount__lt=0).amount == Decimal("-5000.00")
    card.refresh_from_db()
    assert card.balance_amount == 0 and card.status == "refunded"
    assert _no_mismatches() == []


def test_refund_needs_a_reason_and_the_role(open_pending, hydra, store_a_cashier, store_a_manager):
    order = open_pending([(hydra.pk, 1, 0)])
    services.pay_order(order, payments=[cash("1000")], by=store_a_cashier)
    with pytest.raises(BusinessError, match="forbidden"):
        services.refund_order(order, full=True, by=store_a_cashier, reason="x")
    with pytest.raises(BusinessError, match="reason_required"):
        services.refund_order(order, full=True, by=store_a_manager, reason=" ")
    with pytest.raises(BusinessError, match="refund_too_many"):
        services.refund_order(
            order, lines=[(order.lines.get().pk, 2)], by=store_a_manager, reason="x"
        )


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    paid=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=3),
    refunds=st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=4),
)
@pytest.mark.django_db
def test_refunds_keep_the_money_consistent(
    paid, refunds, chain, store_a, customer, cream, open_pending, store_a_cashier, store_a_manager
):
    # given: 4 creams (¥800) paid in parts, then refunded piece by piece (a new order per example)
    order = open_pending([(cream.pk, 4, 0)])
    for amount in paid:
        order.refresh_from_db()
        if order.status == Order.Status.PAID and order.arrears_amount == 0:
            break
        amount = min(Decimal(amount), order.arrears_amount)
        services.pay_order(
            order,
            payments=[PaymentLine("cash" if amount % 2 else "alipay", amount)],
            by=store_a_cashier,
        )
    line = order.lines.get()
    for units in refunds:
        line.refresh_from_db()
        if units > line.remaining_quantity:
            continue
        services.refund_order(order, lines=[(line.pk, units)], by=store_a_manager, reason="x")
    # then: arrears = payable − refunded − paid ≥ 0; every original refunded at most fully
    order.refresh_from_db()
    assert order.arrears_amount == order.payable_amount - order.refunded_amount - order.paid_amount
    assert order.arrears_amount >= 0 and order.paid_amount >= 0
    for original in order.payments.filter(refund_of__isnull=True):
        assert sum(r.amount for r in original.refunds.all()) + original.amount >= 0
    assert order.paid_amount == sum(p.amount for p in order.payments.all())
    line.refresh_from_db()
    assert order.refunded_amount == line.refunded_amount


def test_a_partly_used_session_card_refunds_its_unused_sessions_at_the_price_paid(
    open_pending, session_card, store_a_cashier, store_a_manager
):
    # given a 5-session card bought for ¥4,000 with ¥500 off (¥700 a session), 2 sessions used
    order = open_pending([(session_card.pk, 1, "500")])
    services.pay_order(order, payments=[cash("3500")], by=store_a_cashier)
    line = order.lines.get()
    use_session(line, 2)
    # whole units cannot go back any more
    with pytest.raises(BusinessError) as error:
        services.refund_order(order, lines=[(line.pk, 1)], by=store_a_manager, reason="x")
    assert error.value.code == "sessions_used"
    # more sessions than are left: refused, nothing changed
    with pytest.raises(BusinessError) as error:
        services.refund_order(order, sessions=[(line.pk, 4)], by=store_a_manager, reason="x")
    assert error.value.code == "sessions_used" and "sessions.0.sessions" in error.value.fields
    assert refundable_sessions(line.pk) == 3
    # when two of the three unused sessions go back
    order = services.refund_order(order, sessions=[(line.pk, 2)], by=store_a_manager, reason="搬家")
    # then ¥1,400 comes back in cash; one session is left
    assert order.refunded_amount == Decimal("1400.00")
    assert order.paid_amount == Decimal("2100.00")
    assert order.payments.get(refund_of__isnull=False).amount == Decimal("-1400.00")
    assert refundable_sessions(line.pk) == 1
    # and "everything refundable" takes the last one
    order = services.refund_order(order, full=True, by=store_a_manager, reason="搬家")
    assert order.refunded_amount == Decimal("2100.00") and order.paid_amount == Decimal("1400.00")
    assert order.status == Order.Status.PAID  # two sessions were used
    assert _no_mismatches() == []


def test_a_partly_used_package_refunds_each_unused_session_at_its_share(
    open_pending, package, hydra, store_a_cashier, store_a_manager
):
    # given the ¥79 festive bag (one 水光针 ¥1,000 + two 激光点痣 ¥300: shares 1000:600),
    # the 水光针 session used
    order = open_pending([(package.pk, 1, 0)])
    services.pay_order(order, payments=[cash("79")], by=store_a_cashier)
    line = order.lines.get()
    from yanzhi.treatments.models import Entitlement

    hydra_course = Entitlement.objects.get(source_line_id=line.pk, item=hydra)
    from yanzhi.org.tests.factories import make_staff
    from yanzhi.treatments.services import execute_session

    execute_session(hydra_course, by=make_staff(order.org, "nurse", [order.store]))
    laser_value = (
        Entitlement.objects.exclude(pk=hydra_course.pk)
        .get(source_line_id=line.pk)
        .unit_value_amount
    )
    # when everything refundable goes back
    order = services.refund_order(order, full=True, by=store_a_manager, reason="x")
    # then the two laser sessions, at their share of ¥79
    assert order.refunded_amount == laser_value * 2
    assert Decimal("29.00") <= order.refunded_amount <= Decimal("30.00")  # 79 × 600/1600 = 29.63
    assert refundable_sessions(line.pk) == 0
    assert _no_mismatches() == []


def test_sessions_refund_refuses_a_line_without_sessions(
    open_pending, cream, store_a_cashier, store_a_manager
):
    order = open_pending([(cream.pk, 1, 0)])
    services.pay_order(order, payments=[cash("200")], by=store_a_cashier)
    with pytest.raises(BusinessError) as error:
        services.refund_order(
            order, sessions=[(order.lines.get().pk, 1)], by=store_a_manager, reason="x"
        )
    assert error.value.code == "no_sessions"
    order.refresh_from_db()
    assert order.refunded_amount == 0


def test_the_refund_form_offers_the_unused_sessions_of_a_partly_used_card(
    client_for, open_pending, session_card, store_a_cashier, store_a_manager
):
    order = open_pending([(session_card.pk, 1, 0)])
    services.pay_order(order, payments=[cash("4000")], by=store_a_cashier)
    line = order.lines.get()
    use_session(line, 1)
    c = client_for(store_a_manager)
    page = c.get(f"/orders/{order.pk}/").content.decode()
    assert f'name="sessions_{line.pk}"' in page and "未用 4 次" in page
    r = c.post(
        f"/orders/{order.pk}/refund/",
        {f"sessions_{line.pk}": "4", "reason": "转院"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200, r.content.decode()[:500]
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("3200.00")
