"""Sales at the desk: a consultant opens an order during a visit, a cashier takes payment by
stored value and WeChat leaving arrears and later collects them, a store manager refunds an
unused line back to the original methods. Each flow ends by checking the database through the
queries and every balance against its ledger."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from yanzhi.e2e.conftest import assert_balances_agree, open_tab, order_lines

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def triaged_visit(regular, store_a_front_desk, store_a_consultant, store_a_doctor):
    from yanzhi.visits.services import register_arrival, triage

    visit = register_arrival(regular.store, customer=regular, by=store_a_front_desk)
    return triage(
        visit, consultant=store_a_consultant, doctor=store_a_doctor, by=store_a_front_desk
    )


@pytest.fixture
def pending_order(regular, shop, store_a_consultant):
    """The ¥5,200 order, submitted for payment."""
    from yanzhi.sales import services

    order = services.open_order(
        regular, store=shop.store, by=store_a_consultant, lines=order_lines(shop)
    )
    return services.submit_order(order, by=store_a_consultant)


def _scope(staff):
    from yanzhi.org.policy import scope_for

    return scope_for(staff)


def _add_item(page, query: str, name: str, total: str):
    """Type in the item search, pick the item, wait for the running total."""
    with page.expect_response(re.compile(r"/orders/items/\?")):
        page.fill("#item-q", query)
    page.locator("#results button", has_text=name).click()
    expect(page.locator("#screen")).to_contain_text(total)


def test_consultant_opens_an_order_during_the_visit(
    page, sign_in, shots, url, shop, regular, triaged_visit, store_a_consultant
):
    from yanzhi.sales import queries
    from yanzhi.sales.models import Order

    # given the consultant's customer arrived and was triaged to her
    sign_in(page, store_a_consultant)
    page.locator("#today-mine").get_by_role("link", name="林晓雨").click()
    page.wait_for_url(url(f"/visits/{triaged_visit.pk}/"))

    # when she opens an order from the visit
    shots(page, "39_consultant_visit")
    page.get_by_role("link", name="开单").click()
    page.wait_for_url(re.compile(r"/orders/new/\?customer=\d+&visit=\d+"))
    expect(page.locator("h1")).to_contain_text("林晓雨")
    expect(page.locator("h1")).to_contain_text("本次到访")

    # and searches the items and adds a service, a product and a session card
    with page.expect_response(re.compile(r"/orders/items/\?")):
        page.fill("#item-q", "水光")
    results = page.locator("#results button")
    expect(results).to_have_count(2)
    expect(results.filter(has_text="水光针")).to_contain_text("¥1,000.00")
    expect(results.filter(has_text="水光5次卡")).to_contain_text("¥4,000.00")
    _add_item(page, "水光针", "水光针", "¥1,000.00")
    _add_item(page, "修复", "修复霜", "¥1,200.00")
    page.locator("#lines tr", has_text="修复霜").get_by_label("数量").fill("2")
    page.locator("#lines tr", has_text="修复霜").get_by_label("数量").press("Tab")
    expect(page.locator("#screen strong")).to_have_text("¥1,400.00")
    _add_item(page, "sg5ck", "水光5次卡", "¥5,400.00")  # by pinyin initials too
    # and gives ¥200 off the session card
    card_row = page.locator("#lines tr", has_text="水光5次卡")
    card_row.get_by_label("优惠").fill("200")
    card_row.get_by_label("优惠").press("Tab")
    expect(page.locator("#screen strong")).to_have_text("¥5,200.00")
    expect(page.locator("#lines tr", has_text="水光5次卡")).to_contain_text("¥3,800.00")
    shots(page, "40_consultant_order_screen")

    # and saves it as a draft
    page.get_by_role("button", name="暂存草稿").click()
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get(customer=regular, status="draft")
    expect(page.locator("h1 .badge").first).to_have_text("草稿")
    shots(page, "41_consultant_order_draft")

    # when she comes back to it later from the order list
    page.goto(url("/orders/?status=draft"))
    page.get_by_role("link", name=order.order_no).click()
    page.wait_for_url(url(f"/orders/{order.pk}/"))
    expect(page.locator("table").first).to_contain_text("水光5次卡")
    # and submits it for payment
    page.get_by_role("button", name="提交收银").click()

    # then the order waits for the cashier with the amounts she set
    expect(page.locator("h1 .badge").first).to_have_text("待支付")
    money = page.locator("dl")
    expect(money).to_contain_text("¥5,200.00")
    expect(page.get_by_role("button", name="确认收款")).to_have_count(0)  # she cannot take money
    shots(page, "42_consultant_order_pending")

    order = queries.get_order_detail(_scope(store_a_consultant), order.pk)
    assert order.status == Order.Status.PENDING
    assert (order.visit_id, order.consultant_id) == (triaged_visit.pk, store_a_consultant.pk)
    assert (order.list_amount, order.discount_amount, order.payable_amount) == (
        Decimal("5400.00"),
        Decimal("200.00"),
        Decimal("5200.00"),
    )
    assert {(ln.item.name, ln.quantity, ln.amount) for ln in order.lines.all()} == {
        ("水光针", 1, Decimal("1000.00")),
        ("修复霜", 2, Decimal("400.00")),
        ("水光5次卡", 1, Decimal("3800.00")),
    }
    assert order.payments.count() == 0
    assert_balances_agree()


def _pay_row(page, n: int, method: str, amount: str):
    """Fill the n-th pay row (adding it when missing): `method` is the option's value, e.g.
    "wechat" or "stored_value:<card id>"."""
    rows = page.locator("#pay .pay-row")
    if rows.count() <= n:
        page.get_by_role("button", name="再加一种支付方式").click()
    row = rows.nth(n)
    row.get_by_label("支付方式").select_option(value=method)
    row.get_by_label("金额").fill(amount)


def test_cashier_takes_stored_value_and_wechat_then_the_arrears(
    page, sign_in, shots, url, shop, regular, pending_order, store_a_cashier
):
    from yanzhi.sales import queries
    from yanzhi.sales.models import Order

    card = regular.stored_value_cards.get()
    # given the cashier at her desk, the order waiting in the list
    sign_in(page, store_a_cashier)
    page.goto(url("/orders/?status=pending"))
    page.get_by_role("link", name=pending_order.order_no).click()
    page.wait_for_url(url(f"/orders/{pending_order.pk}/"))
    expect(page.locator("#pay")).to_contain_text("待收 ¥5,200.00")

    # when she takes ¥3,000 from the customer's stored-value card and ¥1,200 by WeChat
    _pay_row(page, 0, f"stored_value:{card.pk}", "3000")
    _pay_row(page, 1, "wechat", "1200")
    expect(page.locator("#pay-entered")).to_have_text("¥4,200.00")
    expect(page.locator("#pay-left")).to_have_text("¥1,000.00")
    shots(page, "43_cashier_pay_panel")
    form_data = page.evaluate(
        "new URLSearchParams(new FormData(document.querySelector('#pay form'))).toString()"
    )
    # (a nervous double click)
    page.get_by_role("button", name="确认收款").dblclick()

    # then the order is paid with ¥1,000 left owing, shown in red
    expect(page.locator("h1 .badge").first).to_have_text("已支付")
    expect(page.locator("#order-arrears")).to_have_text("¥1,000.00")
    expect(page.locator("#order-arrears")).to_have_class(re.compile("text-danger"))
    money = page.locator("dl")
    expect(money).to_contain_text("实收")
    expect(money).to_contain_text("¥4,200.00")
    payments = page.locator("#payments li")
    expect(payments).to_have_count(2)
    expect(payments.filter(has_text="储值卡")).to_contain_text("¥3,000.00")
    expect(payments.filter(has_text="微信")).to_contain_text("¥1,200.00")
    expect(page.locator("#pay")).to_contain_text("待收 ¥1,000.00")
    shots(page, "44_cashier_order_with_arrears")
    # and the double click charged once; so does the same form sent again (a network retry)
    order = queries.get_order_detail(_scope(store_a_cashier), pending_order.pk)
    assert order.payments.count() == 2
    status = page.evaluate(
        """async (body) => {
            const headers = JSON.parse(document.body.getAttribute('hx-headers'));
            const r = await fetch(location.pathname + 'pay/', {method: 'POST', body,
                headers: {...headers, 'HX-Request': 'true',
                          'Content-Type': 'application/x-www-form-urlencoded'}});
            return r.status;
        }""",
        form_data,
    )
    assert status == 200
    order = queries.get_order_detail(_scope(store_a_cashier), pending_order.pk)
    assert order.payments.count() == 2
    assert (order.status, order.paid_amount, order.arrears_amount) == (
        Order.Status.PAID,
        Decimal("4200.00"),
        Decimal("1000.00"),
    )
    card.refresh_from_db()
    assert card.balance_amount == Decimal("8000.00")
    assert_balances_agree()

    # when the customer comes back and pays the arrears in cash
    page.reload()
    expect(page.locator("#pay").get_by_label("金额").first).to_have_value("1000.00")
    _pay_row(page, 0, "cash", "1000.00")
    page.get_by_role("button", name="确认收款").click()

    # then nothing is owed and the pay panel is gone
    expect(page.locator("#order-arrears")).to_have_text("¥0.00")
    expect(page.locator("#order-arrears")).not_to_have_class(re.compile("text-danger"))
    expect(page.locator("#payments li")).to_have_count(3)
    expect(page.get_by_role("button", name="确认收款")).to_have_count(0)
    shots(page, "45_cashier_order_paid")
    # and the customer's profile shows the card's balance and the order
    page.goto(url(f"/customers/{regular.pk}/"))
    orders_tab = open_tab(page, "订单", "tab-orders")
    expect(orders_tab.locator("tr", has_text=card.card_no)).to_contain_text("¥8,000.00")
    expect(orders_tab.locator("tr", has_text=pending_order.order_no)).to_contain_text("¥5,200.00")
    shots(page, "46_cashier_customer_orders")

    order = queries.get_order_detail(_scope(store_a_cashier), pending_order.pk)
    assert (order.paid_amount, order.arrears_amount) == (Decimal("5200.00"), Decimal("0.00"))
    assert sorted((p.method, p.amount) for p in order.payments.all()) == [
        ("cash", Decimal("1000.00")),
        ("stored_value", Decimal("3000.00")),
        ("wechat", Decimal("1200.00")),
    ]
    regular.summary.refresh_from_db()
    assert regular.summary.arrears_amount == Decimal("0.00")
    assert_balances_agree()


@pytest.fixture
def paid_and_treated(regular, pending_order, store_a_cashier, store_a_nurse):
    """The order paid (card ¥3,000 + WeChat ¥1,200, then the ¥1,000 arrears in cash) and one
    session of the 5-session card used."""
    from yanzhi.sales import services
    from yanzhi.sales.services import PaymentLine
    from yanzhi.treatments.models import Entitlement
    from yanzhi.treatments.services import execute_session

    card = regular.stored_value_cards.get()
    order = services.pay_order(
        pending_order,
        payments=[
            PaymentLine("stored_value", Decimal("3000"), card_id=card.pk),
            PaymentLine("wechat", Decimal("1200")),
        ],
        by=store_a_cashier,
    )
    order = services.pay_arrears(
        order, payments=[PaymentLine("cash", Decimal("1000"))], by=store_a_cashier
    )
    course = Entitlement.objects.get(customer=regular, source_kind="session_card")
    execute_session(course, by=store_a_nurse)
    return order


def test_manager_refunds_unused_lines_to_the_original_methods(
    page, sign_in, shots, url, regular, paid_and_treated, store_a_manager
):
    from yanzhi.sales import queries
    from yanzhi.treatments.models import Entitlement

    order = paid_and_treated
    page.on("dialog", lambda dialog: dialog.accept())  # 确认退款?
    # given the store manager on the paid order
    sign_in(page, store_a_manager)
    page.goto(url(f"/orders/{order.pk}/"))
    refund = page.locator("#refund")
    expect(refund).to_contain_text("水光5次卡")

    # when she tries to refund the session card, one session of which was used
    refund.locator(".input-group", has_text="水光5次卡").get_by_label("退款数量").fill("1")
    refund.get_by_label("退款原因").fill("客户不想做了")
    refund.get_by_role("button", name="退款").click()
    # then she is told why and nothing is refunded
    expect(page.locator("#refund .alert-danger")).to_contain_text("已使用的次数不能退款")
    shots(page, "47_manager_refund_refused")
    assert queries.get_order(_scope(store_a_manager), order.pk).refunded_amount == 0

    # when she refunds the unused 水光针 and one of the two 修复霜 instead
    refund = page.locator("#refund")
    refund.locator(".input-group", has_text="水光5次卡").get_by_label("退款数量").fill("")
    refund.locator(".input-group", has_text="水光针").get_by_label("退款数量").fill("1")
    refund.locator(".input-group", has_text="修复霜").get_by_label("退款数量").fill("1")
    refund.get_by_label("退款原因").fill("客户改期,暂不做水光针")
    refund.get_by_role("button", name="退款").click()

    # then ¥1,200 goes back, latest payment first: the ¥1,000 cash, then ¥200 of the WeChat
    expect(page.locator("dl")).to_contain_text("退款")
    expect(page.locator("dl")).to_contain_text("¥1,200.00")
    refunds = page.locator("#payments li .text-danger")
    expect(refunds).to_have_count(2)
    expect(page.locator("#payments li", has_text="-¥1,000.00")).to_contain_text("现金")
    expect(page.locator("#payments li", has_text="-¥200.00")).to_contain_text("微信")
    expect(page.locator("tr", has_text="水光针")).to_contain_text("已退 1 / ¥1,000.00")
    shots(page, "48_manager_order_refunded")

    order = queries.get_order_detail(_scope(store_a_manager), order.pk)
    assert (order.status, order.refunded_amount, order.paid_amount) == (
        "paid",
        Decimal("1200.00"),
        Decimal("4000.00"),
    )
    assert sorted((p.method, p.amount) for p in order.payments.all() if p.refund_of_id) == [
        ("cash", Decimal("-1000.00")),
        ("wechat", Decimal("-200.00")),
    ]
    assert regular.stored_value_cards.get().balance_amount == Decimal("8000.00")
    hydra_course = Entitlement.objects.get(customer=regular, source_kind="purchase")
    card_course = Entitlement.objects.get(customer=regular, source_kind="session_card")
    assert (hydra_course.remaining_sessions, card_course.remaining_sessions) == (0, 4)
    assert_balances_agree()
