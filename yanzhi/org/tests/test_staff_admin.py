"""Staff management services: who may open, change, unlock and reset which accounts."""

import pytest
from django.utils import timezone

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.org import services
from yanzhi.org.models import Staff
from yanzhi.org.passwords import password_change_required
from yanzhi.org.queries import staff_change_log
from yanzhi.org.tests.factories import TEST_PASSWORD

NEW_PASSWORD = "Fresh-Temp-Pass-42!"


def test_manager_opens_an_account_in_own_store_that_must_change_its_password(
    chain, store_a, store_a_manager
):
    # when
    staff = services.create_staff(
        chain,
        username="a_new",
        name="新同事",
        role="consultant",
        stores=[store_a],
        password=NEW_PASSWORD,
        by=store_a_manager,
    )
    # then
    assert list(staff.stores.all()) == [store_a]
    assert staff.can_unmask is True  # consultants may unmask by default
    assert staff.must_change_password and password_change_required(staff)
    row = AuditLog.objects.get(action="staff.created", object_id=str(staff.pk))
    assert row.actor_id == store_a_manager.pk and row.after["role"] == "consultant"


def test_manager_cannot_open_an_hq_account(chain, store_a, store_a_manager):
    with pytest.raises(BusinessError) as error:
        services.create_staff(
            chain,
            username="sneaky",
            name="假总部",
            role="hq",
            stores=[store_a],
            password=NEW_PASSWORD,
            by=store_a_manager,
        )
    assert error.value.code == "forbidden_role" and error.value.status == 403
    assert not Staff.objects.filter(username="sneaky").exists()


def test_manager_cannot_open_an_account_in_another_store(chain, store_b, store_a_manager):
    with pytest.raises(BusinessError, match="forbidden_store"):
        services.create_staff(
            chain,
            username="b_new",
            name="B新人",
            role="nurse",
            stores=[store_b],
            password=NEW_PASSWORD,
            by=store_a_manager,
        )
    assert not Staff.objects.filter(username="b_new").exists()


def test_roles_below_manager_cannot_open_accounts(chain, store_a, store_a_front_desk):
    with pytest.raises(BusinessError, match="forbidden"):
        services.create_staff(
            chain,
            username="x1",
            name="某人",
            role="nurse",
            stores=[store_a],
            password=NEW_PASSWORD,
            by=store_a_front_desk,
        )
    assert not Staff.objects.filter(username="x1").exists()


def test_duplicate_username_and_weak_password_change_nothing(chain, store_a, hq_admin):
    count = Staff.objects.count()
    with pytest.raises(BusinessError, match="duplicate_username"):
        services.create_staff(
            chain, username="HQ", name="重复", role="nurse", stores=[store_a],
            password=NEW_PASSWORD, by=hq_admin,
        )  # fmt: skip
    with pytest.raises(BusinessError, match="weak_password"):
        services.create_staff(
            chain, username="weak", name="弱密码", role="nurse", stores=[store_a],
            password="short", by=hq_admin,
        )  # fmt: skip
    assert Staff.objects.count() == count


def test_manager_cannot_change_staff_of_another_store(store_a_manager, store_b_consultant):
    with pytest.raises(BusinessError, match="not_found"):
        services.update_staff(store_b_consultant, by=store_a_manager, title="改了")
    store_b_consultant.refresh_from_db()
    assert store_b_consultant.title == ""


def test_manager_cannot_promote_to_hq(store_a_manager, store_a_nurse):
    with pytest.raises(BusinessError, match="forbidden_role"):
        services.update_staff(store_a_nurse, by=store_a_manager, role="hq")
    store_a_nurse.refresh_from_db()
    assert store_a_nurse.role == "nurse"


