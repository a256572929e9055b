from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from yanzhi.clinical import services
from yanzhi.clinical.models import Diagnosis
from yanzhi.core.errors import BusinessError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_doctor_records_diagnosis_and_plan(customer, visit, store_a_doctor):
    diagnosis = services.record_diagnosis(
        customer,
        by=store_a_doctor,
        visit=visit,
        findings="鼻唇沟中度凹陷",
        plan_items="玻尿酸填充 1ml",
        plan_effect="自然改善",
        plan_price_amount=Decimal("6800"),
        plan_duration="1次,维持6-12个月",
        outcome="treat_today",
    )
    diagnosis.refresh_from_db()
    assert diagnosis.plan_price_amount == Decimal("6800.00")
    assert diagnosis.doctor == store_a_doctor and diagnosis.visit == visit


def test_only_doctors_diagnose(customer, store_a_consultant, store_a_nurse):
    for staff in (store_a_consultant, store_a_nurse):
        with pytest.raises(BusinessError) as refused:
            services.record_diagnosis(customer, by=staff, findings="x")
        assert refused.value.status == 403
    assert not Diagnosis.objects.exists()


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"findings": "x", "plan_price_amount": Decimal("-1")}, "plan_price_amount"),
        ({"findings": "x", "plan_price_amount": "abc"}, "plan_price_amount"),
        ({"findings": "  "}, "findings"),
        ({"findings": "x", "outcome": "maybe"}, "outcome"),
    ],
)
def test_bad_input_is_refused(customer, store_a_doctor, fields, bad):
    with pytest.raises(BusinessError) as refused:
        services.record_diagnosis(customer, by=store_a_doctor, **fields)
    assert bad in refused.value.fields
    assert not Diagnosis.objects.exists()


def test_update_only_same_doctor_same_day(customer, store_a_doctor, chain, store_a):
    from yanzhi.org.tests.factories import make_staff

    colleague = make_staff(chain, "doctor", [store_a])
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI), tick=False):
        diagnosis = services.record_diagnosis(customer, by=store_a_doctor, findings="初诊")
        # the same evening (store-local) the doctor may correct it
    with time_machine.travel(datetime(2026, 3, 2, 23, 30, tzinfo=SHANGHAI), tick=False):
        services.update_diagnosis(diagnosis, by=store_a_doctor, findings="修正")
        with pytest.raises(BusinessError) as refused:
            services.update_diagnosis(diagnosis, by=colleague, findings="别人改")
        assert refused.value.status == 403
    # the next day it is locked
    with time_machine.travel(datetime(2026, 3, 2, 23, 30, tzinfo=SHANGHAI) + timedelta(hours=1)):
        with pytest.raises(BusinessError, match="diagnosis_locked"):
            services.update_diagnosis(diagnosis, by=store_a_doctor, findings="隔天改")
    diagnosis.refresh_from_db()
    assert diagnosis.findings == "修正"


def test_pages(client_for, customer, visit, store_a_doctor, store_a_consultant, store_b_consultant):
    client = client_for(store_a_doctor)
    response = client.post(
        "/diagnoses/new/",
        {"customer": customer.pk, "visit": visit.pk, "findings": "", "plan_price_amount": "100"},
    )
    assert response.status_code == 422
    assert not Diagnosis.objects.exists()
    response = client.post(
        "/diagnoses/new/",
        {
            "visit": visit.pk,
            "findings": "痤疮",
            "plan_items": "光子嫩肤",
            "plan_price_amount": "1280",
        },
    )
    diagnosis = Diagnosis.objects.get()
    assert response.status_code == 302 and diagnosis.visit == visit
    # a consultant reads the plan; another store's consultant cannot
    page = client_for(store_a_consultant).get(f"/diagnoses/{diagnosis.pk}/")
    assert (
        page.status_code == 200 and "¥1,280.00" in page.text and "diagnosis-form" not in page.text
    )
    assert client_for(store_b_consultant).get(f"/diagnoses/{diagnosis.pk}/").status_code == 404
    assert (
        client_for(store_a_consultant)
        .post(f"/diagnoses/{diagnosis.pk}/", {"findings": "改"})
        .status_code
        == 403
    )
