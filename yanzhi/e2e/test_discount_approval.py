"""A discount above the store's limit, in three browsers: the consultant submits it with a
reason, her group leader approves it from the approval box, the cashier can then take payment."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def discounted_draft(clinic, chain, new_customer, store_a_consultant, store_a_consultant_2):
    """Store A gives 10 % without approval; 张敏's group is led by the second consultant; her
    customer's draft: one ¥1,000 水光针 with ¥150 off."""
    from yanzhi.catalog.models import Item, StoreItem
    from yanzhi.org.models import StaffGroup
    from yanzhi.sales import services

    clinic.discount_limit_percent = Decimal("10")
    clinic.save()
    group = StaffGroup.objects.create(
        org=chain, store=clinic, name="咨询一组", leader=store_a_consultant_2
    )
    store_a_consultant.group = group
    store_a_consultant.save()
    new_customer.consultant = store_a_consultant
    new_customer.save()
    hydra = Item.objects.create(
        org=chain, kind="service", code="S01", name="水光针", price_amount=Decimal("1000")
    )
    StoreItem.objects.create(org=chain, store=clinic, item=hydra)
    return services.open_order(
        new_customer, store=clinic, by=store_a_consultant, lines=[(hydra.pk, 1, "150.00")]
    )


def test_a_discount_is_approved_before_the_cashier_takes_payment(
    page,
    new_context,
    sign_in,
    shot,
    url,
    discounted_draft,
    store_a_consultant,
    store_a_consultant_2,
    store_a_cashier,
):
    order = discounted_draft
    # the consultant sees that the discount needs approval, and asks for it
    sign_in(page, store_a_consultant)
    page.goto(url(f"/orders/{order.pk}/"))
    panel = page.locator("#approval")
    expect(panel).to_contain_text("本单优惠 15.00%,超过本店免审批上限 10.00%")
    panel.get_by_label("申请说明").fill("老客户转介绍")
    shot(page, "60_order_discount_needs_approval")
    panel.get_by_role("button", name="提交收银并申请审批").click()
    expect(page.locator("#approval")).to_contain_text("待审批")
    expect(page.locator("#approval")).to_contain_text("审批通过后才能收款")
    shot(page, "61_order_waiting_for_approval")

    # the group leader finds it in her box and approves it
    leader = new_context().new_page()
    sign_in(leader, store_a_consultant_2)
    leader.goto(url("/approvals/"))
    row = leader.locator("#rows tr", has_text=order.order_no)
    expect(row).to_contain_text("15.00%")
    expect(row).to_contain_text("林晓雨")
    shot(leader, "62_approval_box")
    row.get_by_role("link", name=order.order_no).click()
    expect(leader.locator("body")).to_contain_text("老客户转介绍")
    leader.get_by_label("审批意见").fill("同意,下不为例")
    shot(leader, "63_approval_detail")
    leader.get_by_role("button", name="同意").click()
    expect(leader.locator("h1")).to_contain_text("已通过")
    expect(leader.locator("body")).to_contain_text("同意,下不为例")
    shot(leader, "64_approval_approved")

    # the cashier now sees the pay panel and takes the ¥850
    cashier = new_context().new_page()
    sign_in(cashier, store_a_cashier)
    cashier.goto(url(f"/orders/{order.pk}/"))
    expect(cashier.locator("#approval")).to_contain_text("已通过")
    cashier.get_by_role("button", name="确认收款").click()
    expect(cashier.locator("h1")).to_contain_text("已支付")
    shot(cashier, "65_order_paid_after_approval")
    order.refresh_from_db()
    assert order.status == "paid" and order.paid_amount == Decimal("850.00")
