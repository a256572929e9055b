import pytest
from django.utils import timezone

from yanzhi.clinical import services
from yanzhi.clinical.models import MedicalRecord, MedicalRecordAddendum
from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.customers.models import ConsentDocument

SECTIONS = {"chief_complaint": "面部色斑3年", "diagnosis": "黄褐斑"}


def reads_of(record) -> int:
    return AuditLog.objects.filter(
        action="medical_record.read", object_id=str(record.pk), object_type="clinical.medicalrecord"
    ).count()


@pytest.fixture
def record(customer, consent, visit, store_a_doctor):
    return services.create_medical_record(customer, by=store_a_doctor, visit=visit, **SECTIONS)


def test_refused_without_consent(customer, medical_document, store_a_doctor):
    with pytest.raises(BusinessError) as refused:
        services.create_medical_record(customer, by=store_a_doctor, **SECTIONS)
    assert refused.value.code == "consent_required"
    assert "知情同意书" in str(refused.value.message)
    assert not MedicalRecord.objects.exists()


def test_refused_after_withdrawal(customer, consent, store_a_doctor):
    consent.withdrawn_at = timezone.now()
    consent.save()
    with pytest.raises(BusinessError, match="consent_required"):
        services.create_medical_record(customer, by=store_a_doctor, **SECTIONS)
    assert not MedicalRecord.objects.exists()


def test_consent_to_an_old_document_version_does_not_count(
    customer, consent, medical_document, store_a_doctor
):
    # given the clinic publishes version 2 of the consent text
    medical_document.is_current = False
    medical_document.save()
    ConsentDocument.objects.create(
        org_id=customer.org_id, kind="medical", version=2, title="v2", body="…", is_current=True
    )
    # then the consent to version 1 no longer covers a new record
    with pytest.raises(BusinessError, match="consent_required"):
        services.create_medical_record(customer, by=store_a_doctor, **SECTIONS)


def test_created_with_consent_and_allergies_carried(customer, consent, store_a_doctor):
    record = services.create_medical_record(customer, by=store_a_doctor, **SECTIONS)
    assert record.consent == consent
    assert record.status == MedicalRecord.Status.DRAFT
    assert record.allergy_history == "青霉素过敏"
    assert record.doctor == store_a_doctor


def test_required_sections(customer, consent, store_a_doctor):
    with pytest.raises(BusinessError) as refused:
        services.create_medical_record(customer, by=store_a_doctor, chief_complaint="  ")
    assert set(refused.value.fields) == {"chief_complaint", "diagnosis"}
    assert not MedicalRecord.objects.exists()


def test_only_doctors_write(customer, consent, store_a_nurse, store_a_manager):
    for staff in (store_a_nurse, store_a_manager):
        with pytest.raises(BusinessError) as refused:
            services.create_medical_record(customer, by=staff, **SECTIONS)
        assert refused.value.status == 403


def test_signed_record_cannot_be_updated_but_takes_addenda(record, store_a_doctor):
    # given
    services.update_medical_record(record, by=store_a_doctor, advice="防晒")
    services.sign_medical_record(record, by=store_a_doctor)
    # when / then
    with pytest.raises(BusinessError, match="medical_record_signed"):
        services.update_medical_record(record, by=store_a_doctor, diagnosis="改诊断")
    with pytest.raises(BusinessError, match="medical_record_signed"):
        services.sign_medical_record(record, by=store_a_doctor)
    record.refresh_from_db()
    assert record.diagnosis == "黄褐斑" and record.advice == "防晒"
    addendum = services.add_addendum(record, text="补充:外用氨甲环酸", by=store_a_doctor)
    assert list(record.addenda.all()) == [addendum]
    assert AuditLog.objects.filter(action="medical_record.addendum_added").count() == 1


def test_addendum_needs_a_signed_record(record, store_a_doctor):
    with pytest.raises(BusinessError, match="medical_record_not_signed"):
        services.add_addendum(record, text="x", by=store_a_doctor)
    assert not MedicalRecordAddendum.objects.exists()


