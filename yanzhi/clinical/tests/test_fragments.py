import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yanzhi.clinical import services
from yanzhi.clinical.tests.conftest import image_bytes, upload
from yanzhi.customers.tests.factories import make_customer


def add_records(customer, visit, consultant, doctor, n):
    for i in range(n):
        services.start_consultation(customer, by=consultant, visit=visit, demands=f"诉求{i}")
        services.record_diagnosis(customer, by=doctor, visit=visit, findings=f"所见{i}")
        services.create_medical_record(
            customer, by=doctor, visit=visit, chief_complaint=f"主诉{i}", diagnosis=f"诊断{i}"
        )
        services.upload_photo(
            customer,
            by=doctor,
            visit=visit,
            file=upload(f"{i}.png", image_bytes()),
            kind="before" if i % 2 else "after",
        )


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["customer", "visit"])
def test_query_count_is_constant(
    client_for,
    customer,
    consent,
    visit,
    store_a,
    store_a_consultant,
    store_a_doctor,
    store_a_manager,
    page,
):
    # given a customer with 1 record of each kind, and another with 10
    many = make_customer(store_a, name="多记录", consultant=store_a_consultant)
    from yanzhi.clinical.tests.conftest import give_consent
    from yanzhi.visits.models import Visit

    give_consent(many, consent.document)
    many_visit = Visit.objects.create(
        org_id=many.org_id,
        store=store_a,
        customer=many,
        day=visit.day,
        visit_type="first",
        proposed_visit_type="first",
        arrived_at=visit.arrived_at,
    )
    add_records(customer, visit, store_a_consultant, store_a_doctor, 1)
    add_records(many, many_visit, store_a_consultant, store_a_doctor, 10)
    client = client_for(store_a_manager)
    if page == "customer":
        one, ten = f"/customers/{customer.pk}/clinical/", f"/customers/{many.pk}/clinical/"
    else:
        one, ten = f"/visits/{visit.pk}/clinical/", f"/visits/{many_visit.pk}/clinical/"
    # when / then
    client.get(one)  # warm the session
    assert count_queries(client, one) == count_queries(client, ten)
    response = client.get(ten)
    assert response.text.count('class="figure-img') == 10
    assert response.text.count("诉求") == 10


def test_sections_follow_the_role(
    client_for,
    customer,
    consent,
    visit,
    store_a_consultant,
    store_a_doctor,
    store_a_nurse,
    store_a_front_desk,
    store_a_online_consultant,
):
    add_records(customer, visit, store_a_consultant, store_a_doctor, 1)
    url = f"/visits/{visit.pk}/clinical/"
    doctor = client_for(store_a_doctor).get(url).text
    assert "clinical-consultations" in doctor and "clinical-medical-records" in doctor
    assert "/diagnoses/new/" in doctor and "/medical-records/new/" in doctor
    assert "/consultations/new/" not in doctor
    consultant = client_for(store_a_consultant).get(url).text
    assert "/consultations/new/" in consultant and "/medical-records/new/" not in consultant
    nurse = client_for(store_a_nurse).get(url).text
    assert "clinical-consultations" not in nurse and "clinical-photos" in nurse
    front = client_for(store_a_front_desk).get(url)
    assert front.status_code == 200
    for section in (
        "clinical-consultations",
        "clinical-diagnoses",
        "clinical-medical-records",
        "clinical-photos",
    ):
        assert section not in front.text
    assert "诉求0" not in front.text
    # the customer belongs to 张敏, not to the online consultant: 404
    assert client_for(store_a_online_consultant).get(url).status_code == 404


def test_fragments_are_404_outside_scope(
    client_for, customer, visit, store_b_consultant, other_chain_admin, store_a_consultant_2
):
    for staff in (store_b_consultant, other_chain_admin, store_a_consultant_2):
        client = client_for(staff)
        assert client.get(f"/customers/{customer.pk}/clinical/").status_code == 404
        assert client.get(f"/visits/{visit.pk}/clinical/").status_code == 404


def test_visit_fragment_shows_only_that_visit(
    client_for, customer, consent, visit, store_a, store_a_consultant, store_a_doctor
):
    services.start_consultation(customer, by=store_a_consultant, visit=visit, demands="这次到访")
    services.start_consultation(customer, by=store_a_consultant, demands="别的时候")
    client = client_for(store_a_consultant)
    visit_page = client.get(f"/visits/{visit.pk}/clinical/").text
    assert "这次到访" in visit_page and "别的时候" not in visit_page
    profile = client.get(f"/customers/{customer.pk}/clinical/").text
    assert "这次到访" in profile and "别的时候" in profile
