"""Discount approval up the org structure (层级审批): the store's limit, the flow's levels, own
authority, passing up, rejection back to draft, and payment blocked until approved."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yanzhi.core.errors import BusinessError
from yanzhi.org.models import StaffGroup
from yanzhi.org.tests.factories import make_staff
from yanzhi.sales import services
from yanzhi.sales.models import (
    ApprovalStatus,
    DiscountApproval,
    DiscountApprovalStep,
    Order,
    Payment,
)
from yanzhi.sales.tests.conftest import cash

LEADER, MANAGER, HQ = (
    DiscountApprovalStep.Approver.GROUP_LEADER,
    DiscountApprovalStep.Approver.STORE_MANAGER,
    DiscountApprovalStep.Approver.HQ,
)


@pytest.fixture
def limited(store_a):
    """Store A lets a consultant give up to 10 % off without approval."""
    store_a.discount_limit_percent = Decimal("10.00")
    store_a.save()
    return store_a


@pytest.fixture
def group(chain, store_a, store_a_consultant, store_a_consultant_2):
    """张敏's group, led by the second consultant."""
    group = StaffGroup.objects.create(
        org=chain, store=store_a, name="咨询一组", leader=store_a_consultant_2
    )
    store_a_consultant.group = group
    store_a_consultant.save()
    return group


@pytest.fixture
def submit(store_a, store_a_consultant, customer, hydra):
    """submit(discount, by=…) -> the order for one ¥1,000 水光针 with that discount, submitted."""

    def make(discount, by=None):
        by = by or store_a_consultant
        order = services.open_order(customer, store=store_a, by=by, lines=[(hydra.pk, 1, discount)])
        return services.submit_order(order, by=by, approval_reason="老客户转介绍")

    return make


def pending_of(order) -> DiscountApproval:
    return order.approvals.get(status=ApprovalStatus.PENDING)


def test_without_a_store_limit_no_discount_needs_approval(submit, store_a_cashier):
    # when
    order = submit("900.00")
    # then
    assert order.approval_status == ""
    assert not DiscountApproval.objects.exists()
    services.pay_order(order, payments=[cash("100.00")], by=store_a_cashier)


def test_a_discount_within_the_limit_needs_no_approval(limited, submit):
    order = submit("100.00")
    assert order.approval_status == ""
    assert not DiscountApproval.objects.exists()


def test_above_the_limit_the_order_waits_for_the_group_leader_and_cannot_be_paid(
    limited, group, submit, store_a_cashier, store_a_consultant_2
):
    # when
    order = submit("150.00")
    # then
    approval = pending_of(order)
    assert order.status == Order.Status.PENDING
    assert order.approval_status == ApprovalStatus.PENDING
    assert (approval.approver_kind, approval.approver) == (LEADER, store_a_consultant_2)
    assert approval.discount_percent == Decimal("15.00")
    assert approval.limit_percent == Decimal("10.00")
    assert approval.reason == "老客户转介绍"
    with pytest.raises(BusinessError) as error:
        services.pay_order(order, payments=[cash("850.00")], by=store_a_cashier)
    assert error.value.code == "approval_pending"
    assert not Payment.objects.exists()
    order.refresh_from_db()
    assert order.paid_amount == 0 and order.status == Order.Status.PENDING

    # when the leader agrees (15 % is within the leader's 20 %)
    services.approve_discount(approval, by=store_a_consultant_2, comment="同意")
    # then
    approval.refresh_from_db()
    order.refresh_from_db()
    assert approval.status == ApprovalStatus.APPROVED
    assert order.approval_status == ApprovalStatus.APPROVED
    assert [d.outcome for d in approval.decisions.all()] == ["approved"]
    services.pay_order(order, payments=[cash("850.00")], by=store_a_cashier)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_a_larger_discount_goes_up_level_by_level(
    limited, group, submit, store_a_consultant_2, store_a_manager, hq_admin
):
    # given 60 %: beyond the leader's 20 % and the manager's 50 %
    order = submit("600.00")
    approval = pending_of(order)
    # when
    services.approve_discount(approval, by=store_a_consultant_2)
    approval.refresh_from_db()
    # then
    assert (approval.status, approval.approver_kind, approval.approver) == (
        ApprovalStatus.PENDING,
        MANAGER,
        None,
    )
    services.approve_discount(approval, by=store_a_manager)
    approval.refresh_from_db()
    assert (approval.status, approval.approver_kind) == (ApprovalStatus.PENDING, HQ)
    services.approve_discount(approval, by=hq_admin, comment="年度大客户")
    approval.refresh_from_db()
    order.refresh_from_db()
    assert approval.status == order.approval_status == ApprovalStatus.APPROVED
    history = [(d.approver_kind, d.outcome, d.by) for d in approval.decisions.all()]
    assert history == [
        (LEADER, "passed_up", store_a_consultant_2),
        (MANAGER, "passed_up", store_a_manager),
        (HQ, "approved", hq_admin),
    ]