def test_manager_changing_stores_keeps_the_other_managers_stores(
    store_a, store_b, store_a_manager, two_store_nurse
):
    # when A's manager takes the nurse off store A
    services.update_staff(two_store_nurse, by=store_a_manager, stores=[])
    # then the nurse still works in B, which A's manager can neither give nor take away
    assert [s.pk for s in two_store_nurse.stores.all()] == [store_b.pk]
    with pytest.raises(BusinessError, match="not_found"):
        services.update_staff(two_store_nurse, by=store_a_manager, stores=[store_a])


def test_hq_changes_role_stores_and_the_change_log_shows_it(
    store_a, store_b, hq_admin, store_a_nurse
):
    # when
    services.update_staff(
        store_a_nurse, by=hq_admin, stores=[store_b], role="doctor", title="主治医师"
    )
    # then
    store_a_nurse.refresh_from_db()
    assert store_a_nurse.role == "doctor" and list(store_a_nurse.stores.all()) == [store_b]
    entry = staff_change_log(store_a_nurse)[0]
    assert entry.action == "staff.updated" and entry.actor_id == hq_admin.pk
    assert entry.before == {"role": "nurse", "title": "", "store_ids": [store_a.pk]}
    assert entry.after == {"role": "doctor", "title": "主治医师", "store_ids": [store_b.pk]}


def test_nobody_deactivates_themself(store_a_manager):
    with pytest.raises(BusinessError, match="cannot_change_self"):
        services.update_staff(store_a_manager, by=store_a_manager, is_active=False)
    store_a_manager.refresh_from_db()
    assert store_a_manager.is_active


def test_unlock_clears_the_lock_and_is_logged(store_a_manager, store_a_front_desk):
    # given a locked account
    store_a_front_desk.failed_login_count = 5
    store_a_front_desk.locked_until = timezone.now() + timezone.timedelta(minutes=10)
    store_a_front_desk.save()
    # when
    services.unlock_staff(store_a_front_desk, by=store_a_manager)
    # then
    store_a_front_desk.refresh_from_db()
    assert store_a_front_desk.locked_until is None and store_a_front_desk.failed_login_count == 0
    assert services.sign_in("a_front", TEST_PASSWORD) == store_a_front_desk
    assert staff_change_log(store_a_front_desk)[0].action == "staff.unlocked"


def test_manager_cannot_unlock_staff_of_another_store(store_a_manager, store_b_consultant):
    store_b_consultant.locked_until = timezone.now() + timezone.timedelta(minutes=10)
    store_b_consultant.save()
    with pytest.raises(BusinessError, match="not_found"):
        services.unlock_staff(store_b_consultant, by=store_a_manager)
    store_b_consultant.refresh_from_db()
    assert store_b_consultant.locked_until is not None


@pytest.mark.parametrize("policy_name", ["standard", "mlps3"])
def test_reset_password_forces_a_change_at_next_sign_in(
    chain, store_a_manager, store_a_nurse, policy_name
):
    # given
    chain.password_policy = policy_name
    chain.save()
    store_a_nurse.refresh_from_db()
    assert not password_change_required(store_a_nurse)
    # when
    services.reset_password(store_a_nurse, NEW_PASSWORD, by=store_a_manager)
    # then the temporary password works but must be changed
    staff = services.sign_in("a_nurse", NEW_PASSWORD)
    assert password_change_required(staff)
    assert staff.password_changed_at is None
    # and changing it lifts the requirement
    services.set_password(staff, "My-Own-Secret-77!", by=staff, current_password=NEW_PASSWORD)
    staff.refresh_from_db()
    assert not password_change_required(staff)
    actions = [e.action for e in staff_change_log(staff)]
    assert actions[:2] == ["staff.password_changed", "staff.password_reset"]


def test_reset_password_refuses_a_weak_password(store_a_manager, store_a_nurse):
    with pytest.raises(BusinessError, match="weak_password"):
        services.reset_password(store_a_nurse, "123", by=store_a_manager)
    store_a_nurse.refresh_from_db()
    assert store_a_nurse.check_password(TEST_PASSWORD) and not store_a_nurse.must_change_password
