"""The customers API over real HTTP."""

from yanzhi.core.models import AuditLog
from yanzhi.customers.models import Customer
from yanzhi.customers.tests.factories import make_customer


def test_create_and_patch(api_for, store_a_front_desk, store_a_consultant, store_a_doctor):
    api = api_for(store_a_front_desk)
    response = api.post(
        "/customers",
        json={
            "name": "王小美",
            "phone": "13812345678",
            "gender": "female",
            "consultant_id": store_a_consultant.pk,
            "doctor_id": store_a_doctor.pk,
            "allergies": "利多卡因",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["phone"] == "138****5678" and body["member_no"] == "10000001"
    assert body["consultant_name"] == store_a_consultant.name and body["has_allergy"] is True
    patched = api.patch(f"/customers/{body['id']}", json={"notes": "怕痛", "phone": "13912345678"})
    assert patched.status_code == 200 and patched.json()["phone"] == "139****5678"
    assert AuditLog.objects.filter(action="customer.updated").count() == 1


def test_duplicate_phone_is_400_and_names_owner(
    api_for, store_a, store_b_front_desk, store_a_consultant
):
    make_customer(store_a, phone="13812345678", consultant=store_a_consultant)
    response = api_for(store_b_front_desk).post(
        "/customers", json={"name": "王小美", "phone": "13812345678"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "duplicate_phone"
    assert body["message"] == "该手机号(138****5678)已是静安店A咨询师张敏的客户"
    assert Customer.objects.count() == 1


def test_errors_in_english_when_asked(api_for, store_a_front_desk):
    response = api_for(store_a_front_desk).post(
        "/customers",
        json={"name": "Amy", "phone": "123"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert response.json()["fields"]["phone"] == ["Enter an 11-digit mainland China mobile number"]
    assert not Customer.objects.exists()


def test_duplicate_message_in_english(api_for, store_a, store_a_front_desk):
    make_customer(store_a, phone="13812345678")
    response = api_for(store_a_front_desk).post(
        "/customers",
        json={"name": "Amy", "phone": "13812345678"},
        headers={"Accept-Language": "en"},
    )
    assert response.json()["message"].startswith("The phone 138****5678 is already a customer")


def test_list_with_search_and_filters(api_for, store_a, store_a_front_desk):
    make_customer(store_a, name="张伟", allergies="花粉")
    make_customer(store_a, name="李丽")
    api = api_for(store_a_front_desk)
    assert [c["name"] for c in api.get("/customers", params={"q": "zw"}).json()["items"]] == [
        "张伟"
    ]
    allergic = api.get("/customers", params={"has_allergy": True}).json()
    assert [c["name"] for c in allergic["items"]] == ["张伟"]
    assert api.get("/customers", params={"limit": 500}).status_code == 422


def test_hq_must_name_a_store(api_for, hq_admin, store_b):
    api = api_for(hq_admin)
    response = api.post("/customers", json={"name": "王小美", "phone": "13812345678"})
    assert response.status_code == 400 and "store_id" in response.json()["fields"]
    response = api.post(
        "/customers", json={"name": "王小美", "phone": "13812345678", "store_id": store_b.pk}
    )
    assert response.status_code == 201 and response.json()["store_name"] == "浦东店"


def test_team_endpoint_needs_assign(
    api_for, create, store_a_consultant, store_a_front_desk, store_a_doctor
):
    customer = create(by=store_a_consultant)
    denied = api_for(store_a_consultant).post(
        f"/customers/{customer.pk}/team",
        json={"consultant_id": None, "doctor_id": store_a_doctor.pk},
    )
    assert denied.status_code == 403
    ok = api_for(store_a_front_desk).post(
        f"/customers/{customer.pk}/team",
        json={"consultant_id": store_a_consultant.pk, "doctor_id": store_a_doctor.pk},
    )
    assert ok.status_code == 200 and ok.json()["doctor_id"] == store_a_doctor.pk