def test_without_a_group_the_request_starts_at_the_store_manager(limited, submit, store_a_manager):
    order = submit("150.00")
    assert pending_of(order).approver_kind == MANAGER


def test_a_manager_discount_within_the_managers_own_authority_is_approved_at_once(
    limited, store_a, store_a_manager, customer, hydra, hq_admin
):
    # when a manager gives 30 % (their level grants up to 50 %)
    order = services.open_order(
        customer, store=store_a, by=store_a_manager, lines=[(hydra.pk, 1, "300.00")]
    )
    order = services.submit_order(order, by=store_a_manager)
    # then
    approval = order.approvals.get()
    assert approval.status == order.approval_status == ApprovalStatus.APPROVED
    assert [d.outcome for d in approval.decisions.all()] == ["own_authority"]
    # and 60 % goes to HQ
    second = services.open_order(
        customer, store=store_a, by=store_a_manager, lines=[(hydra.pk, 1, "600.00")]
    )
    second = services.submit_order(second, by=store_a_manager)
    assert pending_of(second).approver_kind == HQ


def test_only_the_current_approver_may_decide(
    limited, group, submit, store_a_consultant, store_a_manager, store_b_consultant, hq_admin
):
    approval = pending_of(submit("150.00"))
    for outsider in (store_a_consultant, store_a_manager, store_b_consultant, hq_admin):
        with pytest.raises(BusinessError) as error:
            services.approve_discount(approval, by=outsider)
        assert error.value.status == 403
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING
    assert not approval.decisions.exists()


def test_a_decided_request_cannot_be_decided_again(limited, group, submit, store_a_consultant_2):
    approval = pending_of(submit("150.00"))
    services.approve_discount(approval, by=store_a_consultant_2)
    with pytest.raises(BusinessError) as error:
        services.reject_discount(approval, by=store_a_consultant_2, comment="再想想")
    assert error.value.code == "approval_closed"
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.APPROVED


def test_rejection_needs_a_reason_and_sends_the_order_back_to_draft(
    limited, group, submit, store_a_consultant, store_a_consultant_2
):
    order = submit("150.00")
    approval = pending_of(order)
    # when no reason is given: nothing changes
    with pytest.raises(BusinessError) as error:
        services.reject_discount(approval, by=store_a_consultant_2, comment="  ")
    assert "comment" in error.value.fields
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    # when
    services.reject_discount(approval, by=store_a_consultant_2, comment="折扣过大")
    # then
    order.refresh_from_db()
    approval.refresh_from_db()
    assert order.status == Order.Status.DRAFT
    assert order.approval_status == approval.status == ApprovalStatus.REJECTED
    # the consultant lowers the discount and resubmits: within the limit, no approval now
    services.update_draft(order, by=store_a_consultant, lines=[(order.lines.get().item_id, 1, 50)])
    order = services.submit_order(order, by=store_a_consultant)
    assert order.approval_status == ""
    assert order.approvals.count() == 1


def test_reversing_a_pending_order_cancels_its_request(limited, group, submit, store_a_consultant):
    order = submit("150.00")
    approval = pending_of(order)
    services.reverse_order(order, by=store_a_consultant)
    approval.refresh_from_db()
    order.refresh_from_db()
    assert approval.status == ApprovalStatus.CANCELLED
    assert order.approval_status == ""
    # resubmitted, it asks again
    order = services.submit_order(order, by=store_a_consultant)
    assert pending_of(order).pk != approval.pk


def test_a_discount_beyond_every_level_is_refused_at_submission(
    limited, chain, hq_admin, store_a, store_a_consultant, customer, hydra
):
    # given a flow that ends at the store manager's 30 %
    services.set_discount_flow(chain, steps=[(LEADER, "20"), (MANAGER, "30")], by=hq_admin)
    order = services.open_order(
        customer, store=store_a, by=store_a_consultant, lines=[(hydra.pk, 1, "400.00")]
    )
    # when
    with pytest.raises(BusinessError) as error:
        services.submit_order(order, by=store_a_consultant)
    # then
    assert error.value.code == "no_approver"
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT
    assert not DiscountApproval.objects.exists()


def test_a_level_without_anyone_in_it_is_passed_over(
    limited, chain, hq_admin, store_b, customer, hydra, store_b_consultant
):
    # given store B has no manager: a request there goes from nobody's group to HQ
    from yanzhi.sales.tests.conftest import assign

    assign(hydra, store_b)
    store_b.discount_limit_percent = Decimal("5")
    store_b.save()
    order = services.open_order(
        customer, store=store_b, by=store_b_consultant, lines=[(hydra.pk, 1, "100.00")]
    )
    order = services.submit_order(order, by=store_b_consultant)
    assert pending_of(order).approver_kind == HQ


