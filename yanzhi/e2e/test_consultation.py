"""A consultant records a consultation: a draft first, completed later; the profile shows it."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def triaged_visit(clinic, new_customer, store_a_front_desk, store_a_consultant, store_a_doctor):
    from yanzhi.visits.services import register_arrival, triage

    visit = register_arrival(clinic, customer=new_customer, by=store_a_front_desk)
    return triage(
        visit, consultant=store_a_consultant, doctor=store_a_doctor, by=store_a_front_desk
    )


def test_consultant_drafts_then_completes_a_consultation(
    page, new_context, sign_in, shot, url, triaged_visit, new_customer, store_a_consultant
):
    from yanzhi.clinical.models import Consultation

    # given the consultant signed in in her own browser
    sign_in(page, store_a_consultant)
    mine = page.locator("#today-mine")
    expect(mine).to_contain_text("林晓雨")
    shot(page, "13_consultant_today")

    # when she opens the visit of her customer and starts a consultation
    mine.get_by_role("link", name="林晓雨").click()
    page.wait_for_url(url(f"/visits/{triaged_visit.pk}/"))
    page.locator("#clinical-actions").get_by_role("link", name="写咨询记录").click()
    page.wait_for_url(re.compile(r"/consultations/new/"))
    page.get_by_label("求美诉求").fill("想改善面部暗沉和细纹")
    page.get_by_label("顾虑").fill("担心恢复期影响上班")
    shot(page, "14_consultant_consultation_form")
    # and saves a draft
    page.get_by_role("button", name="暂存草稿").click()
    page.wait_for_url(re.compile(r"/consultations/\d+/$"))
    consultation = Consultation.objects.get(customer=new_customer)
    assert consultation.status == "draft"
    expect(page.locator(".badge", has_text="草稿")).to_be_visible()
    expect(page.locator(".alert-success")).to_contain_text("草稿已暂存")
    shot(page, "15_consultant_draft_saved")

    # when she comes back to the visit later, the draft is listed and she completes it
    page.goto(url(f"/visits/{triaged_visit.pk}/"))
    draft = page.locator("#clinical-consultations a", has_text="草稿")
    expect(draft).to_be_visible()
    draft.click()
    page.wait_for_url(url(f"/consultations/{consultation.pk}/"))
    expect(page.get_by_label("求美诉求")).to_have_value("想改善面部暗沉和细纹")
    page.get_by_label("推荐项目").fill("光子嫩肤 3次疗程")
    page.get_by_label("报价").fill("3800")
    page.get_by_label("咨询记录", exact=True).fill("肤质偏干,建议先做光子嫩肤,一个月一次。")
    page.get_by_label("当天治疗").check()
    page.get_by_role("button", name="完成").click()

    # then the record is complete and read-only
    page.wait_for_url(url(f"/consultations/{consultation.pk}/"))
    expect(page.locator("#consultation-view")).to_contain_text("当天治疗")
    expect(page.locator("#consultation-view")).to_contain_text("¥3,800.00")
    shot(page, "16_consultant_consultation_completed")
    consultation.refresh_from_db()
    assert (consultation.status, consultation.outcome) == ("final", "treat_today")

    # and the customer's 360° profile lists it, with the phone masked until she reveals it
    page.goto(url(f"/customers/{new_customer.pk}/"))
    page.get_by_role("tab", name="咨询与病历").click()
    expect(page.locator("#clinical-consultations")).to_contain_text("当天治疗")
    page.wait_for_function(
        "getComputedStyle(document.querySelector('#tab-clinical')).opacity === '1'"
    )
    expect(page.locator("#phone-value")).to_have_text("138****5678")
    shot(page, "17_consultant_customer_profile")
    page.get_by_role("button", name="显示").first.click()
    expect(page.locator("#phone-value")).to_have_text("13812345678")
    shot(page, "18_consultant_phone_unmasked")


def test_front_desk_sees_the_phone_masked_without_a_reveal_button(
    page, sign_in, shot, url, new_customer, store_a_front_desk
):
    # given a front-desk account (no unmask permission)
    sign_in(page, store_a_front_desk)
    # when she opens the customer's profile
    page.goto(url(f"/customers/{new_customer.pk}/"))
    # then the phone is masked and cannot be revealed
    expect(page.locator("#phone-value")).to_have_text("138****5678")
    expect(page.get_by_role("button", name="显示")).to_have_count(0)
    assert "13812345678" not in page.content()
