"""The clinical API over real HTTP (live server, bearer tokens)."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yanzhi.clinical import services
from yanzhi.clinical.models import Consultation, MedicalRecord, Photo
from yanzhi.clinical.tests.conftest import image_bytes, upload
from yanzhi.core.models import AuditLog

SECTIONS = {"chief_complaint": "眼周细纹", "diagnosis": "动态皱纹"}


def test_consultation_draft_patch_finalize(api_for, customer, visit, store_a_consultant):
    api = api_for(store_a_consultant)
    # given a draft
    created = api.post(
        "/consultations",
        json={
            "customer_id": customer.pk,
            "visit_id": visit.pk,
            "demands": "抗衰",
            "quoted_amount": "3999.5",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "draft" and body["quoted_amount"] == "3999.50"
    cid = body["id"]
    # when patched, and finalized without an outcome
    assert (
        api.patch(f"/consultations/{cid}", json={"notes": "推荐热玛吉"}).json()["notes"]
        == "推荐热玛吉"
    )
    refused = api.post(f"/consultations/{cid}/finalize", json={"outcome": ""})
    assert refused.status_code == 400
    assert (
        refused.json()["code"] == "consultation_incomplete"
        and "outcome" in refused.json()["fields"]
    )
    # then finalized with book_later and a date
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    final = api.post(
        f"/consultations/{cid}/finalize", json={"outcome": "book_later", "next_contact_on": day}
    )
    assert final.status_code == 200 and final.json()["status"] == "final"
    again = api.patch(f"/consultations/{cid}", json={"notes": "改"})
    assert again.status_code == 400 and again.json()["code"] == "consultation_final"
    listed = api.get("/consultations", params={"customer_id": customer.pk}).json()
    assert [c["id"] for c in listed] == [cid]


def test_consultation_scope(
    api_for, customer, store_a_consultant, store_a_consultant_2, other_chain_admin, store_a_nurse
):
    consultation = services.start_consultation(customer, by=store_a_consultant, demands="x")
    for staff in (store_a_consultant_2, other_chain_admin):
        api = api_for(staff)
        assert api.get(f"/consultations/{consultation.pk}").status_code == 404
        assert (
            api.patch(f"/consultations/{consultation.pk}", json={"notes": "y"}).status_code == 404
        )
        assert api.get("/consultations").json() == []
        assert api.post("/consultations", json={"customer_id": customer.pk}).status_code in (
            403,
            404,
        )
    nurse = api_for(store_a_nurse)
    assert nurse.get("/consultations").status_code == 403
    assert nurse.get("/consultations").json()["code"] == "forbidden"
    assert Consultation.objects.count() == 1


def test_diagnosis_api(api_for, customer, visit, store_a_doctor, store_a_consultant):
    doctor = api_for(store_a_doctor)
    bad = doctor.post(
        "/diagnoses", json={"customer_id": customer.pk, "findings": "x", "plan_price_amount": "-5"}
    )
    assert bad.status_code == 400 and "plan_price_amount" in bad.json()["fields"]
    created = doctor.post(
        "/diagnoses",
        json={
            "customer_id": customer.pk,
            "visit_id": visit.pk,
            "findings": "色斑",
            "plan_price_amount": "2000",
        },
    )
    assert created.status_code == 201 and created.json()["plan_price_amount"] == "2000.00"
    did = created.json()["id"]
    assert (
        doctor.patch(f"/diagnoses/{did}", json={"plan_items": "皮秒"}).json()["plan_items"]
        == "皮秒"
    )
    consultant = api_for(store_a_consultant)
    assert consultant.get(f"/diagnoses/{did}").json()["findings"] == "色斑"
    assert consultant.patch(f"/diagnoses/{did}", json={"plan_items": "x"}).status_code == 403
    assert [
        d["id"] for d in consultant.get("/diagnoses", params={"visit_id": visit.pk}).json()
    ] == [did]


def test_medical_record_api(
    api_for, customer, medical_document, store_a_doctor, store_a_consultant
):
    from yanzhi.clinical.tests.conftest import give_consent

    doctor = api_for(store_a_doctor)
    # without consent: refused, nothing stored
    refused = doctor.post("/medical-records", json={"customer_id": customer.pk, **SECTIONS})
    assert refused.status_code == 400 and refused.json()["code"] == "consent_required"
    assert not MedicalRecord.objects.exists()
    give_consent(customer, medical_document)
    created = doctor.post("/medical-records", json={"customer_id": customer.pk, **SECTIONS})
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    assert created.json()["allergy_history"] == "青霉素过敏"
    assert (
        doctor.patch(f"/medical-records/{rid}", json={"advice": "冷敷"}).json()["advice"] == "冷敷"
    )
    signed = doctor.post(f"/medical-records/{rid}/sign")
    assert signed.status_code == 200 and signed.json()["status"] == "signed"
    # a signed record cannot be patched
    patched = doctor.patch(f"/medical-records/{rid}", json={"diagnosis": "改"})
    assert patched.status_code == 400 and patched.json()["code"] == "medical_record_signed"
    addendum = doctor.post(f"/medical-records/{rid}/addenda", json={"text": "补充说明"})
    assert addendum.status_code == 201 and addendum.json()["text"] == "补充说明"
    # reads: the list shows title lines only and logs nothing; each GET of one record is logged
    before = AuditLog.objects.filter(action="medical_record.read").count()
    listed = api_for(store_a_consultant).get(
        "/medical-records", params={"customer_id": customer.pk}
    )
    assert listed.json()[0]["diagnosis"] == "动态皱纹" and "chief_complaint" not in listed.json()[0]
    assert AuditLog.objects.filter(action="medical_record.read").count() == before
    detail = api_for(store_a_consultant).get(f"/medical-records/{rid}")
    assert (
        detail.json()["diagnosis"] == "动态皱纹"
        and detail.json()["addenda"][0]["text"] == "补充说明"
    )
    assert (
        AuditLog.objects.filter(
            action="medical_record.read", object_id=str(rid), actor_id=store_a_consultant.pk
        ).count()
        == 1
    )
    record = MedicalRecord.objects.get()
    assert record.diagnosis == "动态皱纹"


def test_medical_record_api_scope(
    api_for,
    customer,
    consent,
    store_a_doctor,
    store_b_consultant,
    other_chain_admin,
    store_a_front_desk,
):
    record = services.create_medical_record(customer, by=store_a_doctor, **SECTIONS)
    for staff in (store_b_consultant, other_chain_admin):
        api = api_for(staff)
        assert api.get(f"/medical-records/{record.pk}").status_code == 404
        assert api.get("/medical-records").json() == []
    assert api_for(store_a_front_desk).get(f"/medical-records/{record.pk}").status_code == 403
    assert not AuditLog.objects.filter(action="medical_record.read").exists()


def test_photo_multipart_upload_and_content(
    api_for, customer, consent, visit, store_a_nurse, store_b_consultant, settings
):
    api = api_for(store_a_nurse)
    data = image_bytes("JPEG", (50, 40))
    created = api.post(
        "/photos",
        data={
            "customer_id": str(customer.pk),
            "visit_id": str(visit.pk),
            "kind": "after",
            "body_area": "额头",
        },
        files={"file": ("anything.txt", data, "text/plain")},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["width"], body["height"], body["content_type"]) == (50, 40, "image/jpeg")
    content = api.get(body["content_url"].removeprefix("/api/v1"))
    assert content.status_code == 200 and content.content == data
    assert content.headers["cache-control"] == "private, no-store"
    assert content.headers["x-content-type-options"] == "nosniff"
    assert api.get("/photos", params={"visit_id": visit.pk}).json()[0]["id"] == body["id"]
    # another store's consultant: 404
    other = api_for(store_b_consultant)
    assert other.get(f"/photos/{body['id']}/content").status_code == 404
    assert other.get("/photos").json() == []
    # a text file is refused and nothing is stored
    refused = api.post(
        "/photos",
        data={"customer_id": str(customer.pk)},
        files={"file": ("x.jpg", b"plain text", "image/jpeg")},
    )
    assert refused.status_code == 400 and refused.json()["code"] == "photo_not_image"
    assert Photo.objects.count() == 1


def test_list_endpoints_issue_a_fixed_number_of_queries(
    customer, consent, visit, store_a_consultant, store_a_doctor
):
    """Counted in-process (the live server's queries run on another connection)."""
    from django.test import Client

    from yanzhi.org.services import create_api_token

    _token, key = create_api_token(store_a_doctor, name="count", by=store_a_doctor)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    def queries_for(path):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1{path}", {"customer_id": customer.pk})
        assert response.status_code == 200
        return len(captured), len(response.json())

    paths = ["/consultations", "/diagnoses", "/medical-records", "/photos"]

    def add(i):
        services.start_consultation(customer, by=store_a_consultant, demands=str(i))
        services.record_diagnosis(customer, by=store_a_doctor, findings=str(i))
        services.create_medical_record(customer, by=store_a_doctor, **SECTIONS)
        services.upload_photo(
            customer, by=store_a_doctor, file=upload(f"{i}.png", image_bytes()), kind="before"
        )

    add(0)
    queries_for(paths[0])  # warm up (the token's first use is recorded once)
    one = [queries_for(p) for p in paths]
    for i in range(1, 10):
        add(i)
    ten = [queries_for(p) for p in paths]
    assert [rows for _n, rows in one] == [1, 1, 1, 1]
    assert [rows for _n, rows in ten] == [10, 10, 10, 10]
    assert [n for n, _rows in ten] == [n for n, _rows in one]
