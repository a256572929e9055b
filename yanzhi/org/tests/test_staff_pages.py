"""The staff, group, department, settings and token pages over HTTP, with their scope."""

import pytest
from django.utils import timezone

from yanzhi.core.models import AuditLog
from yanzhi.org.models import ApiToken, Staff, StaffGroup
from yanzhi.org.tests.factories import make_staff

NEW_PASSWORD = "Fresh-Temp-Pass-42!"


def test_staff_list_filters_and_searches(client_for, hq_admin, store_a_nurse, store_b_consultant):
    client = client_for(hq_admin)
    page = client.get("/staff/", {"store": store_a_nurse.stores.get().pk}).content.decode()
    assert "A护士孙丽" in page and "B咨询师郑爽" not in page
    page = client.get("/staff/", {"q": "郑爽"}).content.decode()
    assert "B咨询师郑爽" in page and "A护士孙丽" not in page
    page = client.get("/staff/", {"role": "nurse"}).content.decode()
    assert "A护士孙丽" in page and "B咨询师郑爽" not in page


def test_staff_list_shows_only_own_store_to_a_manager(
    client_for, store_a_manager, store_a_nurse, store_b_consultant
):
    page = client_for(store_a_manager).get("/staff/").content.decode()
    assert "A护士孙丽" in page and "B咨询师郑爽" not in page and "总部王总" not in page


