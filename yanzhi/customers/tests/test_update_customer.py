import pytest
from django.utils import timezone

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.customers import services
from yanzhi.customers.models import Customer


def test_update_audits_only_changed_fields(create, store_a_front_desk):
    customer = create(name="王小美", allergies="")
    services.update_customer(
        customer, by=store_a_front_desk, name="王小美", allergies="青霉素", notes=""
    )
    entry = AuditLog.objects.get(action="customer.updated")
    assert entry.before == {"allergies": ""} and entry.after == {"allergies": "青霉素"}


def test_phone_change_rechecks_duplicates_and_clears_verification(create, store_a_front_desk):
    create(phone="13800000001")
    customer = create(phone="13800000002")
    Customer.objects.filter(pk=customer.pk).update(phone_verified_at=timezone.now())
    # when: the phone of another customer
    with pytest.raises(BusinessError) as exc:
        services.update_customer(customer, by=store_a_front_desk, phone="13800000001")
    # then: refused and nothing changed
    assert exc.value.code == "duplicate_phone"
    customer.refresh_from_db()
    assert customer.phone == "13800000002" and customer.phone_verified
    # when: a new phone
    services.update_customer(customer, by=store_a_front_desk, phone="13800000003")
    customer.refresh_from_db()
    assert (customer.phone, customer.phone_tail, customer.phone_verified) == (
        "13800000003",
        "0003",
        False,
    )
    entry = AuditLog.objects.get(action="customer.updated")
    assert entry.after["phone"] == "138****0003" and entry.after["phone_verified_at"] is None


def test_name_change_refreshes_search_keys(create, store_a_front_desk):
    customer = create(name="王小美")
    services.update_customer(customer, by=store_a_front_desk, name="曾丽")
    customer.refresh_from_db()
    assert (customer.name_pinyin, customer.name_initials) == ("zengli", "zl")


def test_team_change_needs_the_assign_permission(
    create, store_a_consultant, store_a_consultant_2, store_a_doctor, store_a_front_desk
):
    customer = create(by=store_a_consultant)
    with pytest.raises(BusinessError) as exc:
        services.update_customer(customer, by=store_a_consultant, consultant=store_a_consultant_2)
    assert exc.value.status == 403
    services.assign_team(
        customer, consultant=store_a_consultant_2, doctor=store_a_doctor, by=store_a_front_desk
    )
    customer.refresh_from_db()
    assert (customer.consultant, customer.doctor) == (store_a_consultant_2, store_a_doctor)
    entry = AuditLog.objects.get(action="customer.team_assigned")
    assert entry.before["consultant_id"] == store_a_consultant.pk
    assert entry.after["consultant_id"] == store_a_consultant_2.pk


def test_assign_team_refuses_a_doctor_who_is_not_a_doctor(
    create, store_a_front_desk, store_a_nurse
):
    customer = create()
    with pytest.raises(BusinessError) as exc:
        services.assign_team(customer, consultant=None, doctor=store_a_nurse, by=store_a_front_desk)
    assert "doctor" in exc.value.fields
    customer.refresh_from_db()
    assert customer.doctor is None


def test_marketing_consent_flag_change(create, store_a_front_desk):
    customer = create()
    services.update_customer(customer, by=store_a_front_desk, marketing_consent=True)
    customer.refresh_from_db()
    assert customer.marketing_consent is True
