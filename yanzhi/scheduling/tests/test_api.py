"""/api/v1 over real HTTP with per-staff tokens: the same rules as the pages, JSON errors,
scope (404) and masked phones."""

from datetime import timedelta

import pytest

from yanzhi.scheduling.models import Appointment, Room, RosterEntry
from yanzhi.scheduling.tests.conftest import DAY, at, roster

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def desk(api_for, store_a_front_desk):
    return api_for(store_a_front_desk)


def _book(api, store, customer, start, end, **extra):
    return api.post(
        "/appointments",
        json={
            "store_id": store.pk,
            "customer_id": customer.pk,
            "starts_at": start.isoformat(),
            "ends_at": end.isoformat(),
            "purpose": "consultation",
            **extra,
        },
    )


def test_book_list_get_and_masked_phone(desk, store_a, customer, doctor_on_duty):
    # when
    created = _book(desk, store_a, customer, at(10), at(11), doctor_id=doctor_on_duty.pk)
    # then
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "booked" and body["doctor"]["name"] == doctor_on_duty.name
    assert body["customer"]["phone"] == f"{customer.phone[:3]}****{customer.phone[-4:]}"
    listed = desk.get("/appointments", params={"store_id": store_a.pk, "day": DAY.isoformat()})
    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert listed.json()["items"][0]["id"] == body["id"]
    other_day = desk.get("/appointments", params={"day": (DAY + timedelta(days=1)).isoformat()})
    assert other_day.json()["count"] == 0
    assert desk.get(f"/appointments/{body['id']}").json()["id"] == body["id"]


def test_naive_times_are_store_local(desk, store_a, customer):
    response = desk.post(
        "/appointments",
        json={
            "customer_id": customer.pk,
            "starts_at": f"{DAY}T10:00:00",
            "ends_at": f"{DAY}T11:00:00",
        },
    )
    assert response.status_code == 201, response.text
    assert Appointment.objects.get().starts_at == at(10)


def test_refusal_is_json_with_code_and_fields(desk, store_a, customer, doctor_on_duty):
    response = _book(desk, store_a, customer, at(19), at(20), doctor_id=doctor_on_duty.pk)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "outside_shift" and "doctor" in body["fields"]
    assert "该时段不在班" in body["message"]
    assert not Appointment.objects.exists()


