"""The customer's wallet on the profile's orders tab and the order screen: deposits (预约金:
take, list, refund), e-coupons (电子券: issue, list with status and expiry) and the 延期 pages
of cards and coupons with their history; bad input → 422 and nothing changed; scope."""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest

from yanzhi.core.models import AuditLog
from yanzhi.sales import services
from yanzhi.sales.models import Coupon, Deposit, StoredValueLedger
from yanzhi.sales.tests.conftest import TODAY
from yanzhi.scheduling.models import Appointment


@pytest.fixture
def surgery(store_a, customer, store_a_front_desk):
    from yanzhi.core.timeutil import store_datetime

    starts = store_datetime(store_a, TODAY + timedelta(days=3), time(10, 0))
    return Appointment.objects.create(
        org_id=store_a.org_id,
        store=store_a,
        customer=customer,
        purpose=Appointment.Purpose.SURGERY,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        booked_by=store_a_front_desk,
    )


def test_take_deposit_from_the_customer_tab(client_for, store_a_cashier, customer, surgery):
    c = client_for(store_a_cashier)
    tab = c.get(f"/customers/{customer.pk}/orders/").content.decode()
    assert "收预约金" in tab and "手术" in tab  # the booked surgery is offered
    # when
    r = c.post(
        f"/customers/{customer.pk}/deposits/",
        {"amount": "2000", "method": "wechat", "appointment": str(surgery.pk)},
        HTTP_HX_REQUEST="true",
    )
    # then
    assert r.status_code == 200 and "¥2,000.00" in r.content.decode()
    deposit = Deposit.objects.get()
    assert (deposit.amount, deposit.method, deposit.appointment_id, deposit.status) == (
        Decimal("2000.00"),
        "wechat",
        surgery.pk,
        "held",
    )
    assert "¥2,000.00" in c.get(f"/customers/{customer.pk}/deposits/").content.decode()


