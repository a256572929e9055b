"""The cashier's pay panel on the order page: the amount prefilled with what is still due, the
customer's cards (balance, expiry), coupons and held deposits offered as methods, several
methods on one payment, an idempotency key so a double submit charges once, and a refused
payment that keeps the typed rows and changes nothing."""

from datetime import date
from decimal import Decimal

from yanzhi.sales import services
from yanzhi.sales.models import Payment, StoredValueLedger
from yanzhi.sales.tests.conftest import cash


def _key(page: str) -> str:
    return page.split('name="idempotency_key" value="')[1].split('"')[0]


def test_pay_form_offers_due_amount_and_the_customers_sources(
    client_for, store_a, store_a_cashier, hq_admin, open_pending, card_with, hydra, customer
):
    # given a card (¥11,000, valid a year), an unused coupon, a held deposit and an expired coupon
    card = card_with()
    coupon = services.issue_coupon(
        customer, value_amount="88", expires_on=date(2026, 6, 30), code="CPN88", by=hq_admin
    )
    services.issue_coupon(
        customer, value_amount="99", expires_on=date(2026, 3, 20), code="OLD99", by=hq_admin
    )
    from yanzhi.sales.models import Coupon

    Coupon.objects.filter(code="OLD99").update(expires_on=date(2026, 3, 1))
    deposit = services.take_deposit(
        customer, store=store_a, amount="500", method="cash", by=store_a_cashier
    )
    order = open_pending([(hydra.pk, 2, 0)])
    # when the cashier opens the order
    page = client_for(store_a_cashier).get(f"/orders/{order.pk}/").content.decode()
    # then the amount is prefilled with what is due and the sources are offered
    assert 'name="amount" inputmode="decimal" autocomplete="off"' in page
    assert 'value="2000.00"' in page
    assert f'value="stored_value:{card.pk}" data-max="11000.00"' in page
    assert card.expires_on.isoformat() in page and "¥11,000.00" in page
    assert f'value="coupon:{coupon.pk}" data-max="88.00"' in page
    assert f'value="deposit:{deposit.pk}" data-fixed="500.00"' in page
    assert "OLD99" not in page  # an expired coupon is not offered
    assert 'name="idempotency_key"' in page


def test_card_plus_wechat_in_one_payment_and_double_submit_charges_once(
    client_for, store_a_cashier, open_pending, card_with, hydra
):
    card = card_with()
    order = open_pending([(hydra.pk, 1, 0)])
    c = client_for(store_a_cashier)
    key = _key(c.get(f"/orders/{order.pk}/").content.decode())
    form = {
        "idempotency_key": key,
        "method": [f"stored_value:{card.pk}", "wechat"],
        "amount": ["600", "400"],
    }
    # when the same form is sent twice (a double click)
    for _ in range(2):
        r = c.post(f"/orders/{order.pk}/pay/", form, HTTP_HX_REQUEST="true")
        assert r.headers["HX-Redirect"] == f"/orders/{order.pk}/"
    # then the card was charged once and the order is paid once
    order.refresh_from_db()
    card.refresh_from_db()
    assert order.status == "paid" and order.paid_amount == Decimal("1000.00")
    assert sorted(order.payments.values_list("method", "amount")) == [
        ("stored_value", Decimal("600.00")),
        ("wechat", Decimal("400.00")),
    ]
    assert card.balance_amount == Decimal("10400.00")
    assert StoredValueLedger.objects.filter(card=card, reason="paid").count() == 1


def test_refused_payment_keeps_the_rows_and_changes_nothing(
    client_for, store_a_cashier, open_pending, card_with, hydra
):
    card = card_with()
    order = open_pending([(hydra.pk, 1, 0)])
    c = client_for(store_a_cashier)
    key = _key(c.get(f"/orders/{order.pk}/").content.decode())
    r = c.post(
        f"/orders/{order.pk}/pay/",
        {
            "idempotency_key": key,
            "method": [f"stored_value:{card.pk}", "wechat"],
            "amount": ["800", "400"],
        },
        HTTP_HX_REQUEST="true",
    )
    body = r.content.decode()
    assert r.status_code == 422 and "超过应付金额" in body
    # the rows typed are kept (the card selected, its amount) and a new key is issued
    assert f'value="stored_value:{card.pk}" data-max="11000.00" selected' in body
    assert 'value="800"' in body and _key(body) != key
    order.refresh_from_db()
    card.refresh_from_db()
    assert order.status == "pending" and order.paid_amount == 0
    assert card.balance_amount == Decimal("11000.00")
    assert not Payment.objects.filter(order=order).exists()


def test_arrears_payment_prefills_the_rest(client_for, store_a_cashier, open_pending, hydra):
    order = open_pending([(hydra.pk, 1, 0)])
    services.pay_order(order, payments=[cash("700")], by=store_a_cashier)
    page = client_for(store_a_cashier).get(f"/orders/{order.pk}/").content.decode()
    assert 'data-due="300.00"' in page and 'value="300.00"' in page
