"""HQ picks the store it works in from the user menu."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hq_picks_a_store_in_the_user_menu(page, sign_in, shot, url, hq_admin, store_a, store_b):
    # given HQ signed in, working in no store yet
    sign_in(page, hq_admin)
    menu = page.locator("nav .dropdown-toggle", has_text=hq_admin.name)
    expect(menu).not_to_contain_text(store_b.name)

    # when it opens the user menu and picks store B
    menu.click()
    expect(page.get_by_role("button", name=store_a.name)).to_be_visible()
    shot(page, "28_hq_store_menu")
    page.get_by_role("button", name=store_b.name).click()

    # then it works in store B: the menu names it and marks it
    expect(menu).to_contain_text(store_b.name)
    menu.click()
    expect(page.get_by_role("button", name=store_b.name)).to_have_class("dropdown-item active")