def test_another_doctor_cannot_edit_or_sign(record, chain, store_a):
    from yanzhi.org.tests.factories import make_staff

    colleague = make_staff(chain, "doctor", [store_a], name="A医生钱")
    for action in (
        lambda: services.update_medical_record(record, by=colleague, advice="x"),
        lambda: services.sign_medical_record(record, by=colleague),
    ):
        with pytest.raises(BusinessError) as refused:
            action()
        assert refused.value.status == 403
    record.refresh_from_db()
    assert record.status == "draft" and record.advice == ""


# --- pages ------------------------------------------------------------------------------------------
def test_detail_page_logs_each_read(client_for, record, store_a_consultant, store_a_doctor):
    # given a consultant and a doctor who both may view it
    for staff in (store_a_consultant, store_a_doctor):
        response = client_for(staff).get(f"/medical-records/{record.pk}/")
        assert response.status_code == 200 and "黄褐斑" in response.text
    # then two reads are logged, naming who read
    logs = AuditLog.objects.filter(action="medical_record.read", object_id=str(record.pk))
    assert sorted(logs.values_list("actor_id", flat=True)) == sorted(
        [store_a_consultant.pk, store_a_doctor.pk]
    )


def test_fragment_list_shows_title_line_only_and_logs_nothing(
    client_for, customer, consent, store_a_doctor
):
    record = services.create_medical_record(
        customer, by=store_a_doctor, present_illness="现病史机密内容", **SECTIONS
    )
    response = client_for(store_a_doctor).get(f"/customers/{customer.pk}/clinical/")
    assert response.status_code == 200
    assert "黄褐斑" in response.text and "现病史机密内容" not in response.text
    assert reads_of(record) == 0


def test_new_page_without_consent_links_to_consent(client_for, customer, store_a_doctor):
    client = client_for(store_a_doctor)
    page = client.get(f"/medical-records/new/?customer={customer.pk}")
    assert page.status_code == 200
    assert f'href="/customers/{customer.pk}/#consents"' in page.text
    assert "medical-record-form" not in page.text
    response = client.post("/medical-records/new/", {"customer": customer.pk, **SECTIONS})
    assert response.status_code == 422
    assert not MedicalRecord.objects.exists()


def test_write_sign_and_addend_through_pages(client_for, customer, consent, store_a_doctor):
    client = client_for(store_a_doctor)
    page = client.get(f"/medical-records/new/?customer={customer.pk}")
    assert "青霉素过敏" in page.text  # allergy history pre-filled
    response = client.post("/medical-records/new/", {"customer": customer.pk, **SECTIONS})
    record = MedicalRecord.objects.get()
    assert response.status_code == 302
    response = client.post(
        f"/medical-records/{record.pk}/", {**SECTIONS, "advice": "一周后复诊", "action": "sign"}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == "signed" and record.advice == "一周后复诊"
    # a signed record refuses an edit by POST
    response = client.post(f"/medical-records/{record.pk}/", {**SECTIONS, "diagnosis": "改"})
    assert response.status_code == 403
    response = client.post(f"/medical-records/{record.pk}/addenda/", {"text": "补充说明一"})
    assert response.status_code == 302
    page = client.get(f"/medical-records/{record.pk}/")
    assert "补充说明一" in page.text and "addendum-form" in page.text
    record.refresh_from_db()
    assert record.diagnosis == "黄褐斑"


def test_scope_of_detail_page(
    client_for,
    record,
    store_a_consultant_2,
    store_b_consultant,
    other_chain_admin,
    store_a_front_desk,
    hq_admin,
):
    for staff in (store_a_consultant_2, store_b_consultant, other_chain_admin):
        assert client_for(staff).get(f"/medical-records/{record.pk}/").status_code == 404
    assert client_for(store_a_front_desk).get(f"/medical-records/{record.pk}/").status_code == 403
    assert client_for(hq_admin).get(f"/medical-records/{record.pk}/").status_code == 200
    assert reads_of(record) == 1  # only the one allowed read was logged
