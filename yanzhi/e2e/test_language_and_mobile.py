"""The English switch, and the today page on a store manager's phone."""

import re
from datetime import datetime, time

import pytest
from playwright.sync_api import expect

from yanzhi.e2e.conftest import SHANGHAI, TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CJK = re.compile("[\u4e00-\u9fff]")


def test_switching_to_english_renders_english_labels(
    page, sign_in, shot, url, clinic, new_customer, store_a_front_desk
):
    # given the front desk on today's page, in Chinese
    sign_in(page, store_a_front_desk)
    expect(page.locator("h4")).to_contain_text("今日工作")

    # when she picks English in the user menu
    page.locator("nav .dropdown-toggle", has_text=store_a_front_desk.name).click()
    page.get_by_role("button", name="English").click()

    # then the page comes back in English (people's and stores' names stay as they are)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h4")).to_contain_text("Today")
    nav_links = page.locator("#mainnav .navbar-nav.me-auto .nav-link").all_inner_texts()
    assert nav_links and not [text for text in nav_links if CJK.search(text)], nav_links
    shot(page, "26_english_today")
    page.goto(url(f"/customers/{new_customer.pk}/"))
    expect(page.get_by_role("tab", name="Visits")).to_be_visible()
    shot(page, "27_english_customer_profile")


def test_store_manager_reads_today_on_a_phone(
    browser,
    browser_context_args,
    sign_in,
    shot,
    clinic,
    chain,
    new_customer,
    store_a_manager,
    store_a_front_desk,
    store_a_consultant,
    store_a_doctor,
):
    from yanzhi.customers.services import create_customer
    from yanzhi.scheduling.services import book_appointment
    from yanzhi.visits.services import register_arrival, triage

    # given a morning with a booked customer still to come and a customer already waiting
    other = create_customer(
        chain, store=clinic, by=store_a_front_desk, name="欧阳丽娜", phone="13711112222"
    )
    book_appointment(
        clinic,
        customer=other,
        starts_at=datetime.combine(TODAY, time(11, 0), tzinfo=SHANGHAI),
        ends_at=datetime.combine(TODAY, time(12, 0), tzinfo=SHANGHAI),
        purpose="treatment",
        doctor=store_a_doctor,
        items="热玛吉全脸",
        by=store_a_front_desk,
    )
    visit = register_arrival(clinic, customer=new_customer, by=store_a_front_desk)
    triage(visit, consultant=store_a_consultant, doctor=store_a_doctor, by=store_a_front_desk)

    # when the store manager opens today's page on her phone
    phone = browser.new_context(
        **{**browser_context_args, "viewport": {"width": 390, "height": 844}},
        is_mobile=True,
        has_touch=True,
    )
    page = phone.new_page()
    sign_in(page, store_a_manager)

    # then everything is on the screen without sideways scrolling
    expect(page.locator("#today-queue")).to_contain_text("林晓雨")
    expect(page.locator("#today-appointments")).to_contain_text("欧阳丽娜")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    shot(page, "28_manager_today_phone")
    # and the menu opens from the burger button
    page.locator(".navbar-toggler").click()
    expect(page.locator("#mainnav")).to_have_class(re.compile(r"\bshow\b"))  # opened fully
    expect(page.locator("#mainnav").get_by_role("link", name="排班")).to_be_visible()
    shot(page, "29_manager_menu_phone")
    phone.close()
