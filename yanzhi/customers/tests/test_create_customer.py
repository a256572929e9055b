from datetime import date

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.customers import services
from yanzhi.customers.models import Customer, CustomerSummary, SourceChannel, Tag
from yanzhi.customers.tests.conftest import make_id_card
from yanzhi.customers.tests.factories import make_customer
from yanzhi.org.tests.factories import StoreFactory


def test_create_fills_keys_member_no_summary_and_audit(create, store_a, store_a_front_desk):
    # when
    customer = create(name="张伟", phone="138 0000 1111", gender="male")
    # then
    assert customer.phone == "13800001111" and customer.phone_tail == "1111"
    assert (customer.name_pinyin, customer.name_initials) == ("zhangwei", "zw")
    assert customer.member_no == "10000001"
    assert customer.salutation == "张先生"
    assert CustomerSummary.objects.filter(customer=customer, store=store_a).exists()
    entry = AuditLog.objects.get(action="customer.created", object_id=str(customer.pk))
    assert entry.actor_id == store_a_front_desk.pk
    assert entry.after["name"] == "张伟" and entry.after["phone"] == "138****1111"


def test_member_numbers_count_up_per_chain(create, other_chain_admin, other_chain):
    first = create(phone="13800000001")
    second = create(phone="13800000002")
    other = services.create_customer(
        other_chain,
        store=other_chain.stores.first(),
        by=other_chain_admin,
        name="李四",
        phone="13800000003",
    )
    assert (first.member_no, second.member_no) == ("10000001", "10000002")
    assert other.member_no == "10000001"


def test_id_card_gives_birth_date_and_gender(create):
    customer = create(name="李娜", id_card=make_id_card(birth="19900307", seq="124"))
    assert customer.birth_date == date(1990, 3, 7)
    assert customer.gender == "female"
    assert customer.salutation == "李女士"


def test_id_card_that_disagrees_with_gender_is_refused(create):
    with pytest.raises(BusinessError) as exc:
        create(id_card=make_id_card(seq="124"), gender="male")
    assert "gender" in exc.value.fields
    assert not Customer.objects.exists()


def test_invalid_id_card_is_refused(create):
    bad = make_id_card()[:-1] + ("0" if make_id_card()[-1] != "0" else "1")
    with pytest.raises(BusinessError) as exc:
        create(id_card=bad)
    assert exc.value.fields["id_card"] == ["身份证号码校验位不正确"]
    assert (
        not Customer.objects.exists()
        and not AuditLog.objects.filter(action="customer.created").exists()
    )


def test_invalid_phone_is_refused(create):
    with pytest.raises(BusinessError) as exc:
        create(phone="12345")
    assert "phone" in exc.value.fields
    assert not Customer.objects.exists()


def test_duplicate_phone_in_another_store_names_the_owner(
    create, store_b, store_b_front_desk, store_b_consultant
):
    # given: store B's customer of consultant 郑爽
    create(by=store_b_front_desk, phone="13912345678", consultant=store_b_consultant)
    # when: store A tries to register the same phone
    with pytest.raises(BusinessError) as exc:
        create(phone="13912345678", name="别人")
    # then
    assert exc.value.code == "duplicate_phone"
    assert str(exc.value.message) == "该手机号(139****5678)已是浦东店B咨询师郑爽的客户"
    assert Customer.objects.count() == 1


def test_same_phone_in_another_chain_is_fine(create, other_chain, other_chain_admin):
    create(phone="13912345678")
    services.create_customer(
        other_chain,
        store=other_chain.stores.first(),
        by=other_chain_admin,
        name="王小美",
        phone="13912345678",
    )
    assert Customer.objects.filter(phone="13912345678").count() == 2


def test_duplicate_id_card_is_refused(create):
    number = make_id_card()
    create(phone="13800000001", id_card=number)
    with pytest.raises(BusinessError) as exc:
        create(phone="13800000002", id_card=number)
    assert exc.value.code == "duplicate_id_card"
    assert Customer.objects.count() == 1


def test_consultant_creating_becomes_owner(create, store_a_consultant, store_a_online_consultant):
    mine = create(by=store_a_consultant, phone="13800000001")
    lead = create(by=store_a_online_consultant, phone="13800000002")
    assert mine.consultant == store_a_consultant
    assert lead.online_consultant == store_a_online_consultant and lead.consultant is None


def test_team_must_have_the_right_role_and_work_in_the_store(
    create, store_a_consultant, store_a_doctor, store_b_consultant
):
    customer = create(consultant=store_a_consultant, doctor=store_a_doctor.pk)
    assert (customer.consultant, customer.doctor) == (store_a_consultant, store_a_doctor)
    with pytest.raises(BusinessError) as exc:
        create(phone="13800000002", doctor=store_a_consultant)
    assert "doctor" in exc.value.fields
    with pytest.raises(BusinessError) as exc:
        create(phone="13800000003", consultant=store_b_consultant)
    assert exc.value.fields["consultant"] == ["所选员工不在该门店工作"]
    assert Customer.objects.count() == 1


def test_referrer_and_channel_must_belong_to_the_chain(create, store_a, other_chain):
    channel = SourceChannel.objects.create(org=store_a.org, name="美团点评", kind="ecommerce")
    referrer = make_customer(store_a, phone="13700000000")
    outsider = make_customer(other_chain.stores.first(), phone="13700000001")
    customer = create(source_channel=channel.pk, referrer=referrer, allergies=" 利多卡因 ")
    assert (customer.source_channel, customer.referrer) == (channel, referrer)
    assert customer.allergies == "利多卡因" and customer.has_allergy
    with pytest.raises(BusinessError) as exc:
        create(phone="13800000009", referrer=outsider)
    assert "referrer" in exc.value.fields


def test_tags_and_marketing_consent_on_create(create, store_a):
    vip = Tag.objects.create(org=store_a.org, name="VIP", color="#d63384")
    customer = create(tags=[vip.pk], marketing_consent=True)
    assert list(customer.tags.all()) == [vip]
    assert customer.marketing_consent is True


def test_store_roles_cannot_create_for_other_stores(create, store_b, store_a_front_desk):
    with pytest.raises(BusinessError) as exc:
        create(store=store_b, by=store_a_front_desk)
    assert exc.value.fields == {"store": ["您不在该门店工作"]}


def test_roles_without_create_permission_are_refused(create, store_a_cashier):
    with pytest.raises(BusinessError) as exc:
        create(by=store_a_cashier)
    assert exc.value.status == 403
    assert not Customer.objects.exists()


def test_store_of_another_chain_is_refused(create, other_chain):
    with pytest.raises(BusinessError):
        create(store=StoreFactory(org=other_chain))