@pytest.mark.parametrize(
    "steps, field",
    [
        ([], "steps"),
        ([(MANAGER, "30"), (HQ, "20")], "steps.1.max_percent"),
        ([(HQ, ""), (MANAGER, "30")], "steps.1.max_percent"),
        ([(MANAGER, "30"), (MANAGER, "40")], "steps.1.approver"),
        ([("cashier", "30")], "steps.0.approver"),
        ([(MANAGER, "120")], "steps.0.max_percent"),
        ([(MANAGER, "0")], "steps.0.max_percent"),
        ([(MANAGER, "abc")], "steps.0.max_percent"),
    ],
)
def test_a_flow_that_cannot_work_is_refused(chain, hq_admin, steps, field):
    with pytest.raises(BusinessError) as error:
        services.set_discount_flow(chain, steps=steps, by=hq_admin)
    assert field in error.value.fields
    assert not DiscountApprovalStep.objects.exists()


def test_only_hq_configures_the_flow_and_the_limits(chain, store_a, store_a_manager, hq_admin):
    with pytest.raises(BusinessError) as error:
        services.set_discount_flow(chain, steps=[(MANAGER, "30")], by=store_a_manager)
    assert error.value.status == 403
    with pytest.raises(BusinessError):
        services.set_discount_limit(store_a, limit_percent="5", by=store_a_manager)
    with pytest.raises(BusinessError) as error:
        services.set_discount_limit(store_a, limit_percent="101", by=hq_admin)
    assert "limit_percent" in error.value.fields
    store_a.refresh_from_db()
    assert store_a.discount_limit_percent is None
    services.set_discount_limit(store_a, limit_percent="8.5", by=hq_admin)
    store_a.refresh_from_db()
    assert store_a.discount_limit_percent == Decimal("8.50")


@pytest.fixture
def team(chain, store_a):
    """A group leader, a member, a manager and HQ, made once for the property test."""
    leader = make_staff(chain, "consultant", [store_a], name="组长")
    member = make_staff(chain, "consultant", [store_a], name="组员")
    group = StaffGroup.objects.create(org=chain, store=store_a, name="二组", leader=leader)
    member.group = group
    member.save()
    manager = make_staff(chain, "store_manager", [store_a], name="店长")
    hq = make_staff(chain, "hq", [], name="总部")
    return {LEADER: leader, MANAGER: manager, HQ: hq, "member": member}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    limit=st.integers(0, 60),
    discount=st.integers(1, 1000),
    maxima=st.lists(st.integers(1, 100), min_size=3, max_size=3).map(sorted),
    hq_unbounded=st.booleans(),
)
def test_a_request_is_decided_by_the_first_level_whose_authority_covers_it(
    chain, store_a, customer, hydra, team, limit, discount, maxima, hq_unbounded
):
    """Approving at every level it reaches, a request visits the levels in order and is
    approved exactly at the first one that covers the discount; at or below the store's
    limit it needs no one; beyond every level it is refused."""
    # given
    DiscountApproval.objects.all().delete()
    Order.objects.all().delete()
    hq_admin = team[HQ]
    top = "" if hq_unbounded else str(maxima[2])
    services.set_discount_flow(
        chain, steps=[(LEADER, maxima[0]), (MANAGER, maxima[1]), (HQ, top)], by=hq_admin
    )
    store_a.discount_limit_percent = Decimal(limit)
    store_a.save()
    percent = Decimal(discount) / 10  # the item costs ¥1,000: discount/10 is the percent
    levels = [(LEADER, maxima[0]), (MANAGER, maxima[1]), (HQ, None if hq_unbounded else maxima[2])]
    expected = [kind for kind, most in levels]
    covering = next(
        (i for i, (_k, most) in enumerate(levels) if most is None or percent <= most), None
    )
    order = services.open_order(
        customer, store=store_a, by=team["member"], lines=[(hydra.pk, 1, discount)]
    )
    # when
    if percent <= limit:
        order = services.submit_order(order, by=team["member"])
        assert order.approval_status == ""
        return
    if covering is None:
        with pytest.raises(BusinessError):
            services.submit_order(order, by=team["member"])
        return
    order = services.submit_order(order, by=team["member"])
    visited = []
    approval = order.approvals.get()
    while approval.status == ApprovalStatus.PENDING:
        visited.append(approval.approver_kind)
        services.approve_discount(approval, by=team[approval.approver_kind])
        approval.refresh_from_db()
    # then
    assert visited == expected[: covering + 1]
    assert approval.status == ApprovalStatus.APPROVED
