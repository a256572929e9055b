"""What one cell of the day grid shows ({% day_grid_rows %}): an appointment's block with its
link, time, customer, masked phone, purpose, items and status (escaped); another consultant's
customer as a taken block; the booking link of an empty working slot; off-duty shading."""

import pytest
from django.conf import settings

from yanzhi.customers.tests.factories import make_customer
from yanzhi.scheduling import services
from yanzhi.scheduling.tests.conftest import DAY, at


@pytest.fixture
def odd_customer(store_a, store_a_consultant):
    return make_customer(
        store_a, name="王<b>美", phone="13912345678", consultant=store_a_consultant
    )


@pytest.fixture
def booked(store_a, odd_customer, doctor_on_duty, store_a_front_desk):
    return services.book_appointment(
        store_a,
        customer=odd_customer,
        starts_at=at(10),
        ends_at=at(11),
        purpose="consultation",
        items='玻尿酸 & "水光"<i>',
        doctor=doctor_on_duty,
        by=store_a_front_desk,
    )


def _page(client, **params):
    response = client.get("/appointments/", {"day": DAY.isoformat(), **params})
    assert response.status_code == 200
    return response.content.decode()


def test_an_appointment_block_shows_the_booking_escaped_with_the_phone_masked(
    client_for, store_a_front_desk, booked
):
    html = _page(client_for(store_a_front_desk))
    assert (
        f'<a class="appt-block status-booked" href="/appointments/{booked.pk}/">'
        "<strong>10:00-11:00</strong> 王&lt;b&gt;美 "
        '<span class="text-muted">139****5678</span><br>'
        "咨询/面诊 · 玻尿酸 &amp; &quot;水光&quot;&lt;i&gt; · 已预约</a>"
    ) in html
    assert "13912345678" not in html and "<b>" not in html
    # the row starts with its slot
    assert '<tr><th class="time-col small text-muted fw-normal">10:00</th>' in html


def test_empty_working_slot_links_to_booking_and_off_duty_is_shaded(
    client_for, store_a, store_a_front_desk, booked, doctor_on_duty
):
    html = _page(client_for(store_a_front_desk))
    assert (
        f'<td class=""><a class="slot-link" href="/appointments/new/?store={store_a.pk}'
        f'&day=2026-03-03&start=09:30&doctor={doctor_on_duty.pk}" title="预约此时段">+</a></td>'
    ) in html
    assert '<td class="off-duty" title="非工作时间"></td>' in html  # 18:00–21:00


def test_another_consultants_customer_is_a_taken_block(
    client_for, store_a_consultant_2, booked, odd_customer
):
    html = _page(client_for(store_a_consultant_2))
    assert '<span class="appt-block busy">10:00-11:00 已占用</span>' in html
    assert "王&lt;b&gt;美" not in html and f"/appointments/{booked.pk}/" not in html


def test_roles_that_do_not_book_get_no_slot_links(client_for, store_a_doctor, booked):
    html = _page(client_for(store_a_doctor))
    assert 'class="slot-link"' not in html and "appt-block status-booked" in html


def test_the_grid_in_english(client_for, store_a_front_desk, booked):
    client = client_for(store_a_front_desk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = _page(client)
    assert "<br>Consultation · 玻尿酸" in html and " · Booked</a>" in html
    assert 'title="Book this slot">+</a>' in html and 'title="Not working"' in html
