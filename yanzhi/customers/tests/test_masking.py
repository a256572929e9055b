"""Phones and ID numbers are masked everywhere; unmasking is permitted per account and logged."""

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.customers import services
from yanzhi.customers.tests.conftest import make_id_card
from yanzhi.customers.tests.factories import make_customer

PHONE = "13812345678"


@pytest.fixture
def customer(store_a, store_a_consultant):
    return make_customer(
        store_a, phone=PHONE, id_card=make_id_card(), consultant=store_a_consultant
    )


@pytest.mark.parametrize("path", ["/customers/", "/customers/{pk}/", "/customers/search/?q=5678"])
def test_pages_show_masked_numbers(client_for, store_a_front_desk, customer, path):
    html = client_for(store_a_front_desk).get(path.format(pk=customer.pk)).content.decode()
    assert PHONE not in html and customer.id_card not in html
    assert "138****5678" in html


def test_api_responses_are_masked(api_for, store_a_manager, customer):
    api = api_for(store_a_manager)
    for body in (api.get(f"/customers/{customer.pk}").text, api.get("/customers").text):
        assert PHONE not in body and customer.id_card not in body
        assert "138****5678" in body


def test_front_desk_cannot_unmask(client_for, api_for, store_a_front_desk, customer):
    # front desk has no unmask permission by default: no button, 403 and nothing logged
    client = client_for(store_a_front_desk)
    assert "unmask" not in client.get(f"/customers/{customer.pk}/").content.decode()
    assert client.post(f"/customers/{customer.pk}/unmask/?field=phone").status_code == 403
    response = api_for(store_a_front_desk).post(
        f"/customers/{customer.pk}/unmask", json={"field": "phone"}
    )
    assert response.status_code == 403 and PHONE not in response.text
    assert not AuditLog.objects.filter(action__startswith="customer.unmasked").exists()


def test_unmask_is_logged(client_for, api_for, store_a_consultant, customer):
    client = client_for(store_a_consultant)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert f"/customers/{customer.pk}/unmask/?field=phone" in page
    response = client.post(f"/customers/{customer.pk}/unmask/?field=phone")
    assert PHONE in response.content.decode()
    body = api_for(store_a_consultant).post(
        f"/customers/{customer.pk}/unmask", json={"field": "id_card"}
    )
    assert body.json() == {"field": "id_card", "value": customer.id_card}
    actions = list(
        AuditLog.objects.filter(object_type="customers.customer", object_id=str(customer.pk))
        .order_by("id")
        .values_list("action", "actor_id")
    )
    assert actions == [
        ("customer.unmasked_phone", store_a_consultant.pk),
        ("customer.unmasked_id_card", store_a_consultant.pk),
    ]


def test_unmask_service_refuses_without_permission(store_a_front_desk, customer):
    with pytest.raises(BusinessError) as exc:
        services.unmask_customer(customer, by=store_a_front_desk, field="phone")
    assert exc.value.status == 403
