"""Discount approval through the pages and the API: the order's approval panel, the approver's
box, deciding, the flow settings; scope as 404; JSON errors; a fixed number of queries."""

from decimal import Decimal

import pytest

from yanzhi.org.models import StaffGroup
from yanzhi.sales import services
from yanzhi.sales.models import ApprovalStatus, DiscountApproval, DiscountApprovalStep, Order


@pytest.fixture
def setup(store_a, chain, store_a_consultant, store_a_consultant_2, store_a_manager, hq_admin):
    """Store A's limit is 10 %; 张敏 is in a group led by the second consultant."""
    store_a.discount_limit_percent = Decimal("10")
    store_a.save()
    group = StaffGroup.objects.create(
        org=chain, store=store_a, name="咨询一组", leader=store_a_consultant_2
    )
    store_a_consultant.group = group
    store_a_consultant.save()


@pytest.fixture
def draft(setup, store_a, store_a_consultant, customer, hydra):
    """A ¥1,000 order with ¥300 off (30 %), still a draft."""
    return services.open_order(
        customer, store=store_a, by=store_a_consultant, lines=[(hydra.pk, 1, "300.00")]
    )


def test_the_order_page_warns_and_submits_with_a_reason(client_for, draft, store_a_consultant):
    c = client_for(store_a_consultant)
    # the order page loads its approval panel
    assert f"/orders/{draft.pk}/approval/" in c.get(f"/orders/{draft.pk}/").content.decode()
    panel = c.get(f"/orders/{draft.pk}/approval/").content.decode()
    assert "本单优惠 30.00%" in panel and "10.00%" in panel
    # when
    r = c.post(
        f"/orders/{draft.pk}/submit-for-approval/",
        {"reason": "老客户续卡"},
        HTTP_HX_REQUEST="true",
    )
    # then
    assert r.status_code == 200 and r.headers["HX-Redirect"] == f"/orders/{draft.pk}/"
    draft.refresh_from_db()
    assert (draft.status, draft.approval_status) == (Order.Status.PENDING, "pending")
    assert draft.approvals.get().reason == "老客户续卡"
    panel = c.get(f"/orders/{draft.pk}/approval/").content.decode()
    assert "审批通过后才能收款" in panel and "待审批" in panel


def test_the_pay_panel_is_hidden_while_the_discount_waits(
    client_for, draft, store_a_consultant, store_a_cashier
):
    services.submit_order(draft, by=store_a_consultant)
    page = client_for(store_a_cashier).get(f"/orders/{draft.pk}/").content.decode()
    assert "确认收款" not in page


