"""The new-order page links the order to a visit only among the customer's visits at the
order's store: a visit at another store (or of another customer) is not found, nothing is
opened."""

from yanzhi.customers.tests.factories import make_customer
from yanzhi.sales.models import Order
from yanzhi.visits.services import register_arrival


def _submit(c, customer, visit, hydra):
    return c.post(
        "/orders/new/",
        {
            "customer": customer.pk,
            "visit": visit.pk,
            "item_id": [hydra.pk],
            "quantity": ["1"],
            "discount": ["0"],
            "action": "draft",
        },
        HTTP_HX_REQUEST="true",
    )


def test_order_is_linked_to_the_customers_visit_at_the_store(
    client_for, store_a, store_a_consultant, store_a_front_desk, customer, hydra
):
    visit = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    c = client_for(store_a_consultant)
    page = c.get(f"/orders/new/?customer={customer.pk}&visit={visit.pk}").content.decode()
    assert "本次到访" in page
    r = _submit(c, customer, visit, hydra)
    assert r.status_code == 200 and Order.objects.get().visit_id == visit.pk


def test_visit_at_another_store_or_of_another_customer_is_not_found(
    client_for,
    store_a,
    store_b,
    store_a_consultant,
    store_a_front_desk,
    store_b_front_desk,
    store_a_manager,
    customer,
    hydra,
):
    # given the customer's visit at store B, and another customer's visit at store A
    visit_b = register_arrival(store_b, customer=customer, by=store_b_front_desk)
    other = make_customer(store_a, name="赵敏", consultant=store_a_consultant)
    other_visit = register_arrival(store_a, customer=other, by=store_a_front_desk)
    # a manager of store A (who may open orders) cannot use either
    c = client_for(store_a_manager)
    for visit in (visit_b, other_visit):
        assert c.get(f"/orders/new/?customer={customer.pk}&visit={visit.pk}").status_code == 404
        assert _submit(c, customer, visit, hydra).status_code == 404
    assert not Order.objects.exists()
