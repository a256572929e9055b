"""The org endpoints of /api/v1 over real HTTP with per-staff tokens."""

import pytest
from django.utils import timezone

from yanzhi.core import audit
from yanzhi.customers.tests.factories import make_customer
from yanzhi.org.models import ApiToken, Staff

pytestmark = pytest.mark.django_db(transaction=True)
NEW_PASSWORD = "Fresh-Temp-Pass-42!"


def test_me_describes_role_scope_and_actions(api_for, store_a, store_a_consultant):
    body = api_for(store_a_consultant).get("/me").json()
    assert body["role"] == "consultant" and body["stores"][0]["id"] == store_a.pk
    assert body["scope"]["store_ids"] == [store_a.pk]
    assert body["scope"]["owner_ids"] == [store_a_consultant.pk]
    assert "customer.create" in body["allowed_actions"]
    assert "staff.manage" not in body["allowed_actions"]


def test_without_a_token_the_api_answers_401(live_server):
    import httpx

    response = httpx.get(f"{live_server.url}/api/v1/me")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_openapi_schema_and_docs_render(live_server, api_for, hq_admin):
    import httpx

    schema = httpx.get(f"{live_server.url}/api/v1/openapi.json").json()
    assert "/api/v1/staff/{staff_id}/reset-password" in schema["paths"]
    # the audit log can only be read
    assert set(schema["paths"]["/api/v1/audit-log"]) == {"get"}
    assert httpx.get(f"{live_server.url}/api/v1/docs").status_code == 200


def test_audit_log_has_no_write_endpoint(api_for, hq_admin, store_a):
    entry = audit.record(hq_admin, "store.settings_changed", store_a)
    api = api_for(hq_admin)
    assert api.post("/audit-log", json={}).status_code == 405
    assert api.delete(f"/audit-log/{entry.pk}").status_code == 404
    assert api.get("/audit-log").json()["count"] >= 1


def test_audit_log_is_scoped_and_filtered(api_for, hq_admin, store_a_manager, store_a, store_b):
    a, b = make_customer(store_a, name="甲"), make_customer(store_b, name="乙")
    audit.record(hq_admin, "customer.updated", a)
    audit.record(hq_admin, "customer.updated", b)
    rows = api_for(store_a_manager).get("/audit-log", params={"action": "customer."}).json()
    assert [r["object_id"] for r in rows["items"]] == [str(a.pk)]
    rows = api_for(hq_admin).get("/audit-log", params={"action": "customer.", "limit": 1}).json()
    assert rows["count"] == 2 and len(rows["items"]) == 1


def test_manager_manages_own_store_staff_over_the_api(api_for, store_a, store_a_manager):
    api = api_for(store_a_manager)
    # create
    response = api.post(
        "/staff",
        json={
            "username": "api_nurse",
            "name": "接口护士",
            "role": "nurse",
            "password": NEW_PASSWORD,
            "store_ids": [store_a.pk],
            "mobile": "13912345678",
        },
    )
    assert response.status_code == 201, response.text
    staff = response.json()
    assert staff["mobile"] == "139****5678" and staff["must_change_password"] is True
    # edit
    response = api.patch(f"/staff/{staff['id']}", json={"title": "护士长", "can_unmask": True})
    assert response.status_code == 200 and response.json()["title"] == "护士长"
    # lock, unlock, reset
    Staff.objects.filter(pk=staff["id"]).update(
        locked_until=timezone.now() + timezone.timedelta(minutes=5)
    )
    assert api.post(f"/staff/{staff['id']}/unlock").json()["locked_until"] is None
    response = api.post(
        f"/staff/{staff['id']}/reset-password", json={"new_password": "Another-Temp-88!"}
    )
    assert response.status_code == 200
    log = api.get(f"/staff/{staff['id']}/change-log").json()["items"]
    assert [e["action"] for e in log][:3] == [
        "staff.password_reset",
        "staff.unlocked",
        "staff.updated",
    ]
    # list with search
    listing = api.get("/staff", params={"q": "接口"}).json()
    assert [s["username"] for s in listing["items"]] == ["api_nurse"]


