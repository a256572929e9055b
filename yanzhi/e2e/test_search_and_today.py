"""The front desk's two busiest screens in a browser: the search box in the menu bar, and the
today page with the visits that left folded away."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_menu_search_lists_matches_with_the_store_columns(
    page, sign_in, shot, clinic, chain, new_customer, store_a_front_desk, store_a_consultant
):
    from yanzhi.customers.services import assign_team, create_customer

    # given 林晓雨 (the consultant's) and 林小玉 share the initials lxy; 王芳 does not
    assign_team(new_customer, by=store_a_front_desk, consultant=store_a_consultant)
    create_customer(chain, store=clinic, by=store_a_front_desk, name="林小玉", phone="13900001111")
    create_customer(chain, store=clinic, by=store_a_front_desk, name="王芳", phone="13900002222")
    sign_in(page, store_a_front_desk)

    # when the front desk types the initials into the menu bar's search
    page.locator("#global-search").fill("lxy")

    # then both 林 customers drop down, with the masked phone and the consultant
    results = page.locator("#global-search-results a")
    expect(results).to_have_count(2)
    expect(page.locator("#global-search-results")).not_to_contain_text("王芳")
    row = results.filter(has_text="林晓雨")
    expect(row).to_contain_text("138****5678")
    expect(row).to_contain_text(store_a_consultant.name)
    shot(page, "40_menu_search_results")

    # and a result opens the customer's profile
    row.click()
    expect(page.locator("h4, h1").first).to_contain_text("林晓雨")


def test_today_folds_the_visits_that_left(
    page, sign_in, shot, clinic, chain, new_customer, store_a_front_desk
):
    from yanzhi.customers.services import create_customer
    from yanzhi.visits.services import leave, register_arrival

    # given two customers who came and left this morning, and one still here
    gone = []
    for name, phone in (("周一", "13900003333"), ("吴二", "13900004444")):
        customer = create_customer(chain, store=clinic, by=store_a_front_desk, name=name, phone=phone)
        gone.append(register_arrival(clinic, customer=customer, by=store_a_front_desk))
    for visit in gone:
        leave(visit, by=store_a_front_desk, at=visit.arrived_at + timedelta(minutes=1))
    register_arrival(clinic, customer=new_customer, by=store_a_front_desk)

    # when the front desk looks at today's visits
    sign_in(page, store_a_front_desk)
    visits = page.locator("#today-visits")
    expect(visits).to_contain_text("林晓雨")
    expect(visits).not_to_contain_text("周一")
    shot(page, "41_today_left_folded")

    # then the two who left are one click away, below those still here
    visits.get_by_role("button", name="显示已离店客户(2)").click()
    expect(visits).to_contain_text("周一")
    expect(visits).to_contain_text("吴二")
    expect(visits.locator("tbody tr")).to_have_count(4)  # 林晓雨, the "left" heading, 2 rows
    shot(page, "42_today_left_shown")
