"""Taking payment: several methods, never more than due, arrears, stored value, coupons,
deposits, idempotency, closed periods, and what the first payment grants."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum

from yanzhi.core.errors import BusinessError
from yanzhi.customers.models import CustomerSummary
from yanzhi.customers.tests.factories import make_customer
from yanzhi.org.models import PeriodClose
from yanzhi.sales import services
from yanzhi.sales.models import Coupon, Deposit, Order, Payment, StoredValueCard, StoredValueLedger
from yanzhi.sales.services import PaymentLine
from yanzhi.sales.tests.conftest import TODAY, card_line, cash
from yanzhi.treatments.models import Entitlement


def test_several_methods_and_arrears(open_pending, hydra, cream, store_a_cashier, customer):
    # given: ¥1,200 due
    order = open_pending([(hydra.pk, 1, 0), (cream.pk, 1, 0)])
    # when: ¥500 cash + ¥300 WeChat
    order = services.pay_order(
        order, payments=[cash("500"), PaymentLine("wechat", Decimal("300"))], by=store_a_cashier
    )
    # then: paid with ¥400 arrears, on the summary too
    assert order.status == Order.Status.PAID
    assert (order.paid_amount, order.arrears_amount) == (Decimal("800.00"), Decimal("400.00"))
    summary = CustomerSummary.objects.get(customer=customer)
    assert summary.arrears_amount == Decimal("400.00")
    assert summary.total_spend_amount == Decimal("800.00")
    # when: the arrears are paid later (补缴)
    order = services.pay_arrears(order, payments=[PaymentLine("alipay", "400")], by=store_a_cashier)
    # then
    assert order.arrears_amount == 0 and order.paid_amount == Decimal("1200.00")
    summary.refresh_from_db()
    assert summary.arrears_amount == 0 and summary.total_spend_amount == Decimal("1200.00")
    with pytest.raises(BusinessError, match="order_not_payable"):
        services.pay_order(order, payments=[cash("1")], by=store_a_cashier)


def test_paying_more_than_due_is_refused(open_pending, hydra, store_a_cashier, customer):
    order = open_pending([(hydra.pk, 1, 0)])
    with pytest.raises(BusinessError) as error:
        services.pay_order(order, payments=[cash("600"), cash("400.01")], by=store_a_cashier)
    assert error.value.code == "overpaid" and "超过应付金额" in str(error.value.message)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and order.paid_amount == 0
    assert not Payment.objects.exists()


@pytest.mark.parametrize("amount", ["0", "-5", "abc"])
def test_amounts_must_be_positive(open_pending, hydra, store_a_cashier, amount):
    order = open_pending([(hydra.pk, 1, 0)])
    with pytest.raises(BusinessError, match="invalid_amount"):
        services.pay_order(order, payments=[PaymentLine("cash", amount)], by=store_a_cashier)
    assert not Payment.objects.exists()


def test_stored_value_card_is_issued_with_its_value(card_with, customer):
    card = card_with()
    assert card.original_amount == card.balance_amount == Decimal("11000.00")
    assert card.expires_on == TODAY + timedelta(days=365)
    assert list(card.ledger.values_list("reason", "delta")) == [("issued", Decimal("11000.00"))]


def test_pay_from_card_and_too_little_balance(card_with, open_pending, hydra, store_a_cashier):
    card = card_with()
    order = open_pending([(hydra.pk, 1, 0)])
    services.pay_order(order, payments=[card_line(card, "1000")], by=store_a_cashier)
    card.refresh_from_db()
    assert card.balance_amount == Decimal("10000.00")
    # given: a ¥12,000 order, a card with ¥10,000 left
    big = open_pending([(hydra.pk, 12, 0)])
    # when / then
    with pytest.raises(BusinessError) as error:
        services.pay_order(
            big, payments=[cash("1000"), card_line(card, "11000")], by=store_a_cashier
        )
    assert error.value.code == "insufficient_balance"
    card.refresh_from_db()
    big.refresh_from_db()
    assert card.balance_amount == Decimal("10000.00") and card.ledger.count() == 2
    assert big.status == Order.Status.PENDING and not big.payments.exists()


def test_card_of_another_customer_or_expired_is_refused(
    card_with, open_pending, hydra, store_a, store_a_cashier, customer
):
    card = card_with()
    other = make_customer(store_a, name="李丽")
    order = open_pending([(hydra.pk, 1, 0)], cust=other)
    with pytest.raises(BusinessError, match="invalid_card"):
        services.pay_order(order, payments=[card_line(card, "100")], by=store_a_cashier)
    StoredValueCard.objects.filter(pk=card.pk).update(expires_on=TODAY - timedelta(days=1))
    mine = open_pending([(hydra.pk, 1, 0)])
    with pytest.raises(BusinessError, match="card_expired"):
        services.pay_order(mine, payments=[card_line(card, "100")], by=store_a_cashier)
    assert not Payment.objects.filter(method="stored_value").exists()


def test_coupon_and_deposit(
    open_pending, hydra, store_a, store_a_cashier, store_a_manager, customer
):
    coupon = services.issue_coupon(
        customer, value_amount="100", expires_on=TODAY, by=store_a_manager
    )
    deposit = services.take_deposit(
        customer, store=store_a, amount="300", method="wechat", by=store_a_cashier
    )
    order = open_pending([(hydra.pk, 1, 0)])
    order = services.pay_order(
        order,
        payments=[
            PaymentLine("coupon", "100", coupon_id=coupon.pk),
            PaymentLine("deposit", "300", deposit_id=deposit.pk),
            cash("600"),
        ],
        by=store_a_cashier,
    )
    assert order.arrears_amount == 0
    coupon.refresh_from_db()
    deposit.refresh_from_db()
    assert coupon.status == Coupon.Status.USED
    assert (deposit.status, deposit.applied_order_id) == (Deposit.Status.APPLIED, order.pk)
    # spend counts real money (the deposit and the cash), not the coupon
    assert CustomerSummary.objects.get(customer=customer).total_spend_amount == Decimal("900.00")
    again = open_pending([(hydra.pk, 1, 0)])
    with pytest.raises(BusinessError, match="coupon_unavailable"):
        services.pay_order(
            again, payments=[PaymentLine("coupon", "100", coupon_id=coupon.pk)], by=store_a_cashier
        )
    with pytest.raises(BusinessError, match="deposit_unavailable"):
        services.pay_order(
            again,
            payments=[PaymentLine("deposit", "300", deposit_id=deposit.pk)],
            by=store_a_cashier,
        )
    assert not again.payments.exists()


def test_an_expired_coupon_is_refused_until_extended(
    open_pending, hydra, store_a_cashier, store_a_manager, customer
):
    coupon = services.issue_coupon(
        customer, value_amount="50", expires_on=TODAY, by=store_a_manager
    )
    Coupon.objects.filter(pk=coupon.pk).update(expires_on=TODAY - timedelta(days=2))
    order = open_pending([(hydra.pk, 1, 0)])
    pay = [PaymentLine("coupon", "50", coupon_id=coupon.pk)]
    with pytest.raises(BusinessError, match="coupon_unavailable"):
        services.pay_order(order, payments=pay, by=store_a_cashier)
    with pytest.raises(BusinessError, match="reason_required"):
        services.extend_coupon(
            coupon, new_expires_on=TODAY + timedelta(days=30), reason="", by=store_a_manager
        )
    services.extend_coupon(
        coupon, new_expires_on=TODAY + timedelta(days=30), reason="顾客出差", by=store_a_manager
    )
    services.pay_order(order, payments=pay, by=store_a_cashier)
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.USED


def test_extend_card(card_with, store_a_manager, store_a_cashier):
    card = card_with()
    new = date(2027, 12, 31)
    with pytest.raises(BusinessError, match="forbidden"):
        services.extend_card(card, new_expires_on=new, reason="x", by=store_a_cashier)
    services.extend_card(card, new_expires_on=new, reason="疫情顺延", by=store_a_manager)
    card.refresh_from_db()
    assert card.expires_on == new
    assert card.ledger.last().reason == StoredValueLedger.Reason.EXTENDED


def test_idempotent_pay_charges_once(open_pending, hydra, store_a_cashier):
    order = open_pending([(hydra.pk, 1, 0)])
    first = services.pay_order(
        order, payments=[cash("400")], idempotency_key="k-1", by=store_a_cashier
    )
    again = services.pay_order(
        order, payments=[cash("400")], idempotency_key="k-1", by=store_a_cashier
    )
    assert first.pk == again.pk and again.paid_amount == Decimal("400.00")
    assert Payment.objects.aggregate(s=Sum("amount"))["s"] == Decimal("400.00")
    other = open_pending([(hydra.pk, 1, 0)])
    with pytest.raises(BusinessError, match="idempotency_key_reused"):
        services.pay_order(other, payments=[cash("400")], idempotency_key="k-1", by=store_a_cashier)


def test_closed_period_refuses_a_back_dated_payment(
    open_pending, hydra, store_a, store_a_cashier, store_a_manager
):
    PeriodClose.objects.create(
        org=store_a.org,
        store=store_a,
        month=date(2026, 2, 1),
        closed_at=store_a.created_at,
        closed_by=store_a_manager,
    )
    order = open_pending([(hydra.pk, 1, 0)])
    with pytest.raises(BusinessError) as error:
        services.pay_order(
            order, payments=[cash("100")], business_date=date(2026, 2, 27), by=store_a_cashier
        )
    assert error.value.code == "period_closed"
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and not Payment.objects.exists()
    services.pay_order(
        order, payments=[cash("100")], business_date=date(2026, 3, 1), by=store_a_cashier
    )


def test_first_payment_grants_courses(
    open_pending, hydra, session_card, package, store_a_cashier, customer
):
    order = open_pending([(hydra.pk, 3, "300"), (session_card.pk, 1, 0), (package.pk, 1, 0)])
    services.pay_order(order, payments=[cash("10")], by=store_a_cashier)
    got = {
        (e.item.code, e.total_sessions, e.unit_value_amount, e.source_kind)
        for e in Entitlement.objects.select_related("item")
    }
    assert got == {
        ("S01", 3, Decimal("900.00"), "purchase"),
        ("S01", 5, Decimal("800.00"), "session_card"),
        # ¥79 split by list value 1000 : 600 → 49.38 + 29.62 (2 sessions → 14.81)
        ("S01", 1, Decimal("49.38"), "package"),
        ("S02", 2, Decimal("14.81"), "package"),
    }
    # a further payment (arrears) grants nothing more
    services.pay_order(order, payments=[cash("10")], by=store_a_cashier)
    assert Entitlement.objects.count() == 4


def test_a_fully_discounted_order_is_settled_without_payment_and_is_no_deal(
    open_pending, hydra, store_a_cashier, client_for
):
    from yanzhi.treatments.models import Entitlement

    # given a gifted session: ¥1,000 with ¥1,000 off
    order = open_pending([(hydra.pk, 1, "1000.00")])
    assert order.payable_amount == 0
    # when the cashier settles it from the pay panel (the prefilled ¥0.00 row)
    r = client_for(store_a_cashier).post(
        f"/orders/{order.pk}/pay/",
        {"method": ["cash"], "amount": ["0.00"], "source": [""], "idempotency_key": "k0"},
        HTTP_HX_REQUEST="true",
    )
    # then it is paid, grants the session, and is not a deal (nothing was paid)
    assert r.status_code == 200, r.content.decode()[:300]
    order.refresh_from_db()
    assert order.status == "paid" and not order.is_deal
    assert not order.payments.exists()
    assert Entitlement.objects.get(source_line_id=order.lines.get().pk).remaining_sessions == 1


def test_an_order_with_money_due_still_needs_a_payment(open_pending, hydra, store_a_cashier):
    order = open_pending([(hydra.pk, 1, 0)])
    with pytest.raises(BusinessError) as error:
        services.pay_order(order, payments=[], by=store_a_cashier)
    assert error.value.code == "no_payments"
