import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.customers import services
from yanzhi.customers.models import Consent, ConsentDocument
from yanzhi.customers.queries import current_medical_consent


@pytest.fixture
def medical_v1(chain, hq_admin):
    return services.create_consent_document(
        chain, kind="medical", title="医疗数据与照片知情同意书", body="……", by=hq_admin
    )


def test_new_version_replaces_the_current_one(chain, hq_admin, medical_v1):
    v2 = services.create_consent_document(
        chain, kind="medical", title="医疗数据与照片知情同意书", body="修订版", by=hq_admin
    )
    medical_v1.refresh_from_db()
    assert (medical_v1.is_current, v2.is_current, v2.version) == (False, True, 2)


def test_only_hq_publishes_documents(chain, store_a_manager):
    with pytest.raises(BusinessError) as exc:
        services.create_consent_document(
            chain, kind="medical", title="t", body="b", by=store_a_manager
        )
    assert exc.value.status == 403 and not ConsentDocument.objects.exists()


def test_record_needs_a_configured_document(create, store_a_front_desk):
    customer = create()
    with pytest.raises(BusinessError) as exc:
        services.record_consent(customer, kind="medical", method="paper", by=store_a_front_desk)
    assert exc.value.code == "no_consent_document"
    assert not Consent.objects.exists()


def test_medical_consent_lifecycle(create, chain, hq_admin, store_a_doctor, medical_v1):
    customer = create()
    assert current_medical_consent(customer) is None
    # when: recorded
    consent = services.record_consent(
        customer, kind="medical", method="signature", by=store_a_doctor
    )
    # then
    assert current_medical_consent(customer) == consent and consent.document == medical_v1
    with pytest.raises(BusinessError):
        services.record_consent(customer, kind="medical", method="paper", by=store_a_doctor)
    # when: a new version is published, the old consent no longer counts
    services.create_consent_document(chain, kind="medical", title="v2", body="…", by=hq_admin)
    assert current_medical_consent(customer) is None
    renewed = services.record_consent(customer, kind="medical", method="paper", by=store_a_doctor)
    assert current_medical_consent(customer) == renewed
    # when: withdrawn
    services.withdraw_consent(renewed, by=store_a_doctor)
    assert current_medical_consent(customer) is None
    renewed.refresh_from_db()
    assert renewed.withdrawn_at is not None and renewed.withdrawn_by == store_a_doctor
    with pytest.raises(BusinessError):
        services.withdraw_consent(renewed, by=store_a_doctor)


def test_marketing_consent_keeps_the_flag_in_step(create, chain, hq_admin, store_a_front_desk):
    services.create_consent_document(chain, kind="marketing", title="营销", body="…", by=hq_admin)
    customer = create()
    consent = services.record_consent(
        customer, kind="marketing", method="online", by=store_a_front_desk
    )
    customer.refresh_from_db()
    assert customer.marketing_consent is True
    services.withdraw_consent(consent, by=store_a_front_desk)
    customer.refresh_from_db()
    assert customer.marketing_consent is False


def test_marketing_flag_on_create_records_a_consent(create, chain, hq_admin, store_a_front_desk):
    services.create_consent_document(chain, kind="marketing", title="营销", body="…", by=hq_admin)
    customer = create(marketing_consent=True)
    assert Consent.objects.get(customer=customer).kind == "marketing"
    services.update_customer(customer, by=store_a_front_desk, marketing_consent=False)
    assert Consent.objects.get(customer=customer).withdrawn_at is not None


def test_consents_over_the_api(api_for, hq_admin, store_a_front_desk, create):
    api = api_for(hq_admin)
    doc = api.post(
        "/consent-documents", json={"kind": "medical", "title": "医疗同意书", "body": "……"}
    )
    assert doc.status_code == 201 and doc.json()["version"] == 1
    customer = create()
    front = api_for(store_a_front_desk)
    created = front.post(f"/customers/{customer.pk}/consents", json={"kind": "medical"})
    assert created.status_code == 201 and created.json()["document_version"] == 1
    listed = front.get(f"/customers/{customer.pk}/consents").json()
    assert [c["id"] for c in listed] == [created.json()["id"]]
    withdrawn = front.post(f"/consents/{created.json()['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"]


def test_consent_forms_on_the_profile(client_for, create, chain, hq_admin, store_a_front_desk):
    services.create_consent_document(
        chain, kind="medical", title="医疗同意书", body="…", by=hq_admin
    )
    customer = create()
    client = client_for(store_a_front_desk)
    html = client.post(
        f"/customers/{customer.pk}/consents/", {"kind": "medical", "method": "paper"}
    ).content.decode()
    assert "已签署" in html and "医疗同意书 v1" in html
    consent = Consent.objects.get()
    client.post(f"/customers/{consent.pk}/withdraw/")  # wrong URL shape: 404, nothing changes
    html = client.post(f"/customers/consents/{consent.pk}/withdraw/").content.decode()
    assert "未签署" in html
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
