"""A nurse executes a session of a customer's course (执行划扣) with the treatment parameters,
the customer confirms; the course goes down, the pharmacy's stock too, and the lot search finds
the customer by the product lot."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from yanzhi.e2e.conftest import assert_balances_agree, open_tab, order_lines

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOT = "HA20300115"


@pytest.fixture
def course(regular, shop, store_a_consultant, store_a_cashier):
    """The customer's 水光5次卡 course: the ¥5,200 order paid by WeChat."""
    from yanzhi.sales import services
    from yanzhi.sales.services import PaymentLine
    from yanzhi.treatments.models import Entitlement

    order = services.open_order(
        regular, store=shop.store, by=store_a_consultant, lines=order_lines(shop)
    )
    services.submit_order(order, by=store_a_consultant)
    services.pay_order(order, payments=[PaymentLine("wechat", Decimal("5200"))], by=store_a_cashier)
    return Entitlement.objects.get(customer=regular, source_kind="session_card")


def test_nurse_executes_a_session_and_the_customer_confirms(
    page, sign_in, shots, url, shop, regular, course, store_a_nurse, store_a_doctor
):
    from yanzhi.inventory.models import StockLevel
    from yanzhi.org.policy import scope_for
    from yanzhi.treatments import queries

    # given the nurse on the customer's courses
    sign_in(page, store_a_nurse)
    page.goto(url(f"/customers/{regular.pk}/"))
    courses = open_tab(page, "疗程", "tab-courses")
    row = courses.locator("#course-list tr", has_text="次卡")
    expect(row).to_contain_text("水光针")
    expect(row).to_contain_text("5 / 5")
    shots(page, "50_nurse_customer_courses")

    # when she executes one session with the parameters and the syringe's lot
    row.get_by_role("link", name="执行划扣").click()
    page.wait_for_url(re.compile(r"/treatments/execute/\?entitlement=\d+"))
    expect(page.locator("#materials-preview")).to_contain_text("玻尿酸1ml")
    expect(page.locator("#materials-preview tr", has_text="玻尿酸1ml")).to_contain_text("10")
    form = page.locator("#execution-form")
    form.get_by_label("产品批号").fill(LOT)
    form.get_by_label("配台").select_option(label=store_a_doctor.name)
    form.get_by_label("设备").fill("水光注射仪")
    form.get_by_label("能量").fill("负压 60 kPa")
    form.get_by_label("剂量").fill("2.5 ml")
    form.get_by_label("注射部位").fill("全脸、颈部")
    shots(page, "51_nurse_execute_form")
    form.get_by_role("button", name="确认执行").click()

    # then the execution is recorded, waiting for the customer's confirmation
    page.wait_for_url(re.compile(r"/treatments/executions/\d+/$"))
    expect(page.locator(".alert-success")).to_contain_text("已执行划扣,请客户确认")
    view = page.locator("#execution-view")
    expect(view).to_contain_text("水光针 × 1 次")
    expect(view).to_contain_text("4 / 5")
    expect(view).to_contain_text("负压 60 kPa")
    expect(view).to_contain_text("全脸、颈部")
    expect(view).to_contain_text(LOT)
    expect(page.locator("#execution-materials")).to_contain_text("玻尿酸1ml")
    expect(page.locator("#execution-materials")).to_contain_text("静安药房")

    # when the customer checks it and confirms in person
    page.get_by_label("确认方式").select_option(label="当面确认")
    page.get_by_role("button", name="客户确认").click()
    expect(page.locator("#confirmation")).to_contain_text("客户已确认")
    expect(page.locator("#confirmation")).to_contain_text("当面确认")
    shots(page, "52_nurse_execution_confirmed")

    # and the courses tab shows one session fewer
    page.goto(url(f"/customers/{regular.pk}/"))
    courses = open_tab(page, "疗程", "tab-courses")
    expect(courses.locator("#course-list tr", has_text="次卡")).to_contain_text("4 / 5")
    expect(courses.locator("#execution-history")).to_contain_text(f"批号 {LOT}")
    expect(courses.locator("#execution-history")).to_contain_text("客户已确认")

    # and the pharmacy's stock went down by one syringe
    page.goto(url("/inventory/"))
    stock_row = page.locator("#levels tr", has_text="玻尿酸1ml")
    expect(stock_row).to_contain_text("静安药房")
    expect(stock_row).to_contain_text("9 支")
    shots(page, "53_nurse_stock")

    # and the lot search finds the customer
    page.goto(url("/treatments/"))
    page.get_by_role("link", name="批号追溯").click()
    page.get_by_label("产品批号").fill(LOT)
    page.get_by_role("button", name="查询").click()
    results = page.locator("#lot-results")
    expect(results).to_contain_text("林晓雨")
    expect(results).to_contain_text("138****5678")
    expect(results).to_contain_text("水光针")
    expect(results).to_contain_text(store_a_nurse.name)
    shots(page, "54_nurse_lot_search")

    scope = scope_for(store_a_nurse)
    course = queries.get_entitlement(scope, course.pk)
    assert (course.remaining_sessions, course.total_sessions) == (4, 5)
    (execution,) = queries.customers_treated_with_lot(scope, LOT)
    assert (execution.customer_id, execution.performed_by_id, execution.assistant_id) == (
        regular.pk,
        store_a_nurse.pk,
        store_a_doctor.pk,
    )
    assert (execution.energy, execution.dose, execution.injection_sites) == (
        "负压 60 kPa",
        "2.5 ml",
        "全脸、颈部",
    )
    assert execution.customer_confirmed_at is not None
    assert execution.confirmation_method == "in_person"
    level = StockLevel.objects.get(warehouse=shop.pharmacy, item=shop.filler)
    assert level.quantity == Decimal("9")
    assert_balances_agree()
