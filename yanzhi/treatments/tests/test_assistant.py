"""The assistant (配台) of an execution must be another active doctor or nurse of the
executing store: anyone else is refused with a clear 422, on the page and over the API, and
nothing is deducted."""

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.org.tests.factories import make_staff
from yanzhi.treatments import services
from yanzhi.treatments.models import Entitlement, Execution

MESSAGE = "配台人员须为本门店在职的医生或护士"


@pytest.fixture
def wrong_assistants(chain, store_a, store_b, store_a_cashier, store_b_nurse, other_chain_admin):
    """Everyone who may not assist at store A, by why."""
    retired = make_staff(chain, "nurse", [store_a], name="离职护士")
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    return {
        "a cashier of the store": store_a_cashier,
        "a nurse of another store": store_b_nurse,
        "a nurse who has left": retired,
        "another chain's staff": other_chain_admin,
    }


def test_service_refuses_a_wrong_assistant(
    customer_a, hydra, grant, store_a, store_a_nurse, store_a_doctor, wrong_assistants
):
    course = grant(customer_a, hydra, sessions=3)
    for why, assistant in wrong_assistants.items():
        with pytest.raises(BusinessError) as caught:
            services.execute_session(course, by=store_a_nurse, store=store_a, assistant=assistant)
        assert caught.value.code == "invalid_assistant", why
        assert caught.value.fields == {"assistant_id": [MESSAGE]}, why
    with pytest.raises(BusinessError, match="执行人本人"):
        services.execute_session(course, by=store_a_nurse, store=store_a, assistant=store_a_nurse)
    course.refresh_from_db()
    assert course.remaining_sessions == 3 and not Execution.objects.exists()
    # the store's doctor may assist
    execution = services.execute_session(
        course, by=store_a_nurse, store=store_a, assistant=store_a_doctor
    )
    assert execution.assistant_id == store_a_doctor.pk


def test_api_refuses_a_wrong_assistant_with_422(
    customer_a, hydra, grant, store_a, store_a_nurse, store_a_doctor, wrong_assistants, api_for
):
    course = grant(customer_a, hydra, sessions=3)
    api = api_for(store_a_nurse)
    for why, assistant in wrong_assistants.items():
        r = api.post(
            "/executions",
            json={
                "entitlement_id": course.pk,
                "store_id": store_a.pk,
                "assistant_id": assistant.pk,
            },
        )
        assert r.status_code == 422, why
        body = r.json()
        assert body["code"] == "invalid_assistant" and body["fields"]["assistant_id"], why
        assert r.status_code == 422 and (
            MESSAGE in body["message"] or "配台人员不存在" in body["message"]
        ), why
    assert Entitlement.objects.get(pk=course.pk).remaining_sessions == 3
    assert not Execution.objects.exists()
    ok = api.post(
        "/executions",
        json={
            "entitlement_id": course.pk,
            "store_id": store_a.pk,
            "assistant_id": store_a_doctor.pk,
        },
    )
    assert ok.status_code == 201 and ok.json()["assistant"]


def test_page_refuses_a_wrong_assistant_with_422(
    customer_a, hydra, grant, store_a_nurse, store_a_doctor, wrong_assistants, client_for
):
    course = grant(customer_a, hydra, sessions=3)
    c = client_for(store_a_nurse)
    form = c.get("/treatments/execute/", {"entitlement": course.pk}).content.decode()
    assert store_a_doctor.name in form
    for why, assistant in wrong_assistants.items():
        assert assistant.name not in form, why
        r = c.post(
            "/treatments/execute/",
            {"entitlement": course.pk, "sessions": 1, "assistant": assistant.pk},
        )
        assert r.status_code == 422 and MESSAGE in r.content.decode(), why
    assert Entitlement.objects.get(pk=course.pk).remaining_sessions == 3
    assert not Execution.objects.exists()
