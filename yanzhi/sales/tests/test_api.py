"""The sales API over real HTTP: open → submit → pay (idempotent, header or body) → refund,
errors as JSON, scope as 404, and a fixed number of queries on the list."""

from decimal import Decimal

import pytest

from yanzhi.sales import services
from yanzhi.sales.models import Order, Payment
from yanzhi.sales.tests.conftest import cash

pytestmark = pytest.mark.django_db(transaction=True)


def test_open_submit_pay_refund_over_http(
    api_for, store_a_consultant, store_a_cashier, store_a_manager, customer, hydra, store_a
):
    consultant, cashier = api_for(store_a_consultant), api_for(store_a_cashier)
    # open and submit
    r = consultant.post(
        "/orders",
        json={
            "customer_id": customer.pk,
            "lines": [{"item_id": hydra.pk, "quantity": 2, "discount_amount": "100"}],
            "submit": True,
        },
    )
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["status"], order["payable_amount"]) == ("pending", "1900.00")
    # pay twice with the same Idempotency-Key header: charged once
    body = {
        "payments": [{"method": "cash", "amount": "900"}, {"method": "wechat", "amount": "500"}]
    }
    first = cashier.post(
        f"/orders/{order['id']}/pay", json=body, headers={"Idempotency-Key": "abc"}
    )
    again = cashier.post(
        f"/orders/{order['id']}/pay", json=body, headers={"Idempotency-Key": "abc"}
    )
    assert first.status_code == again.status_code == 200, first.text
    assert first.json()["paid_amount"] == again.json()["paid_amount"] == "1400.00"
    assert again.json()["arrears_amount"] == "500.00"
    assert Payment.objects.filter(order_id=order["id"]).count() == 2
    # paying more than due: a clear JSON error, nothing changed
    r = cashier.post(
        f"/orders/{order['id']}/pay", json={"payments": [{"method": "cash", "amount": "501"}]}
    )
    assert r.status_code == 422 and r.json()["code"] == "overpaid"
    assert Order.objects.get(pk=order["id"]).paid_amount == Decimal("1400.00")
    # refund by the manager
    r = api_for(store_a_manager).post(
        f"/orders/{order['id']}/refund", json={"full": True, "reason": "不做了"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "refunded" and r.json()["paid_amount"] == "0.00"


def test_item_not_in_store_and_negative_quantity(
    api_for, store_a_consultant, customer, hydra, unassigned
):
    api = api_for(store_a_consultant)
    r = api.post(
        "/orders",
        json={"customer_id": customer.pk, "lines": [{"item_id": unassigned.pk, "quantity": 1}]},
    )
    assert r.status_code == 422 and r.json()["code"] == "item_not_in_store"
    r = api.post(
        "/orders",
        json={"customer_id": customer.pk, "lines": [{"item_id": hydra.pk, "quantity": -1}]},
    )
    assert r.status_code == 422 and r.json()["code"] == "invalid_quantity"
    assert not Order.objects.exists()


def test_scope_over_http(
    api_for,
    open_pending,
    hydra,
    store_b_consultant,
    store_a_consultant_2,
    other_chain_admin,
    store_a_consultant,
):
    order = open_pending([(hydra.pk, 1, 0)])
    for staff in (store_b_consultant, store_a_consultant_2, other_chain_admin):
        assert api_for(staff).get(f"/orders/{order.pk}").status_code == 404
    assert api_for(store_a_consultant).get(f"/orders/{order.pk}").status_code == 200
    assert api_for(store_a_consultant_2).get("/orders").json()["count"] == 0


def test_deal_definition_and_liability(api_for, hq_admin, store_a_manager, card_with):
    card_with()
    hq = api_for(hq_admin)
    r = hq.put(
        "/deal-definition",
        json={"order_types": ["医美"], "min_amount": "99", "kinds": ["service", "card"]},
    )
    assert r.status_code == 200 and r.json()["min_amount"] == "99.00"
    assert hq.get("/deal-definition").json()["kinds"] == ["service", "card"]
    assert api_for(store_a_manager).put("/deal-definition", json={}).status_code == 403
    rows = api_for(store_a_manager).get("/prepaid-liability").json()["stores"]
    assert [(r["store_name"], r["stored_value_amount"]) for r in rows] == [("静安店", "11000.00")]


def test_list_has_a_fixed_query_count(
    client_for, open_pending, hydra, store_a_cashier, store_a_manager, django_assert_max_num_queries
):
    # In-process client: the live server's queries run on another connection and would not
    # be counted.
    client = client_for(store_a_manager)
    for _ in range(6):
        services.pay_order(
            open_pending([(hydra.pk, 1, 0)]), payments=[cash("10")], by=store_a_cashier
        )
    with django_assert_max_num_queries(12):
        r = client.get("/api/v1/orders?limit=100")
    assert r.json()["count"] == 6


def test_an_order_answer_reads_the_same_statements_for_one_line_or_many(
    client_for, open_pending, hydra, cream, package, store_a_cashier, store_a_manager
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bare = open_pending([(hydra.pk, 1, 0)])
    full = open_pending([(hydra.pk, 1, 0), (cream.pk, 2, 0), (package.pk, 1, 0)])
    due = Order.objects.get(pk=full.pk).payable_amount
    services.pay_order(
        full,
        payments=[cash("100"), services.PaymentLine("wechat", due - Decimal("100"))],
        by=store_a_cashier,
    )
    client = client_for(store_a_manager)
    client.get(f"/api/v1/orders/{bare.pk}")  # the signed-in staff's settings, read once
    answers = {}
    for order in (bare, full):
        with CaptureQueriesContext(connection) as statements:
            answers[order.pk] = client.get(f"/api/v1/orders/{order.pk}").json()
        answers[order.pk]["statements"] = len(statements)
    # the session, the signed-in staff member, the order, its lines, its payments
    assert answers[bare.pk]["statements"] == answers[full.pk]["statements"] == 5
    body = answers[full.pk]
    assert [ln["item_name"] for ln in body["lines"]] == [hydra.name, cream.name, package.name]
    assert sorted(p["method"] for p in body["payments"]) == ["cash", "wechat"]
    assert body["status"] == "paid" and body["arrears_amount"] == "0.00"


def test_refund_unused_sessions_over_http(
    api_for, open_pending, session_card, store_a_cashier, store_a_manager
):
    from yanzhi.sales.tests.conftest import use_session

    order = open_pending([(session_card.pk, 1, 0)])
    services.pay_order(order, payments=[cash("4000")], by=store_a_cashier)
    line = order.lines.get()
    use_session(line, 3)
    manager = api_for(store_a_manager)
    r = manager.post(
        f"/orders/{order.pk}/refund",
        json={"sessions": [{"line_id": line.pk, "sessions": 3}], "reason": "x"},
    )
    assert r.status_code == 409 and r.json()["code"] == "sessions_used"
    r = manager.post(
        f"/orders/{order.pk}/refund",
        json={"sessions": [{"line_id": line.pk, "sessions": 2}], "reason": "x"},
    )
    assert r.status_code == 200 and r.json()["refunded_amount"] == "1600.00", r.text