def test_refusal_in_english(desk, store_a, customer, doctor_on_duty):
    response = desk.post(
        "/appointments",
        json={
            "customer_id": customer.pk,
            "starts_at": at(19).isoformat(),
            "ends_at": at(20).isoformat(),
            "doctor_id": doctor_on_duty.pk,
        },
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "not on duty" in response.json()["message"]


def test_overlap_reschedule_cancel_no_show(
    desk, store_a, customer, other_customer, doctor_on_duty, time_machine
):
    first = _book(desk, store_a, customer, at(10), at(11), doctor_id=doctor_on_duty.pk).json()
    clash = _book(
        desk, store_a, other_customer, at(10, 30), at(11, 30), doctor_id=doctor_on_duty.pk
    )
    assert clash.status_code == 400 and clash.json()["code"] == "overlap"
    moved = desk.post(
        f"/appointments/{first['id']}/reschedule",
        json={
            "starts_at": at(14).isoformat(),
            "ends_at": at(15).isoformat(),
            "doctor_id": doctor_on_duty.pk,
        },
    )
    assert moved.status_code == 200, moved.text
    assert (
        moved.json()["starts_at"].startswith(f"{DAY}T06:00") or "14:00" in moved.json()["starts_at"]
    )
    early = desk.post(f"/appointments/{first['id']}/no-show")
    assert early.status_code == 400 and early.json()["code"] == "not_started"
    no_reason = desk.post(f"/appointments/{first['id']}/cancel", json={"reason": " "})
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "reason_required"
    cancelled = desk.post(f"/appointments/{first['id']}/cancel", json={"reason": "客户出差"})
    assert cancelled.json()["status"] == "cancelled"


def test_store_b_front_desk_gets_404(api_for, desk, store_b_front_desk, store_a, customer):
    created = _book(desk, store_a, customer, at(10), at(11)).json()
    other = api_for(store_b_front_desk)
    assert other.get(f"/appointments/{created['id']}").status_code == 404
    assert (
        other.post(f"/appointments/{created['id']}/cancel", json={"reason": "x"}).status_code == 404
    )
    assert other.get("/appointments").json()["count"] == 0
    assert _book(other, store_a, customer, at(12), at(13)).status_code == 404


def test_consultant_sees_only_own_customers_appointments(
    api_for, desk, store_a, customer, other_customer, store_a_consultant
):
    mine = _book(desk, store_a, customer, at(10), at(11)).json()
    _book(desk, store_a, other_customer, at(10), at(11))
    listed = api_for(store_a_consultant).get("/appointments").json()
    assert [a["id"] for a in listed["items"]] == [mine["id"]]


def test_list_is_paginated_with_fixed_queries(desk, client_for, store_a, store_a_front_desk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yanzhi.customers.tests.factories import make_customer

    browser = client_for(store_a_front_desk)  # same endpoint through the session, to count queries

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert browser.get("/api/v1/appointments").status_code == 200
        return len(ctx.captured_queries)

    _book(desk, store_a, make_customer(store_a), at(9), at(10))
    count_queries()  # the session's first request also records when it was last seen
    one = count_queries()
    for i in range(4):
        _book(desk, store_a, make_customer(store_a), at(10 + i), at(11 + i))
    assert count_queries() == one
    page = desk.get("/appointments", params={"limit": 2, "offset": 1}).json()
    assert page["count"] == 5 and len(page["items"]) == 2
    assert len(desk.get("/appointments", params={"limit": 1000}).json()["items"]) == 5


def test_day_view_endpoint(desk, store_a, customer, doctor_on_duty, lunch_rest):
    roster(store_a, doctor_on_duty, lunch_rest)
    created = _book(desk, store_a, customer, at(10), at(11), doctor_id=doctor_on_duty.pk).json()
    view = desk.get(
        "/appointments/day-view",
        params={"store_id": store_a.pk, "day": DAY.isoformat(), "by": "doctor"},
    )
    assert view.status_code == 200
    column = view.json()["columns"][0]
    assert column["working"] == [
        {"start": "09:00", "end": "12:00"},
        {"start": "13:30", "end": "18:00"},
    ]
    assert column["appointment_ids"] == [created["id"]]


def test_shift_types_roster_and_availability(
    api_for, store_a, store_a_manager, store_a_nurse, store_a_front_desk
):
    manager = api_for(store_a_manager)
    shift = manager.post(
        "/shift-types",
        json={"store_id": store_a.pk, "name": "早班", "starts_at": "09:00", "ends_at": "12:00"},
    )
    assert shift.status_code == 201, shift.text
    rest = manager.post(
        "/shift-types",
        json={
            "store_id": store_a.pk,
            "name": "午休",
            "starts_at": "12:00",
            "ends_at": "13:00",
            "is_rest": True,
        },
    ).json()
    week = [(DAY + timedelta(days=i)).isoformat() for i in range(3)]
    created = manager.post(
        "/roster",
        json={
            "store_id": store_a.pk,
            "staff_ids": [store_a_nurse.pk],
            "days": week,
            "shift_type_id": rest["id"],
        },
    )
    assert created.status_code == 201 and len(created.json()) == 3
    listed = manager.get("/roster", params={"store_id": store_a.pk, "week": DAY.isoformat()})
    assert len(listed.json()) == 3
    availability = manager.get(
        f"/staff/{store_a_nurse.pk}/availability", params={"day": DAY.isoformat()}
    ).json()
    assert availability["working"] == [
        {"start": "09:00", "end": "12:00"},
        {"start": "13:00", "end": "21:00"},
    ]
    entry_id = created.json()[0]["id"]
    desk = api_for(store_a_front_desk)
    assert desk.delete(f"/roster/{entry_id}").status_code == 403
    assert manager.delete(f"/roster/{entry_id}").status_code == 204
    assert RosterEntry.objects.count() == 2
    assert desk.get("/shift-types").status_code == 200


def test_rooms(api_for, store_a, store_a_manager, store_a_front_desk, store_b_front_desk):
    manager = api_for(store_a_manager)
    created = manager.post(
        "/rooms", json={"store_id": store_a.pk, "name": "热玛吉", "kind": "device"}
    )
    assert created.status_code == 201
    assert api_for(store_a_front_desk).post("/rooms", json={"name": "X"}).status_code == 403
    assert [r["name"] for r in api_for(store_a_front_desk).get("/rooms").json()] == ["热玛吉"]
    assert api_for(store_b_front_desk).get("/rooms").json() == []
    assert Room.objects.count() == 1


def test_hq_must_name_a_store(api_for, hq_admin, customer):
    response = api_for(hq_admin).post(
        "/appointments",
        json={
            "customer_id": customer.pk,
            "starts_at": at(10).isoformat(),
            "ends_at": at(11).isoformat(),
        },
    )
    assert response.status_code == 422 and response.json()["code"] == "store_required"