@pytest.mark.parametrize(
    "form, message",
    [
        ({"amount": "0", "method": "cash"}, "金额必须大于0"),
        ({"amount": "abc", "method": "cash"}, "请输入正确的金额"),
        ({"amount": "100", "method": "stored_value"}, "收款方式不正确"),
        ({"amount": "100", "method": "cash", "appointment": "999999"}, "预约不存在或不属于该客户"),
    ],
)
def test_bad_deposit_is_refused(client_for, store_a_cashier, customer, form, message):
    r = client_for(store_a_cashier).post(
        f"/customers/{customer.pk}/deposits/", form, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 422 and message in r.content.decode()
    assert not Deposit.objects.exists()


def test_deposit_from_the_order_screen_and_applied_at_payment(
    client_for, store_a, store_a_cashier, open_pending, hydra, customer
):
    order = open_pending([(hydra.pk, 1, 0)])
    c = client_for(store_a_cashier)
    page = c.get(f"/orders/{order.pk}/").content.decode()
    assert 'id="order-deposit"' in page
    r = c.post(
        f"/customers/{customer.pk}/deposits/",
        {"amount": "300", "method": "cash", "order": str(order.pk), "store": str(store_a.pk)},
        HTTP_HX_REQUEST="true",
    )
    assert r.headers["HX-Redirect"] == f"/orders/{order.pk}/"
    deposit = Deposit.objects.get()
    # the pay form offers the held deposit, for its whole amount
    page = c.get(f"/orders/{order.pk}/").content.decode()
    assert f'value="deposit:{deposit.pk}" data-fixed="300.00"' in page
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    r = c.post(
        f"/orders/{order.pk}/pay/",
        {
            "idempotency_key": key,
            "method": [f"deposit:{deposit.pk}", "cash"],
            "amount": ["300", "700"],
        },
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    order.refresh_from_db()
    deposit.refresh_from_db()
    assert order.status == "paid" and order.arrears_amount == 0
    assert deposit.status == "applied" and deposit.applied_order_id == order.pk
    # an applied deposit shows with its order on the customer tab and cannot be refunded
    tab = c.get(f"/customers/{customer.pk}/orders/").content.decode()
    assert order.order_no in tab and "已抵扣" in tab


def test_refund_deposit(client_for, store_a, store_a_manager, store_a_cashier, customer):
    deposit = services.take_deposit(
        customer, store=store_a, amount="500", method="cash", by=store_a_cashier
    )
    c = client_for(store_a_manager)
    assert (
        f"/deposits/{deposit.pk}/refund/"
        in c.get(f"/customers/{customer.pk}/orders/").content.decode()
    )
    # a reason is required
    r = c.post(f"/deposits/{deposit.pk}/refund/", {"reason": " "}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422 and "请填写退款原因" in r.content.decode()
    deposit.refresh_from_db()
    assert deposit.status == "held"
    # a cashier may take but not refund
    assert (
        client_for(store_a_cashier)
        .post(f"/deposits/{deposit.pk}/refund/", {"reason": "客户取消手术"})
        .status_code
        == 403
    )
    r = c.post(
        f"/deposits/{deposit.pk}/refund/", {"reason": "客户取消手术"}, HTTP_HX_REQUEST="true"
    )
    deposit.refresh_from_db()
    assert r.status_code == 200 and deposit.status == "refunded" and "已退还" in r.content.decode()
    assert AuditLog.objects.filter(action="deposit.refunded", note="客户取消手术").exists()
    # twice: refused, still refunded once
    r = c.post(f"/deposits/{deposit.pk}/refund/", {"reason": "again"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422 and "已抵扣或已退还" in r.content.decode()
    assert AuditLog.objects.filter(action="deposit.refunded").count() == 1


def test_issue_coupon_and_list_with_status(client_for, store_a_service, store_a_cashier, customer):
    c = client_for(store_a_service)
    expires = (TODAY + timedelta(days=30)).isoformat()
    r = c.post(
        f"/customers/{customer.pk}/coupons/",
        {"value_amount": "88", "expires_on": expires, "code": "SPRING88"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    coupon = Coupon.objects.get()
    assert (coupon.code, coupon.value_amount, coupon.expires_on.isoformat()) == (
        "SPRING88",
        Decimal("88.00"),
        expires,
    )
    body = r.content.decode()
    assert "SPRING88" in body and expires in body and "可用" in body
    # an expired one shows as 已过期
    Coupon.objects.filter(pk=coupon.pk).update(expires_on=TODAY - timedelta(days=1))
    assert "已过期" in c.get(f"/customers/{customer.pk}/coupons/").content.decode()
    # a cashier may not issue
    assert (
        client_for(store_a_cashier)
        .post(f"/customers/{customer.pk}/coupons/", {"value_amount": "10", "expires_on": expires})
        .status_code
        == 403
    )


@pytest.mark.parametrize(
    "form, message",
    [
        ({"value_amount": "-5", "expires_on": "2026-12-31"}, "金额必须大于0"),
        ({"value_amount": "50", "expires_on": "2026-03-01"}, "有效期不能早于今天"),
        ({"value_amount": "50", "expires_on": "soon"}, "有效期不能早于今天"),
        ({"value_amount": "50", "expires_on": "2026-12-31", "code": "DUP"}, "券码已存在"),
    ],
)
def test_bad_coupon_is_refused(client_for, store_a_service, hq_admin, customer, form, message):
    services.issue_coupon(
        customer, value_amount="5", expires_on=date(2026, 12, 31), code="DUP", by=hq_admin
    )
    r = client_for(store_a_service).post(
        f"/customers/{customer.pk}/coupons/", form, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 422 and message in r.content.decode()
    assert Coupon.objects.count() == 1


def test_extend_card_with_reason_and_history(client_for, store_a_manager, card_with):
    card = card_with()
    old = card.expires_on
    c = client_for(store_a_manager)
    url = f"/cards/{card.pk}/"
    page = c.get(url).content.decode()
    assert card.card_no in page and "¥11,000.00" in page and "暂无延期记录" in page
    # no reason → 422, nothing changed
    new = (old + timedelta(days=90)).isoformat()
    r = c.post(url, {"new_expires_on": new, "reason": ""}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422 and "请填写延期原因" in r.content.decode()
    # an earlier date → 422
    r = c.post(url, {"new_expires_on": TODAY.isoformat(), "reason": "x"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422 and "新的有效期须晚于原有效期" in r.content.decode()
    card.refresh_from_db()
    assert card.expires_on == old
    assert not StoredValueLedger.objects.filter(card=card, reason="extended").exists()
    # when extended
    r = c.post(url, {"new_expires_on": new, "reason": "客户出国"}, HTTP_HX_REQUEST="true")
    # then the expiry moved, the history shows old → new with the reason
    card.refresh_from_db()
    body = r.content.decode()
    assert r.status_code == 200 and card.expires_on.isoformat() == new
    assert "客户出国" in body and old.isoformat() in body and new in body
    assert StoredValueLedger.objects.filter(card=card, reason="extended", note="客户出国").exists()


def test_only_extenders_may_extend(
    client_for, store_a_cashier, store_a_manager, card_with, hq_admin, customer
):
    card = card_with()
    coupon = services.issue_coupon(
        customer, value_amount="50", expires_on=date(2026, 4, 1), by=hq_admin
    )
    c = client_for(store_a_cashier)
    page = c.get(f"/cards/{card.pk}/").content.decode()
    assert card.card_no in page and 'name="reason"' not in page
    for url in (f"/cards/{card.pk}/", f"/coupons/{coupon.pk}/"):
        r = c.post(url, {"new_expires_on": "2027-12-31", "reason": "x"}, HTTP_HX_REQUEST="true")
        assert r.status_code == 403
    card.refresh_from_db()
    coupon.refresh_from_db()
    assert card.expires_on != date(2027, 12, 31) and coupon.expires_on == date(2026, 4, 1)


def test_extend_coupon_with_history(client_for, hq_admin, store_a_manager, customer):
    coupon = services.issue_coupon(
        customer, value_amount="50", expires_on=date(2026, 4, 1), code="C50", by=hq_admin
    )
    c = client_for(store_a_manager)
    url = f"/coupons/{coupon.pk}/"
    r = c.post(url, {"new_expires_on": "2026-03-20", "reason": "活动顺延"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422
    coupon.refresh_from_db()
    assert coupon.expires_on == date(2026, 4, 1)
    r = c.post(url, {"new_expires_on": "2026-06-30", "reason": "活动顺延"}, HTTP_HX_REQUEST="true")
    coupon.refresh_from_db()
    assert r.status_code == 200 and coupon.expires_on == date(2026, 6, 30)
    body = c.get(url).content.decode()
    assert "活动顺延" in body and "2026-04-01" in body and "2026-06-30" in body


def test_wallet_scope(
    client_for,
    store_a,
    store_a_cashier,
    store_b_consultant,
    store_b_front_desk,
    store_a_consultant_2,
    other_chain_admin,
    hq_admin,
    card_with,
    customer,
):
    card = card_with()
    coupon = services.issue_coupon(
        customer, value_amount="50", expires_on=date(2026, 4, 1), by=hq_admin
    )
    deposit = services.take_deposit(
        customer, store=store_a, amount="500", method="cash", by=store_a_cashier
    )
    gets = [
        f"/customers/{customer.pk}/deposits/",
        f"/customers/{customer.pk}/coupons/",
        f"/cards/{card.pk}/",
        f"/coupons/{coupon.pk}/",
    ]
    for staff in (store_b_consultant, store_a_consultant_2, other_chain_admin):
        c = client_for(staff)
        for url in gets:
            assert c.get(url).status_code == 404, (staff, url)
    # store B's front desk may take deposits, but not for store A's customer
    r = client_for(store_b_front_desk).post(
        f"/customers/{customer.pk}/deposits/", {"amount": "100", "method": "cash"}
    )
    assert r.status_code == 404
    r = client_for(other_chain_admin).post(f"/deposits/{deposit.pk}/refund/", {"reason": "x"})
    assert r.status_code == 404
    deposit.refresh_from_db()
    assert Deposit.objects.count() == 1 and deposit.status == "held"


def test_customer_tab_query_count(
    client_for,
    store_a,
    store_a_manager,
    store_a_cashier,
    hq_admin,
    card_with,
    customer,
    surgery,
    django_assert_max_num_queries,
):
    card_with()
    for n in range(5):
        services.issue_coupon(customer, value_amount="10", expires_on=date(2026, 5, 1), by=hq_admin)
        services.take_deposit(
            customer, store=store_a, amount=f"{n + 1}00", method="cash", by=store_a_cashier
        )
    c = client_for(store_a_manager)
    c.get(f"/customers/{customer.pk}/orders/")
    with django_assert_max_num_queries(15):
        r = c.get(f"/customers/{customer.pk}/orders/")
    assert r.content.decode().count("/deposits/") >= 5
