"""The JSON API over real HTTP: courses, executing, confirming, listing; scope and errors."""

import pytest

from yanzhi.treatments.models import EntitlementLedger, Execution

pytestmark = pytest.mark.django_db(transaction=True)


def test_list_and_get_courses(customer_a, customer_b, hydra, grant, store_a_nurse, api_for):
    mine = grant(customer_a, hydra, sessions=3, value="280.00", source_line_id=12)
    grant(customer_b, hydra)
    api = api_for(store_a_nurse)
    body = api.get("/entitlements", params={"customer_id": customer_a.pk}).json()
    assert body["count"] == 1
    [row] = body["items"]
    assert row["id"] == mine.pk and row["remaining_sessions"] == 3
    assert row["unit_value_amount"] == "280.00" and row["source_line_id"] == 12
    assert api.get("/entitlements", params={"status": "active"}).json()["count"] == 1
    assert api.get(f"/entitlements/{mine.pk}").json()["item"]["name"] == "水光针"


def test_execute_confirm_and_list(
    customer_a, hydra, filler, pharmacy_a, stock, grant, store_a_nurse, api_for
):
    stock(pharmacy_a, filler, "3")
    course = grant(customer_a, hydra, sessions=2)
    api = api_for(store_a_nurse)
    # when
    created = api.post(
        "/executions",
        json={"entitlement_id": course.pk, "lot_no": "HA-5", "dose": "1ml", "device": "水光仪"},
    )
    # then
    assert created.status_code == 201, created.text
    execution = created.json()
    assert execution["lot_no"] == "HA-5" and execution["customer"]["masked_phone"] == "139****1111"
    assert execution["materials"][0]["item"]["name"] == "玻尿酸1ml"
    assert execution["materials"][0]["quantity"] == "1.000"
    confirm = api.post(f"/executions/{execution['id']}/confirm", json={"method": "in_person"})
    assert confirm.status_code == 200 and confirm.json()["confirmation_method"] == "in_person"
    twice = api.post(f"/executions/{execution['id']}/confirm", json={"method": "sms"})
    assert twice.status_code == 409 and twice.json()["code"] == "already_confirmed"
    listed = api.get("/executions", params={"lot_no": "HA-5", "day": "2026-03-16"}).json()
    assert [x["id"] for x in listed["items"]] == [execution["id"]]
    assert api.get(f"/executions/{execution['id']}").json()["sessions"] == 1


def test_execute_errors_change_nothing(
    customer_a, hydra, grant, store_a_nurse, store_a_consultant, store_b_nurse, api_for
):
    course = grant(customer_a, hydra, sessions=1)
    too_many = api_for(store_a_nurse).post(
        "/executions", json={"entitlement_id": course.pk, "sessions": 2}
    )
    assert too_many.status_code == 409
    assert too_many.json()["code"] == "no_sessions_left"
    assert too_many.json()["message"] == "该疗程剩余次数不足"
    forbidden = api_for(store_a_consultant).post("/executions", json={"entitlement_id": course.pk})
    assert forbidden.status_code == 403
    hidden = api_for(store_b_nurse).post("/executions", json={"entitlement_id": course.pk})
    assert hidden.status_code == 404
    assert api_for(store_b_nurse).get(f"/entitlements/{course.pk}").status_code == 404
    course.refresh_from_db()
    assert course.remaining_sessions == 1
    assert not Execution.objects.exists() and EntitlementLedger.objects.count() == 1


def test_extend_over_the_api(customer_a, hydra, grant, store_a_manager, api_for):
    course = grant(customer_a, hydra, expires_on="2026-04-01")
    api = api_for(store_a_manager)
    missing = api.post(
        f"/entitlements/{course.pk}/extend", json={"new_expires_on": "2026-05-01", "reason": ""}
    )
    assert missing.status_code == 422 and "reason" in missing.json()["fields"]
    ok = api.post(
        f"/entitlements/{course.pk}/extend",
        json={"new_expires_on": "2026-05-01", "reason": "客户出国"},
    )
    assert ok.status_code == 200 and ok.json()["expires_on"] == "2026-05-01"


def test_list_endpoint_query_count_is_fixed(
    customer_a, hydra, grant, store_a_nurse, client_for, django_assert_max_num_queries
):
    c = client_for(store_a_nurse)
    for _n in range(6):
        course = grant(customer_a, hydra)
        c.post("/api/v1/executions", {"entitlement_id": course.pk}, content_type="application/json")
    assert Execution.objects.count() == 6
    with django_assert_max_num_queries(10):
        body = c.get("/api/v1/executions").json()
    assert body["count"] == 6


def test_an_execution_answer_reads_the_same_statements_with_or_without_materials(
    customer_a, hydra, filler, pharmacy_a, stock, grant, store_a_nurse, store_a_doctor, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    stock(pharmacy_a, filler, "3")
    course = grant(customer_a, hydra, sessions=2)
    client = client_for(store_a_nurse)
    bare = client.post(
        "/api/v1/executions",
        {"entitlement_id": course.pk, "materials": []},
        content_type="application/json",
    ).json()
    full = client.post(
        "/api/v1/executions",
        {"entitlement_id": course.pk, "assistant_id": store_a_doctor.pk, "lot_no": "HA-7"},
        content_type="application/json",
    ).json()
    counted = {}
    for execution in (bare, full):
        with CaptureQueriesContext(connection) as statements:
            counted[execution["id"]] = client.get(f"/api/v1/executions/{execution['id']}").json()
        counted[execution["id"]]["statements"] = len(statements)
    # the session, the signed-in staff member, the execution with its names, its materials
    assert counted[bare["id"]]["statements"] == counted[full["id"]]["statements"] == 4
    body = counted[full["id"]]
    assert body["materials"][0]["item"]["name"] == filler.name
    assert body["materials"][0]["warehouse"]["name"] == pharmacy_a.name
    assert body["assistant"]["name"] == store_a_doctor.name
    assert (body["store"]["name"], body["item"]["name"]) == (customer_a.store.name, hydra.name)
    assert body["performed_by"]["name"] == store_a_nurse.name
    assert body["customer"]["masked_phone"] == "139****1111"
    assert counted[bare["id"]]["materials"] == [] and counted[bare["id"]]["assistant"] is None
    # what the executions answered when written is what is read back
    for written in (bare, full):
        read = dict(counted[written["id"]])
        del read["statements"]
        assert written == read


def test_an_execution_issues_a_fixed_number_of_statements(
    customer_a, hydra, filler, pharmacy_a, stock, grant, store_a_nurse, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    stock(pharmacy_a, filler, "10")
    course = grant(customer_a, hydra, sessions=6)
    client = client_for(store_a_nurse)

    def execute(**extra) -> int:
        with CaptureQueriesContext(connection) as statements:
            answer = client.post(
                "/api/v1/executions",
                {"entitlement_id": course.pk, **extra},
                content_type="application/json",
            )
        assert answer.status_code == 201, answer.content
        return len(statements)

    execute()  # the first reads the settings the process keeps
    # without materials: the session, the staff member, the course in scope, BEGIN, the
    # summary locked, the course locked (in scope), its sessions taken, the execution, the
    # ledger row, the audit rows, COMMIT
    assert [execute(materials=[]) for _ in range(2)] == [11] * 2
    # the service's material (hydra uses filler) from the pharmacy (the store's warehouses are
    # kept): five more, the stock level, its guarded update, the quantity after, the move and
    # the execution's copy
    assert [execute() for _ in range(2)] == [16] * 2
    # the last session marks the course used up and recounts the open courses
    assert execute(materials=[]) == 13
