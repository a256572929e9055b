"""A doctor records the medical consent and uploads a before-photo to the visit."""

import io
import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png_bytes() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), "#f3d9e3")
    ImageDraw.Draw(image).ellipse((100, 50, 220, 190), fill="#c98aa4")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_doctor_uploads_a_before_photo_after_the_consent(
    page, sign_in, shot, url, clinic, new_customer, store_a_front_desk, store_a_doctor
):
    from yanzhi.clinical.models import Photo
    from yanzhi.visits.services import register_arrival, triage

    # given the customer arrived and was triaged to the doctor, without a medical consent yet
    visit = register_arrival(clinic, customer=new_customer, by=store_a_front_desk)
    triage(visit, doctor=store_a_doctor, by=store_a_front_desk)
    sign_in(page, store_a_doctor)
    page.goto(url(f"/visits/{visit.pk}/"))

    # when the doctor wants to upload a photo, she is told the consent is missing
    page.locator("#clinical-actions").get_by_role("link", name="上传照片").click()
    page.wait_for_url(re.compile(r"/photos/upload/"))
    expect(page.locator("#consent-missing")).to_contain_text("缺少知情同意书")
    shot(page, "22_doctor_photo_consent_missing")

    # when she records the signed paper consent on the customer's profile
    page.locator("#consent-missing").get_by_role("link", name="去登记知情同意书").click()
    page.wait_for_url(re.compile(rf"/customers/{new_customer.pk}/"))
    consents = page.locator("#consents")
    consents.locator("select[name=kind]").select_option("medical")
    consents.locator("select[name=method]").select_option("paper")
    consents.get_by_role("button", name="登记").click()
    expect(consents.locator("li.mb-1", has_text="医疗数据与照片")).to_contain_text("已签署")
    shot(page, "23_doctor_consent_recorded")

    # and uploads a before-photo to the visit
    page.goto(url(f"/photos/upload/?visit={visit.pk}"))
    page.set_input_files(
        "#id_files", files=[{"name": "before.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    page.select_option("#id_kind", "before")
    page.fill("#id_body_area", "面部")
    shot(page, "24_doctor_photo_upload_form")
    page.get_by_role("button", name="上传").click()

    # then the visit page shows the thumbnail, served by the scoped photo view
    page.wait_for_url(url(f"/visits/{visit.pk}/"))
    photo = Photo.objects.get(customer=new_customer)
    assert (photo.kind, photo.visit_id) == ("before", visit.pk)
    thumbnail = page.locator(f'#clinical-photos img[src="/photos/{photo.pk}/"]')
    expect(thumbnail).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 320", arg=thumbnail.element_handle()
    )
    expect(page.locator("#clinical-photos")).to_contain_text("术前")
    shot(page, "25_doctor_visit_with_photo")
