"""Staff groups (a leader sees the group's customers) and departments."""

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.customers.queries import customers_for
from yanzhi.customers.tests.factories import make_customer
from yanzhi.org import services
from yanzhi.org.models import Department, StaffGroup
from yanzhi.org.policy import scope_for


def test_group_leader_sees_the_group_members_customers(
    chain, store_a, store_a_manager, store_a_consultant, store_a_consultant_2
):
    # given two consultants with a customer each
    mine = make_customer(store_a, name="组长客户", consultant=store_a_consultant)
    members = make_customer(store_a, name="组员客户", consultant=store_a_consultant_2)
    assert list(customers_for(scope_for(store_a_consultant))) == [mine]
    # when the manager makes consultant 1 leader of a group with consultant 2
    group = services.create_staff_group(
        chain,
        name="咨询一组",
        store=store_a,
        leader=store_a_consultant,
        members=[store_a_consultant, store_a_consultant_2],
        by=store_a_manager,
    )
    # then the leader sees both, the member still only their own
    store_a_consultant.refresh_from_db()
    assert set(customers_for(scope_for(store_a_consultant))) == {mine, members}
    assert list(customers_for(scope_for(store_a_consultant_2))) == [members]
    assert AuditLog.objects.filter(action="staff_group.created", object_id=str(group.pk)).exists()
    # and when the member leaves the group, the leader no longer sees their customer
    services.update_staff_group(
        group,
        name="咨询一组",
        store=store_a,
        leader=store_a_consultant,
        members=[store_a_consultant],
        by=store_a_manager,
    )
    assert list(customers_for(scope_for(store_a_consultant))) == [mine]
    store_a_consultant_2.refresh_from_db()
    assert store_a_consultant_2.group_id is None


def test_manager_cannot_group_staff_of_another_store(
    chain, store_a, store_a_manager, store_b_consultant
):
    with pytest.raises(BusinessError, match="not_found"):
        services.create_staff_group(
            chain,
            name="越界组",
            store=store_a,
            leader=store_b_consultant,
            members=[],
            by=store_a_manager,
        )
    assert not StaffGroup.objects.exists()


def test_manager_cannot_create_a_group_in_another_store(chain, store_b, store_a_manager):
    with pytest.raises(BusinessError, match="forbidden_store"):
        services.create_staff_group(
            chain, name="B组", store=store_b, leader=None, members=[], by=store_a_manager
        )
    assert not StaffGroup.objects.exists()


def test_members_must_work_in_the_groups_store(chain, store_b, hq_admin, store_a_consultant):
    with pytest.raises(BusinessError, match="member_not_in_store"):
        services.create_staff_group(
            chain,
            name="B组",
            store=store_b,
            leader=None,
            members=[store_a_consultant],
            by=hq_admin,
        )
    assert not StaffGroup.objects.exists()


def test_hq_keeps_departments_and_names_are_unique(chain, hq_admin, store_a_manager):
    dermatology = services.create_department(chain, name="皮肤科", by=hq_admin)
    with pytest.raises(BusinessError, match="duplicate_department"):
        services.create_department(chain, name=" 皮肤科 ", by=hq_admin)
    with pytest.raises(BusinessError, match="forbidden"):
        services.create_department(chain, name="口腔科", by=store_a_manager)
    services.rename_department(dermatology, name="皮肤美容科", by=hq_admin)
    assert list(Department.objects.values_list("name", flat=True)) == ["皮肤美容科"]
    row = AuditLog.objects.get(action="department.renamed")
    assert row.before == {"name": "皮肤科"} and row.after == {"name": "皮肤美容科"}