def test_the_leader_decides_from_the_box(
    client_for, draft, store_a_consultant, store_a_consultant_2, store_a_manager, store_b_consultant
):
    services.submit_order(draft, by=store_a_consultant)
    approval = draft.approvals.get()
    leader = client_for(store_a_consultant_2)
    # the box lists it; the manager's box does not yet
    assert draft.order_no in leader.get("/approvals/").content.decode()
    manager = client_for(store_a_manager)
    assert draft.order_no not in manager.get("/approvals/").content.decode()
    # strangers get 404
    assert client_for(store_b_consultant).get(f"/approvals/{approval.pk}/").status_code == 404
    # the detail page offers the decision
    page = leader.get(f"/approvals/{approval.pk}/").content.decode()
    assert "同意" in page and "驳回" in page and "30.00%" in page
    # a rejection without a reason is refused on the page
    r = leader.post(f"/approvals/{approval.pk}/reject/", {"comment": ""}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422 and "请填写驳回原因" in r.content.decode()
    # approving: 30 % is above the leader's 20 %, so it goes to the manager
    r = leader.post(
        f"/approvals/{approval.pk}/approve/", {"comment": "可以"}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 200
    approval.refresh_from_db()
    assert approval.approver_kind == DiscountApprovalStep.Approver.STORE_MANAGER
    assert draft.order_no in manager.get("/approvals/").content.decode()
    assert draft.order_no in leader.get("/approvals/?box=decided").content.decode()
    # the leader cannot decide again
    r = leader.post(f"/approvals/{approval.pk}/approve/", {}, HTTP_HX_REQUEST="true")
    assert r.status_code == 403
    manager.post(f"/approvals/{approval.pk}/approve/", {}, HTTP_HX_REQUEST="true")
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.APPROVED


def test_the_box_issues_a_fixed_number_of_queries(
    client_for,
    setup,
    store_a,
    store_a_consultant,
    store_a_manager,
    customer,
    hydra,
    django_assert_max_num_queries,
):
    for _ in range(6):
        order = services.open_order(
            customer, store=store_a, by=store_a_manager, lines=[(hydra.pk, 1, "600.00")]
        )
        services.submit_order(order, by=store_a_manager)  # beyond the manager: waits for HQ
    c = client_for(store_a_manager)
    with django_assert_max_num_queries(12):
        r = c.get("/approvals/?box=requested")
    assert r.content.decode().count("/approvals/") >= 6


def test_flow_settings_page(client_for, hq_admin, store_a_manager, store_a):
    assert client_for(store_a_manager).get("/settings/discount-approval/").status_code == 403
    c = client_for(hq_admin)
    assert "申请人所在小组负责人" in c.get("/settings/discount-approval/").content.decode()
    # a flow where the higher level grants less is refused, nothing saved
    r = c.post(
        "/settings/discount-approval/",
        {"form": "flow", "approver": ["store_manager", "hq"], "max_percent": ["30", "20"]},
    )
    assert r.status_code == 422 and "上级可批准的折扣不能小于下级" in r.content.decode()
    assert not DiscountApprovalStep.objects.exists()
    r = c.post(
        "/settings/discount-approval/",
        {"form": "flow", "approver": ["store_manager", "hq", ""], "max_percent": ["30", "", ""]},
    )
    assert r.status_code == 302
    assert list(DiscountApprovalStep.objects.values_list("approver", "max_percent")) == [
        ("store_manager", Decimal("30.00")),
        ("hq", None),
    ]
    r = c.post("/settings/discount-approval/", {"form": "limits", f"limit_{store_a.pk}": "12"})
    assert r.status_code == 302
    store_a.refresh_from_db()
    assert store_a.discount_limit_percent == Decimal("12.00")


@pytest.mark.django_db(transaction=True)
def test_the_api_submits_lists_decides_and_refuses_payment_meanwhile(
    api_for,
    setup,
    store_a_consultant,
    store_a_consultant_2,
    store_a_cashier,
    store_a_manager,
    hq_admin,
    customer,
    hydra,
    store_b_consultant,
):
    consultant = api_for(store_a_consultant)
    r = consultant.post(
        "/orders",
        json={
            "customer_id": customer.pk,
            "lines": [{"item_id": hydra.pk, "quantity": 1, "discount_amount": "150"}],
        },
    )
    order_id = r.json()["id"]
    r = consultant.post(f"/orders/{order_id}/submit", json={"approval_reason": "生日优惠"})
    assert r.status_code == 200 and r.json()["approval_status"] == "pending", r.text
    # payment is refused while it waits
    r = api_for(store_a_cashier).post(
        f"/orders/{order_id}/pay", json={"payments": [{"method": "cash", "amount": "850"}]}
    )
    assert r.status_code == 409 and r.json()["code"] == "approval_pending"
    # the leader's box
    leader = api_for(store_a_consultant_2)
    box = leader.get("/discount-approvals").json()
    assert box["count"] == 1
    item = box["items"][0]
    assert (item["order_id"], item["discount_percent"], item["reason"]) == (
        order_id,
        "15.00",
        "生日优惠",
    )
    assert api_for(store_b_consultant).get(f"/discount-approvals/{item['id']}").status_code == 404
    assert leader.get("/discount-approvals?box=nope").status_code == 422
    # rejecting needs a comment
    r = leader.post(f"/discount-approvals/{item['id']}/reject", json={"comment": ""})
    assert r.status_code == 422 and "comment" in r.json()["fields"]
    r = leader.post(f"/discount-approvals/{item['id']}/approve", json={"comment": "同意"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert [d["outcome"] for d in r.json()["decisions"]] == ["approved"]
    r = api_for(store_a_cashier).post(
        f"/orders/{order_id}/pay", json={"payments": [{"method": "cash", "amount": "850"}]}
    )
    assert r.status_code == 200 and r.json()["status"] == "paid"
    # the flow and the limits, HQ only
    hq = api_for(hq_admin)
    assert api_for(store_a_manager).get("/discount-approval-flow").status_code == 403
    assert [s["approver"] for s in hq.get("/discount-approval-flow").json()["steps"]] == [
        "group_leader",
        "store_manager",
        "hq",
    ]
    r = hq.put(
        "/discount-approval-flow",
        json={"steps": [{"approver": "hq", "max_percent": None}, {"approver": "store_manager"}]},
    )
    assert r.status_code == 422 and "steps.1.max_percent" in r.json()["fields"]
    r = hq.put(
        f"/discount-limits/{setup_store(hq)}",
        json={"store_id": 0, "limit_percent": "5"},
    )
    assert r.status_code == 200 and r.json()["limit_percent"] == "5.00"
    assert DiscountApproval.objects.count() == 1


def setup_store(hq) -> int:
    return hq.get("/discount-limits").json()[0]["store_id"]