def test_staff_list_htmx_returns_the_rows_with_fixed_queries(
    client_for, hq_admin, chain, store_a, django_assert_max_num_queries
):
    for n in range(15):
        make_staff(chain, "nurse", [store_a], name=f"护士{n}")
    client = client_for(hq_admin)
    with django_assert_max_num_queries(12):
        response = client.get("/staff/", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="rows"') and "护士14" in body


@pytest.mark.parametrize("role_fixture", ["store_a_front_desk", "store_a_consultant"])
def test_staff_pages_are_forbidden_below_manager(request, client_for, role_fixture):
    client = client_for(request.getfixturevalue(role_fixture))
    assert client.get("/staff/").status_code == 403
    assert client.get("/audit/").status_code == 403
    assert client.get("/settings/").status_code == 403


def test_manager_creates_staff_over_http(client_for, store_a, store_a_manager):
    response = client_for(store_a_manager).post(
        "/staff/new/",
        {
            "username": "a_nurse_new",
            "name": "新护士",
            "password": NEW_PASSWORD,
            "role": "nurse",
            "stores": [store_a.pk],
        },
    )
    staff = Staff.objects.get(username="a_nurse_new")
    assert response.status_code == 302 and response.url == f"/staff/{staff.pk}/"
    assert staff.must_change_password and staff.can_unmask is False


def test_manager_creating_an_hq_account_gets_a_form_error(client_for, store_a, store_a_manager):
    response = client_for(store_a_manager).post(
        "/staff/new/",
        {"username": "fake_hq", "name": "假总部", "password": NEW_PASSWORD, "role": "hq"},
    )
    # the HQ role is not even offered to a store manager
    assert response.status_code == 422
    assert not Staff.objects.filter(username="fake_hq").exists()


def test_manager_cannot_open_or_edit_staff_of_store_b(
    client_for, store_a_manager, store_b_consultant
):
    client = client_for(store_a_manager)
    assert client.get(f"/staff/{store_b_consultant.pk}/").status_code == 404
    response = client.post(
        f"/staff/{store_b_consultant.pk}/",
        {"username": "b_consultant", "name": "改名", "role": "consultant"},
    )
    assert response.status_code == 404
    assert client.post(f"/staff/{store_b_consultant.pk}/unlock/").status_code == 404
    assert (
        client.post(
            f"/staff/{store_b_consultant.pk}/reset-password/", {"new_password": NEW_PASSWORD}
        ).status_code
        == 404
    )
    store_b_consultant.refresh_from_db()
    assert store_b_consultant.name == "B咨询师郑爽" and not store_b_consultant.must_change_password


def test_other_chain_admin_sees_nothing_of_chain_a(client_for, other_chain_admin, store_a_nurse):
    client = client_for(other_chain_admin)
    assert "A护士孙丽" not in client.get("/staff/").content.decode()
    assert client.get(f"/staff/{store_a_nurse.pk}/").status_code == 404
    assert "A护士孙丽" not in client.get("/audit/").content.decode()


def test_edit_page_saves_and_shows_the_change_log(
    client_for, store_a, store_a_manager, store_a_nurse
):
    client = client_for(store_a_manager)
    response = client.post(
        f"/staff/{store_a_nurse.pk}/",
        {
            "username": "a_nurse",
            "name": "A护士孙丽",
            "role": "nurse",
            "stores": [store_a.pk],
            "title": "护士长",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/staff/{store_a_nurse.pk}/").content.decode()
    assert "员工修改日志" in page and "护士长" in page and "staff.updated" in page


def test_edit_with_bad_input_is_422_and_changes_nothing(
    client_for, store_a, store_a_manager, store_a_nurse
):
    response = client_for(store_a_manager).post(
        f"/staff/{store_a_nurse.pk}/",
        {"username": "a_manager", "name": "A护士孙丽", "role": "nurse", "stores": [store_a.pk]},
    )
    assert response.status_code == 422 and "该登录名已被使用" in response.content.decode()
    store_a_nurse.refresh_from_db()
    assert store_a_nurse.username == "a_nurse" and store_a_nurse.is_active


def test_unlock_and_reset_over_http(client_for, store_a_manager, store_a_nurse):
    store_a_nurse.locked_until = timezone.now() + timezone.timedelta(minutes=10)
    store_a_nurse.save()
    client = client_for(store_a_manager)
    assert "解除锁定" in client.get(f"/staff/{store_a_nurse.pk}/").content.decode()
    client.post(f"/staff/{store_a_nurse.pk}/unlock/")
    client.post(f"/staff/{store_a_nurse.pk}/reset-password/", {"new_password": NEW_PASSWORD})
    store_a_nurse.refresh_from_db()
    assert store_a_nurse.locked_until is None and store_a_nurse.must_change_password
    assert store_a_nurse.check_password(NEW_PASSWORD)


def test_groups_page_creates_a_group(
    client_for, store_a, store_a_manager, store_a_consultant, store_a_consultant_2
):
    client = client_for(store_a_manager)
    response = client.post(
        "/staff/groups/",
        {
            "name": "咨询一组",
            "store": store_a.pk,
            "leader": store_a_consultant.pk,
            "members": [store_a_consultant_2.pk],
        },
    )
    assert response.status_code == 302
    group = StaffGroup.objects.get()
    assert group.leader == store_a_consultant and list(group.members.all()) == [
        store_a_consultant_2
    ]
    page = client.get("/staff/groups/").content.decode()
    assert "咨询一组" in page and "A咨询师刘芳" in page
    assert client.get(f"/staff/groups/{group.pk}/").status_code == 200


def test_store_b_manager_cannot_open_store_a_group(
    client_for, chain, store_a, store_b, hq_admin, store_a_consultant
):
    from yanzhi.org import services

    group = services.create_staff_group(
        chain, name="A组", store=store_a, leader=None, members=[], by=hq_admin
    )
    b_manager = make_staff(chain, "store_manager", [store_b], name="B店长")
    client = client_for(b_manager)
    assert client.get(f"/staff/groups/{group.pk}/").status_code == 404
    assert "A组" not in client.get("/staff/groups/").content.decode()


def test_departments_page(client_for, hq_admin, store_a_manager):
    hq = client_for(hq_admin)
    assert hq.post("/settings/departments/", {"name": "皮肤科"}).status_code == 302
    assert hq.post("/settings/departments/", {"name": "皮肤科"}).status_code == 422
    manager = client_for(store_a_manager)
    assert "皮肤科" in manager.get("/settings/departments/").content.decode()
    assert manager.post("/settings/departments/", {"name": "口腔科"}).status_code == 403


def test_settings_page_saves_store_settings_with_checkboxes(client_for, store_a, store_a_manager):
    client = client_for(store_a_manager)
    page = client.get("/settings/").content.decode()
    assert "会员号" in page and "机构安全设置" not in page  # the org form is HQ only
    response = client.post(
        f"/settings/?store={store_a.pk}",
        {
            "form": "store",
            "opens_at": "10:00",
            "closes_at": "20:00",
            "address": "静安区南京西路1号",
            "phone": "021-12345678",
            "search_order": "member_no",
            "search_fields": ["name", "member_no"],
        },
    )
    assert response.status_code == 302
    store_a.refresh_from_db()
    assert store_a.search_fields == ["name", "member_no"] and store_a.address.startswith("静安")
    assert client.post("/settings/", {"form": "org", "login_failure_limit": 1}).status_code == 403


def test_settings_page_refuses_bad_hours_with_422(client_for, store_a, store_a_manager):
    response = client_for(store_a_manager).post(
        "/settings/",
        {"form": "store", "opens_at": "22:00", "closes_at": "20:00", "search_order": "phone"},
    )
    assert (
        response.status_code == 422 and "营业结束时间必须晚于开始时间" in response.content.decode()
    )
    store_a.refresh_from_db()
    assert store_a.closes_at.hour == 21


def test_hq_saves_security_settings(client_for, chain, hq_admin):
    response = client_for(hq_admin).post(
        "/settings/",
        {
            "form": "org",
            "login_failure_limit": 3,
            "login_lock_minutes": 30,
            "password_policy": "mlps3",
            "session_idle_minutes": 20,
        },
    )
    assert response.status_code == 302
    chain.refresh_from_db()
    assert (chain.login_failure_limit, chain.session_idle_minutes) == (3, 20)


def test_api_token_page_shows_the_key_once_and_revokes(client_for, store_a_nurse, hq_admin):
    client = client_for(store_a_nurse)
    page = client.post("/settings/api-tokens/", {"name": "脚本"}).content.decode()
    token = ApiToken.objects.get(staff=store_a_nurse)
    assert f"yz_{token.prefix}_" in page
    assert f"yz_{token.prefix}_" not in client.get("/settings/api-tokens/").content.decode()
    # HQ sees it, another colleague does not
    assert "脚本" in client_for(hq_admin).get("/settings/api-tokens/").content.decode()
    # revoke
    assert client.post(f"/settings/api-tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditLog.objects.filter(action="api_token.revoked").count() == 1


def test_colleague_cannot_revoke_someone_elses_token(client_for, store_a_nurse, store_a_manager):
    from yanzhi.org.services import create_api_token

    token, _key = create_api_token(store_a_nurse, name="nurse", by=store_a_nurse)
    client = client_for(store_a_manager)
    assert client.post(f"/settings/api-tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
