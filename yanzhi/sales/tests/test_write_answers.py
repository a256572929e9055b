"""Opening and paying an order answer with the order as they wrote it, without reading it back:
the answer must be exactly what GET /orders/{id} reads afterwards (money in the columns'
scale, lines with their items' and promotions' names, payments), and the statements each
write issues are pinned."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yanzhi.catalog.promotion_services import create_promotion
from yanzhi.sales import services
from yanzhi.sales.tests.conftest import cash

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _in_march():
    with time_machine.travel("2026-03-16 10:00:00+08:00", tick=False):
        yield


def _same_as_read_back(api, answer: dict) -> None:
    read = api.get(f"/orders/{answer['id']}")
    assert read.status_code == 200, read.text
    kept = {k: v for k, v in answer.items() if k != "warnings"}
    assert kept == {k: v for k, v in read.json().items() if k != "warnings"}


def test_open_and_pay_answer_what_is_read_back(
    api_for,
    store_a,
    store_a_consultant,
    store_a_cashier,
    store_a_manager,
    customer,
    hydra,
    cream,
    package,
    sv_card,
):
    consultant, cashier = api_for(store_a_consultant), api_for(store_a_cashier)
    reader = api_for(store_a_manager)
    promotion = create_promotion(
        store_a.org,
        name="三月水光",
        start_date=date(2026, 3, 1),
        end_date=date(2026, 3, 31),
        store_ids=[store_a.pk],
        items=[(hydra.pk, "600.00", 2)],
        by=store_a_manager,
    )
    lines = [
        {"item_id": hydra.pk, "quantity": 1, "promotion_id": promotion.pk},
        {"item_id": cream.pk, "quantity": 3, "discount_amount": "10.5"},
        {"item_id": package.pk, "quantity": 1},
    ]
    for submit in (False, True):
        opened = consultant.post(
            "/orders", json={"customer_id": customer.pk, "lines": lines, "submit": submit}
        )
        assert opened.status_code == 201, opened.text
        _same_as_read_back(reader, opened.json())
    body = opened.json()
    assert body["status"] == "pending" and body["payable_amount"] == "1268.50"
    assert [ln["promotion_name"] for ln in body["lines"]] == ["三月水光", None, None]

    # the first payment, by two methods: the answer is the paid order
    due = Decimal(body["payable_amount"])
    paid = cashier.post(
        f"/orders/{body['id']}/pay",
        json={
            "payments": [
                {"method": "cash", "amount": "100"},
                {"method": "wechat", "amount": str(due - 100)},
            ]
        },
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid" and len(paid.json()["payments"]) == 2
    _same_as_read_back(reader, paid.json())

    # a stored-value card bought, then used; a payment of arrears reads the order back
    card_order = services.open_order(
        customer, store=store_a, by=store_a_consultant, lines=[(sv_card.pk, 1)], submit=True
    )
    services.pay_order(card_order, payments=[cash("10000")], by=store_a_cashier)
    card_id = customer.stored_value_cards.get().pk
    owing = consultant.post(
        "/orders",
        json={"customer_id": customer.pk, "lines": [{"item_id": hydra.pk, "quantity": 2}],
              "submit": True},
    ).json()  # fmt: skip
    part = cashier.post(
        f"/orders/{owing['id']}/pay",
        json={"payments": [{"method": "stored_value", "amount": "500", "card_id": card_id}]},
    )
    assert part.status_code == 200, part.text
    assert part.json()["arrears_amount"] == "1500.00"
    _same_as_read_back(reader, part.json())
    rest = cashier.post(
        f"/orders/{owing['id']}/pay", json={"payments": [{"method": "alipay", "amount": "1500"}]}
    )
    assert rest.status_code == 200 and len(rest.json()["payments"]) == 2
    _same_as_read_back(reader, rest.json())


def _statements(client, path: str, body: dict) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as statements:
        answer = client.post(path, body, content_type="application/json")
    assert answer.status_code in (200, 201), answer.content
    return len(statements), answer.json()


def test_opening_and_paying_issue_a_fixed_number_of_statements(
    client_for, store_a, store_a_consultant, store_a_cashier, customer, hydra, cream
):
    consultant, cashier = client_for(store_a_consultant), client_for(store_a_cashier)
    orders, counts = [], []
    for items in ([hydra], [hydra], [hydra], [hydra], [hydra, cream]):
        lines = [{"item_id": item.pk, "quantity": 1} for item in items]
        counted, order = _statements(
            consultant,
            "/api/v1/orders",
            {"customer_id": customer.pk, "lines": lines, "submit": True},
        )
        orders.append(order)
        counts.append(counted - len(items))
    # the first request reads what the process keeps (the staff's stores, the period closes);
    # then: the session, the staff member, the customer, BEGIN, each line's item, the order,
    # its lines, its number and status, the audit rows, COMMIT
    assert counts[1:] == [9] * 4
    counts = []
    for order in orders[:4]:
        counted, paid = _statements(
            cashier,
            f"/api/v1/orders/{order['id']}/pay",
            {"payments": [{"method": "wechat", "amount": order["payable_amount"]}]},
        )
        assert paid["status"] == "paid"
        counts.append(counted)
    # the first payments read the kept settings again (the chain's deal definition is made
    # by the first); then: the session, the staff member, BEGIN, the order locked (in scope),
    # its lines, the summary locked, the payment, the course (row, ledger), the summary, the
    # store links (a deal more), the order, the customer locked with the rolling spend (paid
    # in the home store), the customer, the follow-ups a payment closes, the audit rows, COMMIT
    assert counts[2:] == [17] * 2
