"""The pages over HTTP: day/week views, booking, detail actions, roster, shift types, rooms, and
scope (404 outside it)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yanzhi.customers.tests.factories import make_customer
from yanzhi.scheduling import services
from yanzhi.scheduling.models import Appointment, Room, RosterEntry, ShiftType
from yanzhi.scheduling.tests.conftest import DAY, at, roster


@pytest.fixture
def appointment(store_a, customer, doctor_on_duty, store_a_front_desk):
    return services.book_appointment(
        store_a,
        customer=customer,
        starts_at=at(10),
        ends_at=at(11),
        purpose="consultation",
        doctor=doctor_on_duty,
        by=store_a_front_desk,
    )


def test_day_view_shows_blocks_with_masked_phone_and_shades_off_duty(
    client_for, store_a_front_desk, appointment, customer
):
    response = client_for(store_a_front_desk).get(f"/appointments/?day={DAY.isoformat()}")
    assert response.status_code == 200
    html = response.content.decode()
    assert customer.name in html
    assert customer.phone not in html and customer.phone[-4:] in html
    assert "off-duty" in html  # 18:00–21:00 is outside the doctor's shift
    assert f"/appointments/{appointment.pk}/" in html


def test_day_view_hides_other_consultants_customers_as_busy(
    client_for, store_a_consultant_2, appointment, customer
):
    response = client_for(store_a_consultant_2).get(f"/appointments/?day={DAY.isoformat()}")
    html = response.content.decode()
    assert customer.name not in html
    assert "已占用" in html


def _day_view_queries(client, n_extra, store, doctor, by):
    for i in range(n_extra):
        c = make_customer(store, name=f"客户{i}")
        services.book_appointment(
            store,
            customer=c,
            starts_at=at(11, 0) if i == 0 else at(11 + i // 2, 30 * (i % 2)),
            ends_at=at(11, 30) if i == 0 else at(11 + i // 2, 30 * (i % 2) + 29),
            purpose="consultation",
            by=by,
        )
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/appointments/?day={DAY.isoformat()}")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_day_view_query_count_is_constant(
    client_for, store_a, store_a_front_desk, appointment, doctor_on_duty
):
    from yanzhi.org.policy import scope_for
    from yanzhi.scheduling.queries import day_view

    client = client_for(store_a_front_desk)
    client.get("/appointments/")  # warm the session
    one = _day_view_queries(client, 0, store_a, doctor_on_duty, store_a_front_desk)
    ten = _day_view_queries(client, 9, store_a, doctor_on_duty, store_a_front_desk)
    assert Appointment.objects.count() == 10
    # session, staff member (their stores, kept per process, give the store and the store
    # filter), departments, the column staff, their roster, the appointments
    assert one == ten == 6
    scope = scope_for(store_a_front_desk, current_store_id=store_a.pk)
    with CaptureQueriesContext(connection) as ctx:
        view = day_view(scope, store_a, DAY, by="doctor")
        view.rows()
    assert len(ctx.captured_queries) <= 3
    assert sum(len(c.appointments) for c in view.columns) + len(view.unassigned) == 10


def test_a_store_outside_the_scope_is_404_and_the_filter_lists_the_scope_stores(
    client_for, store_a, store_b, store_a_front_desk, store_a_manager, appointment
):
    client = client_for(store_a_front_desk)
    assert client.get(f"/appointments/?store={store_b.pk}&day={DAY}").status_code == 404
    assert client.get(f"/appointments/week/?store={store_b.pk}&day={DAY}").status_code == 404
    html = client.get(f"/appointments/?store={store_a.pk}&day={DAY}").content.decode()
    assert "王小美" in html and store_b.name not in html
    store_a_manager.stores.add(store_b)  # two stores: a store filter with both
    html = client_for(store_a_manager).get(f"/appointments/?day={DAY}").content.decode()
    assert f'<option value="{store_a.pk}" selected>{store_a.name}</option>' in html
    assert f'<option value="{store_b.pk}">{store_b.name}</option>' in html


def test_week_view_and_room_columns(client_for, store_a_front_desk, appointment, room_1):
    client = client_for(store_a_front_desk)
    week = client.get(f"/appointments/week/?day={DAY.isoformat()}")
    assert week.status_code == 200 and "王小美" in week.content.decode()
    rooms = client.get(f"/appointments/?day={DAY.isoformat()}&by=room")
    assert rooms.status_code == 200 and room_1.name in rooms.content.decode()


def test_booking_form_books_and_redirects(
    client_for, store_a, store_a_front_desk, customer, doctor_on_duty
):
    client = client_for(store_a_front_desk)
    page = client.get(f"/appointments/new/?day={DAY}&start=10:00&doctor={doctor_on_duty.pk}")
    assert page.status_code == 200 and 'value="10:00"' in page.content.decode()
    response = client.post(
        "/appointments/new/",
        {
            "store": store_a.pk,
            "customer": customer.pk,
            "day": DAY.isoformat(),
            "start": "10:00",
            "end": "11:00",
            "doctor": doctor_on_duty.pk,
            "purpose": "consultation",
        },
    )
    appointment = Appointment.objects.get()
    assert response.status_code == 302 and response.url == f"/appointments/{appointment.pk}/"


def test_booking_form_shows_the_refusal_in_chinese_with_422(
    client_for, store_a, store_a_front_desk, customer, doctor_on_duty
):
    response = client_for(store_a_front_desk).post(
        "/appointments/new/",
        {
            "store": store_a.pk,
            "customer": customer.pk,
            "day": DAY.isoformat(),
            "start": "19:00",
            "end": "20:00",
            "doctor": doctor_on_duty.pk,
            "purpose": "consultation",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "该时段不在班" in response.content.decode()
    assert "<html" not in response.content.decode()  # the form partial only
    assert not Appointment.objects.exists()


def test_booking_search_finds_by_phone_tail_masked(client_for, store_a_front_desk, customer):
    response = client_for(store_a_front_desk).get(
        f"/appointments/customer-search/?q={customer.phone[-4:]}"
    )
    html = response.content.decode()
    assert customer.name in html and customer.phone not in html


def test_booking_search_is_scoped(client_for, store_b_front_desk, customer):
    response = client_for(store_b_front_desk).get(
        f"/appointments/customer-search/?q={customer.name}"
    )
    assert customer.name not in response.content.decode()


def test_detail_cancel_and_no_show(client_for, store_a_front_desk, appointment, time_machine):
    client = client_for(store_a_front_desk)
    assert client.get(f"/appointments/{appointment.pk}/").status_code == 200
    bad = client.post(f"/appointments/{appointment.pk}/cancel/", {"reason": ""})
    assert bad.status_code == 422 and "请填写取消原因" in bad.content.decode()
    ok = client.post(f"/appointments/{appointment.pk}/cancel/", {"reason": "客户改期"})
    assert ok.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED


def test_no_show_button(client_for, store_a_front_desk, appointment, time_machine):
    time_machine.move_to(at(10, 30), tick=False)
    client = client_for(store_a_front_desk)
    assert "登记爽约" in client.get(f"/appointments/{appointment.pk}/").content.decode()
    client.post(f"/appointments/{appointment.pk}/no-show/")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.NO_SHOW


def test_reschedule_page(client_for, store_a_front_desk, appointment, doctor_on_duty):
    client = client_for(store_a_front_desk)
    assert client.get(f"/appointments/{appointment.pk}/reschedule/").status_code == 200
    response = client.post(
        f"/appointments/{appointment.pk}/reschedule/",
        {"day": DAY.isoformat(), "start": "14:00", "end": "15:00", "doctor": doctor_on_duty.pk},
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == at(14)


@pytest.mark.parametrize(
    "persona",
    ["store_b_front_desk", "store_b_consultant", "other_chain_admin", "store_a_consultant_2"],
)
def test_outside_the_scope_is_404(request, client_for, persona, appointment, customer):
    client = client_for(request.getfixturevalue(persona))
    for url in (
        f"/appointments/{appointment.pk}/",
        f"/appointments/{appointment.pk}/reschedule/",
        f"/customers/{customer.pk}/appointments/",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"/appointments/{appointment.pk}/cancel/", {"reason": "x"}).status_code == 404
    )
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_customer_appointments_fragment_newest_first(
    client_for, store_a_front_desk, appointment, customer, doctor_on_duty
):
    later = services.book_appointment(
        store_a_front_desk.stores.get(),
        customer=customer,
        starts_at=at(15),
        ends_at=at(16),
        purpose="treatment",
        doctor=doctor_on_duty,
        by=store_a_front_desk,
    )
    html = (
        client_for(store_a_front_desk)
        .get(f"/customers/{customer.pk}/appointments/")
        .content.decode()
    )
    assert "<html" not in html
    assert html.index(f"/appointments/{later.pk}/") < html.index(f"/appointments/{appointment.pk}/")


def test_customer_appointments_fragment_offers_booking_only_to_roles_that_book(
    client_for, store_a_front_desk, store_a_doctor, customer
):
    url = f"/customers/{customer.pk}/appointments/"
    assert "新建预约" in client_for(store_a_front_desk).get(url).content.decode()
    assert "新建预约" not in client_for(store_a_doctor).get(url).content.decode()


# --- roster ----------------------------------------------------------------------------------------
def test_roster_grid_for_manager_has_htmx_controls_and_front_desk_is_read_only(
    client_for, store_a, store_a_manager, store_a_front_desk, doctor_on_duty, morning
):
    manager_html = client_for(store_a_manager).get(f"/roster/?day={DAY}").content.decode()
    assert 'hx-post="/roster/assign/"' in manager_html and doctor_on_duty.name in manager_html
    desk = client_for(store_a_front_desk).get(f"/roster/?day={DAY}")
    assert desk.status_code == 200
    assert "/roster/assign/" not in desk.content.decode()
    assert "09:00-18:00" in desk.content.decode()


def test_roster_filters_by_role(client_for, store_a_manager, store_a_doctor, store_a_nurse):
    html = client_for(store_a_manager).get("/roster/?role=nurse").content.decode()
    assert store_a_nurse.name in html and store_a_doctor.name not in html


def test_roster_assign_and_remove_by_htmx(
    client_for, store_a, store_a_manager, store_a_nurse, morning, full_day
):
    client = client_for(store_a_manager)
    data = {
        "store": store_a.pk,
        "staff": store_a_nurse.pk,
        "day": DAY.isoformat(),
        "shift_type": morning.pk,
    }
    response = client.post("/roster/assign/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "早班" in response.content.decode()
    assert response.content.decode().lstrip().startswith("<td")
    clash = client.post(
        "/roster/assign/", {**data, "shift_type": full_day.pk}, HTTP_HX_REQUEST="true"
    )
    assert clash.status_code == 422 and "时间重叠" in clash.content.decode()
    entry = RosterEntry.objects.get()
    removed = client.post(f"/roster/entries/{entry.pk}/remove/", HTTP_HX_REQUEST="true")
    assert removed.status_code == 200 and not RosterEntry.objects.exists()


def test_roster_assign_forbidden_for_front_desk(
    client_for, store_a, store_a_front_desk, store_a_nurse, morning
):
    response = client_for(store_a_front_desk).post(
        "/roster/assign/",
        {
            "store": store_a.pk,
            "staff": store_a_nurse.pk,
            "day": DAY.isoformat(),
            "shift_type": morning.pk,
        },
    )
    assert response.status_code == 403 and not RosterEntry.objects.exists()


def test_roster_bulk_week(client_for, store_a, store_a_manager, store_a_nurse, morning):
    days = [DAY.replace(day=DAY.day + i).isoformat() for i in range(3)]
    client_for(store_a_manager).post(
        "/roster/assign-week/",
        {"store": store_a.pk, "staff": [store_a_nurse.pk], "days": days, "shift_type": morning.pk},
    )
    assert RosterEntry.objects.filter(staff=store_a_nurse).count() == 3


def test_shift_type_and_room_pages(client_for, store_a, store_a_manager, store_a_front_desk):
    client = client_for(store_a_manager)
    bad = client.post(
        "/roster/shift-types/",
        {
            "store": store_a.pk,
            "name": "晚班",
            "starts_at": "21:00",
            "ends_at": "18:00",
            "color": "#123456",
        },
    )
    assert bad.status_code == 422 and "结束时间必须晚于开始时间" in bad.content.decode()
    client.post(
        "/roster/shift-types/",
        {
            "store": store_a.pk,
            "name": "晚班",
            "starts_at": "13:00",
            "ends_at": "21:00",
            "color": "#123456",
        },
    )
    assert ShiftType.objects.filter(name="晚班", store=store_a).exists()
    client.post("/roster/rooms/", {"store": store_a.pk, "name": "热玛吉", "kind": "device"})
    room = Room.objects.get(name="热玛吉")
    assert "热玛吉" in client.get("/roster/rooms/").content.decode()
    desk = client_for(store_a_front_desk)
    assert desk.post("/roster/rooms/", {"name": "X", "kind": "room"}).status_code == 403
    assert desk.post(f"/roster/rooms/{room.pk}/toggle/").status_code == 403
    client.post(f"/roster/rooms/{room.pk}/toggle/")
    room.refresh_from_db()
    assert room.is_active is False


def test_rest_only_day_shows_in_day_view(
    client_for, store_a, store_a_front_desk, store_a_doctor, lunch_rest
):
    roster(store_a, store_a_doctor, lunch_rest)
    html = client_for(store_a_front_desk).get(f"/appointments/?day={DAY}").content.decode()
    assert "09:00-12:00 13:30-21:00" in html
