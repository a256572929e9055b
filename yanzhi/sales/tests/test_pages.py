"""The pages: order screen, pay panel (idempotent double click), refund, customer tab, deal
definition, prepaid liability; scope over HTTP and a fixed query count on the list."""

from decimal import Decimal

from yanzhi.sales import services
from yanzhi.sales.models import DealDefinition, Order, Payment
from yanzhi.sales.tests.conftest import cash


def test_order_screen_prices_saves_and_submits(
    client_for, store_a_consultant, customer, hydra, unassigned
):
    c = client_for(store_a_consultant)
    assert c.get(f"/orders/new/?customer={customer.pk}").status_code == 200
    # a running total
    r = c.post(
        "/orders/new/",
        {"customer": customer.pk, "item_id": [hydra.pk], "quantity": ["2"], "discount": ["100"]},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and "¥1,900.00" in r.content.decode()
    # an unassigned item is refused, nothing saved
    r = c.post(
        "/orders/new/",
        {
            "customer": customer.pk,
            "item_id": [unassigned.pk],
            "quantity": ["1"],
            "discount": ["0"],
            "action": "submit",
        },
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 422 and "未分配到本门店" in r.content.decode()
    assert not Order.objects.exists()
    r = c.post(
        "/orders/new/",
        {
            "customer": customer.pk,
            "item_id": [hydra.pk],
            "quantity": ["1"],
            "discount": ["0"],
            "action": "submit",
        },
        HTTP_HX_REQUEST="true",
    )
    order = Order.objects.get()
    assert r.headers["HX-Redirect"] == f"/orders/{order.pk}/" and order.status == "pending"


def test_pay_panel_double_click_pays_once(client_for, store_a_cashier, open_pending, hydra):
    order = open_pending([(hydra.pk, 1, 0)])
    c = client_for(store_a_cashier)
    page = c.get(f"/orders/{order.pk}/").content.decode()
    assert "确认收款" in page
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    form = {
        "idempotency_key": key,
        "method": ["cash", "cash", "cash"],
        "amount": ["600", "", ""],
        "source": ["", "", ""],
    }
    for _ in range(2):
        assert c.post(f"/orders/{order.pk}/pay/", form, HTTP_HX_REQUEST="true").status_code == 200
    order.refresh_from_db()
    assert order.paid_amount == Decimal("600.00") and Payment.objects.count() == 1
    r = c.post(
        f"/orders/{order.pk}/pay/",
        {**form, "idempotency_key": "new", "amount": ["999", "", ""]},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 422 and "超过应付金额" in r.content.decode()


def test_refund_page_and_customer_tab(
    client_for, store_a_manager, store_a_cashier, open_pending, hydra, customer
):
    order = open_pending([(hydra.pk, 1, 0)])
    services.pay_order(order, payments=[cash("1000")], by=store_a_cashier)
    c = client_for(store_a_manager)
    r = c.post(f"/orders/{order.pk}/refund/", {"full": "1", "reason": ""}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422 and "退款原因" in r.content.decode()
    r = c.post(
        f"/orders/{order.pk}/refund/", {"full": "1", "reason": "不做了"}, HTTP_HX_REQUEST="true"
    )
    order.refresh_from_db()
    assert order.status == "refunded"
    tab = c.get(f"/customers/{customer.pk}/orders/").content.decode()
    assert order.order_no in tab
    assert "订单" in c.get(f"/customers/{customer.pk}/").content.decode()


def test_scope_over_http(
    client_for,
    open_pending,
    hydra,
    store_b_consultant,
    store_a_consultant_2,
    other_chain_admin,
    customer,
):
    order = open_pending([(hydra.pk, 1, 0)])
    for staff in (store_b_consultant, store_a_consultant_2, other_chain_admin):
        c = client_for(staff)
        assert c.get(f"/orders/{order.pk}/").status_code == 404
        assert c.get(f"/customers/{customer.pk}/orders/").status_code == 404
    assert order.order_no not in client_for(store_a_consultant_2).get("/orders/").content.decode()


def test_order_list_query_count(
    client_for, store_a_manager, store_a_cashier, open_pending, hydra, django_assert_max_num_queries
):
    for _ in range(8):
        services.pay_order(
            open_pending([(hydra.pk, 1, 0)]), payments=[cash("10")], by=store_a_cashier
        )
    c = client_for(store_a_manager)
    c.get("/orders/")
    with django_assert_max_num_queries(14):
        r = c.get("/orders/")
    assert r.content.decode().count("/orders/") >= 8


def test_deal_definition_and_liability_pages(client_for, hq_admin, store_a_manager, card_with):
    card_with()
    c = client_for(hq_admin)
    r = c.post(
        "/settings/deal-definition/",
        {"order_types": "医美, 生活美容", "min_amount": "99", "kinds": ["service", "card"]},
    )
    assert r.status_code == 302
    d = DealDefinition.objects.order_by("-id").first()
    assert (
        d.order_types == ["医美", "生活美容"]
        and d.min_amount == Decimal("99.00")
        and not d.product_counts
    )
    assert client_for(store_a_manager).get("/settings/deal-definition/").status_code == 403
    page = client_for(store_a_manager).get("/sales/prepaid-liability/").content.decode()
    assert "¥11,000.00" in page


def test_order_screen_takes_the_sales_channel(client_for, store_a_consultant, customer, hydra):
    from yanzhi.customers.models import SourceChannel

    douyin = SourceChannel.objects.create(org=customer.org, name="抖音团购")
    customer.source_channel = douyin
    customer.save()
    c = client_for(store_a_consultant)
    # the customer's own channel is proposed
    page = c.get(f"/orders/new/?customer={customer.pk}").content.decode()
    assert f'<option value="{douyin.pk}" selected>' in page
    # a channel of another chain is refused, nothing opened
    r = c.post(
        "/orders/new/",
        {
            "customer": customer.pk,
            "item_id": [hydra.pk],
            "quantity": ["1"],
            "discount": ["0"],
            "sales_channel": "999999",
            "action": "draft",
        },
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 422 and "销售渠道不存在" in r.content.decode()
    assert not Order.objects.exists()
    c.post(
        "/orders/new/",
        {
            "customer": customer.pk,
            "item_id": [hydra.pk],
            "quantity": ["1"],
            "discount": ["0"],
            "sales_channel": str(douyin.pk),
            "action": "draft",
        },
        HTTP_HX_REQUEST="true",
    )
    assert Order.objects.get().sales_channel == douyin
