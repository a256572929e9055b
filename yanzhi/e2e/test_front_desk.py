"""The front desk books an appointment, registers the arrival and triages the visit."""

import re
from datetime import datetime, time

import pytest
from playwright.sync_api import expect

from yanzhi.e2e.conftest import SHANGHAI, TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(TODAY, time(hour, minute), tzinfo=SHANGHAI)


def test_front_desk_books_and_a_conflicting_booking_is_refused(
    page, sign_in, shot, url, clinic, new_customer, store_a_front_desk, store_a_doctor
):
    from yanzhi.scheduling.models import Appointment

    # given the front desk signed in, looking at today's appointments
    sign_in(page, store_a_front_desk)
    page.goto(url("/appointments/"))
    expect(page.locator("#day-grid")).to_contain_text(store_a_doctor.name)
    shot(page, "01_front_desk_day_view")

    # when she books the new customer with the doctor from the free 10:00 slot
    page.locator(f'a.slot-link[href*="start=10:00"][href*="doctor={store_a_doctor.pk}"]').click()
    page.wait_for_url(re.compile(r"/appointments/new/"))
    page.fill('#booking-form input[name="q"]', "5678")  # the phone's last four digits
    expect(page.locator("#customer-results")).to_contain_text("林晓雨")
    page.locator("#customer-results input[type=radio]").first.check()
    expect(page.locator("#id_doctor")).to_have_value(str(store_a_doctor.pk))
    expect(page.locator("#id_start")).to_have_value("10:00")
    page.fill("#id_items", "光子嫩肤")
    shot(page, "02_front_desk_booking_form")
    page.click("#booking-form button[type=submit]")

    # then the appointment is booked and shows in the doctor's column of the day grid
    page.wait_for_url(re.compile(r"/appointments/\d+/$"))
    shot(page, "03_front_desk_appointment_booked")
    assert Appointment.objects.filter(customer=new_customer, doctor=store_a_doctor).count() == 1
    page.goto(url("/appointments/"))
    block = page.locator("#day-grid a.appt-block", has_text="林晓雨")
    expect(block).to_contain_text("10:00-11:00")
    expect(block).to_contain_text("138****5678")
    shot(page, "04_front_desk_day_view_with_booking")

    # when she tries to book the same doctor at an overlapping time
    page.goto(url(f"/appointments/new/?doctor={store_a_doctor.pk}&start=10:30"))
    page.fill('#booking-form input[name="q"]', "林晓雨")
    expect(page.locator("#customer-results")).to_contain_text("林晓雨")
    page.locator("#customer-results input[type=radio]").first.check()
    page.click("#booking-form button[type=submit]")

    # then a Chinese error explains the conflict and nothing was booked
    error = page.locator("#booking-form .alert-danger, #booking-form .invalid-feedback").first
    expect(error).to_be_visible()
    expect(error).to_contain_text("时间冲突")
    shot(page, "05_front_desk_booking_conflict")
    assert Appointment.objects.filter(customer=new_customer).count() == 1


def test_front_desk_registers_the_arrival_and_triages(
    page,
    sign_in,
    shot,
    url,
    clinic,
    chain,
    new_customer,
    store_a_front_desk,
    store_a_doctor,
    store_a_consultant,
    store_a_consultant_2,
):
    from yanzhi.customers.services import create_customer
    from yanzhi.scheduling.services import book_appointment
    from yanzhi.visits.models import Visit

    # given the new customer booked for 09:30 and a walk-in customer with an allergy
    book_appointment(
        clinic,
        customer=new_customer,
        starts_at=at(9, 30),
        ends_at=at(10, 30),
        purpose="consultation",
        doctor=store_a_doctor,
        items="水光针",
        by=store_a_front_desk,
    )
    allergic = create_customer(
        chain,
        store=clinic,
        by=store_a_front_desk,
        name="周婷",
        phone="13900001111",
        allergies="利多卡因",
    )
    sign_in(page, store_a_front_desk)
    expect(page.locator("#today-appointments")).to_contain_text("林晓雨")
    shot(page, "06_front_desk_today")

    # when she registers the arrival of the booked customer
    row = page.locator("#today-appointments tr", has_text="林晓雨")
    row.get_by_role("link", name="登记到店").click()
    page.wait_for_url(re.compile(r"/visits/new/"))
    # then the system proposes 初诊 for a customer who never came before
    expect(page.locator("select[name=visit_type] option:checked")).to_contain_text("初诊")
    shot(page, "07_front_desk_arrival_form")
    page.get_by_role("button", name="确认到店").click()
    page.wait_for_url(re.compile(r"/visits/\d+/$"))
    visit = Visit.objects.get(customer=new_customer)
    assert visit.visit_type == "first"

    # and the customer waits in the queue of today's page
    page.goto(url("/"))
    expect(page.locator("#today-queue")).to_contain_text("林晓雨")
    shot(page, "08_front_desk_queue")

    # when she opens the visit and triages with the keyword pickers
    page.locator("#today-queue").get_by_role("link", name="林晓雨").click()
    page.wait_for_url(url(f"/visits/{visit.pk}/"))
    triage = page.locator("#triage")
    # (typing a keyword narrows the list and picks the first match)
    with page.expect_response(re.compile(r"/staff/\?role=consultant&q=")):
        triage.get_by_placeholder("按关键字筛选咨询师").fill("张敏")
    expect(page.locator("#picker-consultant option")).to_have_count(2)  # "不变" + 张敏
    expect(page.locator("#picker-consultant")).to_have_value(str(store_a_consultant.pk))
    with page.expect_response(re.compile(r"/staff/\?role=doctor&q=")):
        triage.get_by_placeholder("按关键字筛选医生").fill("赵")
    expect(page.locator("#picker-doctor")).to_have_value(str(store_a_doctor.pk))
    shot(page, "09_front_desk_triage_pickers")
    triage.get_by_role("button", name="分诊").click()

    # then the visit shows its consultant and doctor
    expect(page.locator("#triage strong").first).to_have_text(store_a_consultant.name)
    expect(page.locator("#triage strong").nth(1)).to_have_text(store_a_doctor.name)
    shot(page, "10_front_desk_triaged_visit")
    visit.refresh_from_db()
    assert (visit.consultant_id, visit.doctor_id) == (store_a_consultant.pk, store_a_doctor.pk)

    # when the allergic walk-in arrives
    page.goto(url(f"/visits/new/?customer_id={allergic.pk}"))
    expect(page.locator(".allergy-banner")).to_contain_text("利多卡因")
    page.get_by_role("button", name="确认到店").click()
    page.wait_for_url(re.compile(r"/visits/\d+/$"))
    # then the red allergy banner warns on the visit page and on the profile
    expect(page.locator(".allergy-banner")).to_contain_text("利多卡因")
    expect(page.locator(".allergy-banner")).to_have_class(re.compile("alert-danger"))
    shot(page, "11_visit_allergy_banner")
    page.goto(url(f"/customers/{allergic.pk}/"))
    expect(page.locator("#allergy-banner")).to_contain_text("利多卡因")
    shot(page, "12_customer_allergy_banner")
