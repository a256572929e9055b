"""The visits API over real HTTP (live server, bearer tokens), with the services' rules."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from yanzhi.customers.models import CustomerSummary
from yanzhi.customers.tests.factories import make_customer
from yanzhi.scheduling.models import Appointment
from yanzhi.visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _mid_morning():
    """Bookings 20 minutes ahead must stay on today in Shanghai, whenever the suite runs."""
    with time_machine.travel("2026-03-17 10:00:00+08:00", tick=True):
        yield


def booked(store, customer, *, status="booked", purpose="consultation"):
    start = timezone.now() + timedelta(minutes=20)
    return Appointment.objects.create(
        org_id=store.org_id,
        store=store,
        customer=customer,
        purpose=purpose,
        status=status,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
    )


def test_front_desk_runs_a_visit_through_the_api(
    api_for, store_a, store_a_front_desk, store_a_consultant, store_a_doctor
):
    customer = make_customer(
        store_a, name="接口客户", phone="13800001111", consultant=store_a_consultant
    )
    appointment = booked(store_a, customer)
    api = api_for(store_a_front_desk)
    # the proposal before arriving
    proposal = api.get("/visit-type-proposal", params={"customer_id": customer.pk}).json()
    assert proposal["visit_type"] == "first" and proposal["store_id"] == store_a.pk
    # arrival from the appointment
    response = api.post("/visits", json={"appointment_id": appointment.pk})
    assert response.status_code == 201, response.text
    visit = response.json()
    assert visit["customer"]["phone"] == "138****1111"
    assert visit["visit_type"] == "first" and visit["appointment_id"] == appointment.pk
    assert visit["status"] == "waiting" and visit["type_confirmed_by_id"] is None
    vid = visit["id"]
    # it is in the queue
    queue = api.get("/visits/queue", params={"store_id": store_a.pk}).json()
    assert [q["id"] for q in queue] == [vid] and queue[0]["booked"] is True
    # confirm type, triage, stages, leave
    assert (
        api.post(f"/visits/{vid}/confirm-type", json={"visit_type": "first"}).json()[
            "type_confirmed_by_id"
        ]
        == store_a_front_desk.pk
    )
    triaged = api.post(
        f"/visits/{vid}/triage",
        json={"consultant_id": store_a_consultant.pk, "doctor_id": store_a_doctor.pk},
    ).json()
    assert (
        triaged["consultant"]["name"] == "A咨询师张敏"
        and triaged["doctor"]["id"] == store_a_doctor.pk
    )
    assert (
        api.post(f"/visits/{vid}/stages", json={"stage": "escorted"}).json()["status"]
        == "in_service"
    )
    assert api.get("/visits/queue", params={"store_id": store_a.pk}).json() == []
    left = api.post(f"/visits/{vid}/leave", json={}).json()
    assert left["status"] == "left" and left["left_at"]
    # the list, filtered
    page = api.get("/visits", params={"customer_id": customer.pk, "status": "left"}).json()
    assert page["count"] == 1 and page["items"][0]["id"] == vid
    today = api.get("/today", params={"store_id": store_a.pk}).json()
    assert today["sections"][0] == "appointments" and today["visits"][0]["id"] == vid
    assert today["appointments"][0]["visit_id"] == vid


def test_api_refuses_bad_input_and_changes_nothing(
    api_for, store_a, store_a_front_desk, store_a_doctor
):
    customer = make_customer(store_a, name="取消客户")
    cancelled = booked(store_a, customer, status="cancelled")
    api = api_for(store_a_front_desk)
    response = api.post("/visits", json={"appointment_id": cancelled.pk})
    assert response.status_code == 400
    assert response.json()["code"] == "appointment_cancelled"
    assert response.json()["message"] == "该预约已取消,不能登记到店"
    assert (
        not Visit.objects.exists() and CustomerSummary.objects.get(pk=customer.pk).visit_count == 0
    )
    # a second open visit
    vid = api.post("/visits", json={"customer_id": customer.pk}).json()["id"]
    again = api.post("/visits", json={"customer_id": customer.pk})
    assert again.status_code == 400 and again.json()["code"] == "already_in_store"
    # a doctor as consultant, an unknown stage, an unknown type
    wrong = api.post(f"/visits/{vid}/triage", json={"consultant_id": store_a_doctor.pk})
    assert wrong.status_code == 400 and wrong.json()["fields"]["consultant"]
    assert api.post(f"/visits/{vid}/stages", json={"stage": "dancing"}).status_code == 422
    assert api.post(f"/visits/{vid}/confirm-type", json={"visit_type": "vip"}).status_code == 422
    visit = Visit.objects.get()
    assert visit.consultant_id is None and visit.escorted_at is None and Visit.objects.count() == 1


def test_api_scope(
    api_for,
    store_a,
    store_a_front_desk,
    store_b_front_desk,
    store_a_consultant_2,
    store_a_nurse,
    other_chain_admin,
):
    customer = make_customer(store_a, name="范围客户")
    vid = (
        api_for(store_a_front_desk).post("/visits", json={"customer_id": customer.pk}).json()["id"]
    )
    for staff in (store_b_front_desk, store_a_consultant_2, other_chain_admin):
        api = api_for(staff)
        assert api.get(f"/visits/{vid}").status_code == 404
        assert api.post(f"/visits/{vid}/leave", json={}).status_code == 404
        assert api.get("/visits").json()["count"] == 0
    # store B's desk cannot register store A's customer (not theirs, not in scope)
    assert (
        api_for(store_b_front_desk).post("/visits", json={"customer_id": customer.pk}).status_code
        == 404
    )
    # a nurse may not triage
    nurse = api_for(store_a_nurse).post(f"/visits/{vid}/triage", json={"doctor_id": None})
    assert nurse.status_code == 403
    assert Visit.objects.get().left_at is None


def test_hq_must_name_a_store(api_for, hq_admin, store_a):
    api = api_for(hq_admin)
    response = api.get("/visits/queue")
    assert response.status_code == 422 and response.json()["code"] == "store_required"
    assert api.get("/visits/queue", params={"store_id": store_a.pk}).status_code == 200


def test_a_visit_answer_reads_the_same_statements_with_or_without_its_people(
    client_for, store_a, store_a_front_desk, store_a_consultant, store_a_doctor
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yanzhi.visits import services

    alone = services.register_arrival(
        store_a, customer=make_customer(store_a, name="独自", phone="13800002222"),
        by=store_a_front_desk,
    )  # fmt: skip
    served = services.register_arrival(
        store_a, customer=make_customer(store_a, name="有人接待", phone="13800003333"),
        by=store_a_front_desk,
    )  # fmt: skip
    services.triage(
        served, consultant=store_a_consultant, doctor=store_a_doctor, by=store_a_front_desk
    )
    client = client_for(store_a_front_desk)
    client.get("/api/v1/me")  # the signed-in staff's stores, read once
    counted = {}
    for visit in (alone, served):
        with CaptureQueriesContext(connection) as statements:
            counted[visit.pk] = client.get(f"/api/v1/visits/{visit.pk}").json()
        counted[visit.pk]["statements"] = len(statements)
    # the session, the signed-in staff member, the visit with the names it shows
    assert counted[alone.pk]["statements"] == counted[served.pk]["statements"] == 3
    body = counted[served.pk]
    assert body["store_name"] == store_a.name and body["customer"]["phone"] == "138****3333"
    assert body["consultant"]["name"] == store_a_consultant.name
    assert body["doctor"]["name"] == store_a_doctor.name
    assert counted[alone.pk]["consultant"] is None


def test_the_list_is_newest_first(
    api_for, hq_admin, store_a, store_b, store_a_front_desk, store_b_front_desk
):
    from yanzhi.visits import services

    arrivals = []
    for n, (store, back) in enumerate(
        [(store_a, timedelta(days=2)), (store_b, timedelta(hours=3)), (store_a, timedelta(0)),
         (store_b, timedelta(days=2, hours=-1))]
    ):  # fmt: skip
        customer = make_customer(store, name=f"客户{n}")
        desk = store_a_front_desk if store == store_a else store_b_front_desk
        visit = services.register_arrival(
            store, customer=customer, by=desk, arrived_at=timezone.now() - back
        )
        arrivals.append((visit.arrived_at, visit.pk))
    newest_first = [pk for _at, pk in sorted(arrivals, reverse=True)]
    page = api_for(hq_admin).get("/visits").json()
    assert [v["id"] for v in page["items"]] == newest_first and page["count"] == 4