def test_manager_cannot_touch_store_b_or_create_hq_over_the_api(
    api_for, store_a, store_a_manager, store_b_consultant
):
    api = api_for(store_a_manager)
    assert api.get(f"/staff/{store_b_consultant.pk}").status_code == 404
    assert api.patch(f"/staff/{store_b_consultant.pk}", json={"title": "x"}).status_code == 404
    assert api.post(f"/staff/{store_b_consultant.pk}/unlock").status_code == 404
    response = api.post(
        "/staff",
        json={"username": "fake_hq", "name": "假总部", "role": "hq", "password": NEW_PASSWORD},
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden_role"
    response = api.post(
        "/staff",
        json={
            "username": "b_x",
            "name": "B人",
            "role": "nurse",
            "password": NEW_PASSWORD,
            "store_ids": [store_b_consultant.stores.get().pk],
        },
    )
    assert response.status_code == 403 and response.json()["fields"]["stores"]
    assert not Staff.objects.filter(username__in=["fake_hq", "b_x"]).exists()


def test_bad_input_gets_the_error_shape_and_changes_nothing(api_for, hq_admin, store_a):
    api = api_for(hq_admin)
    response = api.post("/staff", json={"username": "x", "name": "某", "role": "nurse"})
    assert response.status_code == 422 and "password" in response.json()["fields"]
    response = api.post(
        "/staff",
        json={
            "username": "weak",
            "name": "弱",
            "role": "nurse",
            "password": "123",
            "store_ids": [store_a.pk],
        },
    )
    body = response.json()
    assert (
        response.status_code == 400
        and body["code"] == "weak_password"
        and body["fields"]["password"]
    )
    assert not Staff.objects.filter(username__in=["x", "weak"]).exists()


def test_other_chain_admin_sees_nothing_of_chain_a(
    api_for, other_chain_admin, store_a_nurse, store_a
):
    api = api_for(other_chain_admin)
    assert all(s["username"] != "a_nurse" for s in api.get("/staff").json()["items"])
    assert api.get(f"/staff/{store_a_nurse.pk}").status_code == 404
    assert api.get(f"/stores/{store_a.pk}/settings").status_code == 404
    assert api.patch(f"/stores/{store_a.pk}/settings", json={"address": "x"}).status_code == 404
    assert "a_nurse" not in api.get("/audit-log").text


def test_store_and_org_settings(api_for, chain, store_a, store_b, hq_admin, store_a_manager):
    manager = api_for(store_a_manager)
    response = manager.patch(
        f"/stores/{store_a.pk}/settings",
        json={"search_order": "name", "search_fields": ["name", "phone"], "opens_at": "08:30"},
    )
    assert response.status_code == 200 and response.json()["opens_at"] == "08:30:00"
    assert manager.get(f"/stores/{store_b.pk}/settings").status_code == 404
    assert manager.patch("/org/settings", json={"login_failure_limit": 99}).status_code == 403
    response = manager.patch(f"/stores/{store_a.pk}/settings", json={"search_fields": ["id_card"]})
    assert response.status_code == 400 and response.json()["code"] == "invalid_fields"
    hq = api_for(hq_admin)
    assert (
        hq.patch("/org/settings", json={"session_idle_minutes": 45}).json()["session_idle_minutes"]
        == 45
    )
    assert [s["code"] for s in hq.get("/stores").json()] == ["A", "B"]


def test_groups_and_departments(
    api_for, store_a, hq_admin, store_a_consultant, store_a_consultant_2
):
    api = api_for(hq_admin)
    response = api.post("/departments", json={"name": "皮肤科"})
    assert response.status_code == 201
    assert api.post("/departments", json={"name": "皮肤科"}).status_code == 400
    response = api.post(
        "/staff-groups",
        json={
            "name": "咨询一组",
            "store_id": store_a.pk,
            "leader_id": store_a_consultant.pk,
            "member_ids": [store_a_consultant_2.pk],
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["member_ids"] == [store_a_consultant_2.pk]
    leader_api = api_for(store_a_consultant)
    assert leader_api.get("/me").json()["scope"]["owner_ids"] == sorted(
        [store_a_consultant.pk, store_a_consultant_2.pk]
    )


def test_api_tokens_own_and_revoke(api_for, store_a_nurse, store_a_doctor, hq_admin):
    nurse = api_for(store_a_nurse)
    created = nurse.post("/api-tokens", json={"name": "脚本"})
    assert created.status_code == 201 and created.json()["key"].startswith("yz_")
    listing = nurse.get("/api-tokens").json()
    assert {t["name"] for t in listing["items"]} == {"test", "脚本"} and "key" not in listing[
        "items"
    ][0]
    token_id = created.json()["id"]
    assert api_for(store_a_doctor).delete(f"/api-tokens/{token_id}").status_code == 404
    assert nurse.delete(f"/api-tokens/{token_id}").status_code == 204
    assert ApiToken.objects.get(pk=token_id).revoked_at is not None
    # HQ sees the chain's tokens
    names = {t["staff_id"] for t in api_for(hq_admin).get("/api-tokens").json()["items"]}
    assert {store_a_nurse.pk, store_a_doctor.pk} <= names


def test_a_revoked_token_no_longer_works(api_for, store_a_nurse):
    api = api_for(store_a_nurse)
    token = ApiToken.objects.get(staff=store_a_nurse)
    assert api.delete(f"/api-tokens/{token.pk}").status_code == 204
    assert api.get("/me").status_code == 401
