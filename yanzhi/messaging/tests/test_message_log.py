"""The SMS record page and API: scoped to the viewer's customers, phones masked, a failed message
retried by a manager only."""

import pytest

from yanzhi.core.models import AuditLog, SmsMessage
from yanzhi.customers.tests.factories import make_customer


def sms(customer, status="sent", **extra) -> SmsMessage:
    values = dict(
        org_id=customer.org_id,
        customer_id=customer.pk,
        phone=customer.phone,
        text=f"【颜值】{customer.name}您好",
        purpose="test",
        status=status,
    )
    return SmsMessage.objects.create(**(values | extra))


@pytest.fixture
def world(store_a, store_b, store_a_consultant, store_a_consultant_2):
    mine = make_customer(store_a, name="张小红", phone="13811112222", consultant=store_a_consultant)
    theirs = make_customer(store_a, name="李雷", consultant=store_a_consultant_2)
    elsewhere = make_customer(store_b, name="韩梅梅")
    return {
        "mine": sms(mine),
        "failed": sms(theirs, status="failed", error_code="RequestLimitExceeded", attempt_count=5),
        "b": sms(elsewhere),
    }


def test_page_lists_the_stores_messages_with_masked_phones(world, client_for, store_a_manager):
    response = client_for(store_a_manager).get("/messages/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "张小红" in body and "李雷" in body and "韩梅梅" not in body
    assert "13811112222" not in body and "138****2222" in body
    assert f"/messages/{world['failed'].pk}/retry/" in body


def test_status_filter(world, client_for, store_a_manager):
    body = client_for(store_a_manager).get("/messages/?status=failed").content.decode()
    assert "李雷" in body and "张小红" not in body


def test_consultant_sees_only_their_customers_messages(world, client_for, store_a_consultant):
    body = client_for(store_a_consultant).get("/messages/").content.decode()
    assert "张小红" in body and "李雷" not in body and "/retry/" not in body


def test_page_query_count_is_fixed(
    world, client_for, store_a_manager, store_a, django_assert_max_num_queries
):
    for n in range(15):
        sms(make_customer(store_a, name=f"客户{n}"))
    client = client_for(store_a_manager)
    with django_assert_max_num_queries(12):
        assert client.get("/messages/").status_code == 200


def test_manager_retries_a_failed_message(world, client_for, store_a_manager):
    failed = world["failed"]
    response = client_for(store_a_manager).post(
        f"/messages/{failed.pk}/retry/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.status == "queued" and failed.attempt_limit == 10
    assert AuditLog.objects.filter(action="message.retried", object_id=str(failed.pk)).exists()


def test_front_desk_cannot_retry(world, client_for, store_a_front_desk):
    failed = world["failed"]
    response = client_for(store_a_front_desk).post(f"/messages/{failed.pk}/retry/")
    assert response.status_code == 422
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_invalid_number_is_not_retried(world, client_for, store_a_manager):
    failed = world["failed"]
    SmsMessage.objects.filter(pk=failed.pk).update(error_code="invalid_phone")
    response = client_for(store_a_manager).post(f"/messages/{failed.pk}/retry/")
    assert response.status_code == 422 and "手机号无效" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_other_store_message_is_404(world, client_for, store_b_front_desk, store_a_manager):
    assert client_for(store_a_manager).post(f"/messages/{world['b'].pk}/retry/").status_code == 404


def test_api_lists_and_retries(world, api_for, store_a_manager, store_b_consultant):
    api = api_for(store_a_manager)
    rows = api.get("/messages", params={"status": "failed"}).json()
    assert [row["id"] for row in rows] == [world["failed"].pk]
    listed = api.get("/messages").json()
    assert {row["id"] for row in listed} == {world["mine"].pk, world["failed"].pk}
    assert all("****" in row["phone"] for row in listed)
    response = api.post(f"/messages/{world['failed'].pk}/retry")
    assert response.status_code == 200 and response.json()["status"] == "queued"
    assert api.post(f"/messages/{world['b'].pk}/retry").status_code == 404
    other = api_for(store_b_consultant)
    assert other.get(f"/messages/{world['mine'].pk}").status_code == 404


def test_api_retry_needs_a_manager(world, api_for, store_a_front_desk):
    response = api_for(store_a_front_desk).post(f"/messages/{world['failed'].pk}/retry")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    world["failed"].refresh_from_db()
    assert world["failed"].status == "failed"
