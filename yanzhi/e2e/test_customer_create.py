"""Creating a customer: the live chain-wide phone pre-check and the ID-card checksum."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VALID_ID = "11010519491231002X"  # the checksum example of GB 11643
BAD_ID = "110105194912310021"


def test_front_desk_creates_a_customer_after_the_phone_pre_check(
    page, sign_in, shot, url, clinic, new_customer, store_a_front_desk
):
    from yanzhi.customers.models import Customer

    # given the front desk on the new-customer form
    sign_in(page, store_a_front_desk)
    page.goto(url("/customers/new/"))

    # when she types the phone of an existing customer
    page.fill("#id_phone", "13812345678")
    # then the pre-check says who owns that customer, before anything is submitted
    expect(page.locator("#phone-check")).to_contain_text("已是")
    expect(page.locator("#phone-check")).to_contain_text("静安店")
    expect(page.locator("#phone-check")).not_to_contain_text("13812345678")
    shot(page, "19_customer_phone_precheck_taken")

    # when she types a new phone instead (the pre-check updates live)
    page.fill("#id_phone", "13698765432")
    expect(page.locator("#phone-check")).to_contain_text("可以新建")
    page.fill("#id_name", "陈思远")
    page.fill("#id_id_card", BAD_ID)
    page.get_by_role("button", name="保存").click()

    # then a bad ID number is refused in Chinese and nothing is created
    expect(page.locator("#id_id_card")).to_have_class(re.compile("is-invalid"))
    expect(page.locator("#customer-form .invalid-feedback").first).to_contain_text("身份证")
    shot(page, "20_customer_bad_id_card")
    assert not Customer.objects.filter(phone="13698765432").exists()

    # when she corrects it
    page.fill("#id_id_card", VALID_ID)
    page.get_by_role("button", name="保存").click()

    # then the customer is created and the profile opens, masked
    page.wait_for_url(re.compile(r"/customers/\d+/$"))
    customer = Customer.objects.get(phone="13698765432")
    assert customer.id_card == VALID_ID
    expect(page.locator("h1")).to_contain_text("陈思远")
    expect(page.locator("#phone-value")).to_have_text("136****5432")
    shot(page, "21_customer_created")
