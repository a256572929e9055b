"""The pages over HTTP: today's work, the day's visits, arrival, the visit page, and scope."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yanzhi.customers.models import CustomerSummary
from yanzhi.customers.tests.factories import make_customer
from yanzhi.scheduling.models import Appointment
from yanzhi.visits.models import Visit
from yanzhi.visits.services import leave, register_arrival, triage
from yanzhi.visits.tests.conftest import NOW

pytestmark = pytest.mark.usefixtures("clock")
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_today_page_shows_appointments_queue_and_visits(
    client_for, store_a, store_a_front_desk, make_appointment, clock
):
    # given a walk-in who arrived at 09:50 and a booked customer who arrived at 09:58
    walk_in = make_customer(store_a, name="散客甲")
    booked = make_customer(store_a, name="预约乙", allergies="青霉素")
    clock.move_to(NOW - timedelta(minutes=10))
    register_arrival(store_a, customer=walk_in, by=store_a_front_desk)
    clock.move_to(NOW - timedelta(minutes=2))
    appointment = make_appointment(store_a, booked)
    register_arrival(store_a, customer=booked, appointment=appointment, by=store_a_front_desk)
    later = make_appointment(store_a, make_customer(store_a, name="未到丙"))
    clock.move_to(NOW)
    # when the front desk opens today's page
    response = client_for(store_a_front_desk).get("/")
    html = response.content.decode()
    # then the appointments come first, and the queue lists the booked customer first
    assert response.status_code == 200
    assert html.index("今日预约") < html.index("候诊队列")
    queue = html[html.index('id="today-queue"') : html.index('id="today-visits"')]
    assert queue.index("预约乙") < queue.index("散客甲")
    assert 'data-waiting="10"' in queue and "list-group-item-danger" in queue  # > 5 minutes
    assert f"/visits/new/?appointment_id={later.pk}" in html
    assert "过敏" in html


def test_consultants_see_their_customers_first(
    client_for, store_a, customer, store_a_consultant, store_a_front_desk
):
    register_arrival(store_a, customer=customer, by=store_a_front_desk)
    html = client_for(store_a_consultant).get("/").content.decode()
    assert html.index("我的客户") < html.index("候诊队列")
    mine = html[html.index('id="today-mine"') : html.index('id="today-queue"')]
    assert customer.name in mine


def test_today_search_filters_the_lists(client_for, store_a, store_a_front_desk):
    for name in ("张三", "李四"):
        register_arrival(store_a, customer=make_customer(store_a, name=name), by=store_a_front_desk)
    html = client_for(store_a_front_desk).get("/?part=lists&q=zs", **HTMX).content.decode()
    assert "张三" in html and "李四" not in html
    assert "<html" not in html


def test_visits_that_left_are_folded_until_asked_for(
    client_for, store_a, store_a_front_desk, store_a_manager, clock
):
    # given three customers who came today, two of whom have left
    gone = []
    for name in ("离店甲", "离店乙", "在店丙"):
        visit = register_arrival(
            store_a, customer=make_customer(store_a, name=name), by=store_a_front_desk
        )
        gone.append(visit)
        clock.shift(timedelta(minutes=3))
    for visit in gone[:2]:
        leave(visit, by=store_a_front_desk)
    # when the store manager opens today's page
    client = client_for(store_a_manager)
    html = client.get("/").content.decode()
    visits = html[html.index('id="today-visits"') :]
    # then the day's list shows who is still here, and offers the two who left
    assert "在店丙" in visits and "离店甲" not in visits and "离店乙" not in visits
    assert "显示已离店客户(2)" in visits
    counts = html[html.index('id="today-counts"') : html.index('id="today-queue"')]
    assert [int(n) for n in re.findall(r'class="fs-4[^"]*">(\d+)<', counts)][2:] == [3, 1, 0, 2]
    # and asking for them lists them (filtered like the rest of the page)
    left = client.get(f"/?part=left&store_id={store_a.pk}", **HTMX).content.decode()
    assert "离店甲" in left and "离店乙" in left and "在店丙" not in left and "<html" not in left
    left = client.get(f"/?part=left&store_id={store_a.pk}&q=离店乙", **HTMX).content.decode()
    assert "离店乙" in left and "离店甲" not in left


def test_when_everyone_has_left_the_list_says_so(client_for, store_a, store_a_front_desk):
    visit = register_arrival(
        store_a, customer=make_customer(store_a, name="走了"), by=store_a_front_desk
    )
    leave(visit, by=store_a_front_desk)
    html = client_for(store_a_front_desk).get("/").content.decode()
    visits = html[html.index('id="today-visits"') :]
    assert "目前没有在店客户" in visits and "显示已离店客户(1)" in visits
    assert "暂无到访" not in visits


def test_hq_without_a_store_is_asked_to_choose(client_for, hq_admin, store_a, store_b):
    html = client_for(hq_admin).get("/").content.decode()
    assert "请选择门店" in html and f"/?store_id={store_b.pk}" in html


def count_queries(client, url, **extra):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, **extra).status_code == 200
    return len(captured), [q["sql"] for q in captured.captured_queries]


def add_visits(store, by, make_appointment, count, start):
    for i in range(start, start + count):
        c = make_customer(store, name=f"客户{i}", allergies="海鲜" if i % 2 else "")
        register_arrival(store, customer=c, by=by, appointment=make_appointment(store, c))
        make_appointment(store, make_customer(store, name=f"预约{i}"))
        register_arrival(store, customer=make_customer(store, name=f"散客{i}"), by=by)


@pytest.mark.parametrize("persona", ["store_a_manager", "store_a_consultant", "store_a_front_desk"])
def test_today_page_and_queue_queries_do_not_grow_with_visits(
    request, client_for, store_a, store_a_front_desk, make_appointment, persona
):
    client = client_for(request.getfixturevalue(persona))
    queue_url = f"/?part=queue&store_id={store_a.pk}"
    # given one visit
    add_visits(store_a, store_a_front_desk, make_appointment, 1, 0)
    client.get("/")  # warm the session
    page_one, _ = count_queries(client, "/")
    queue_one, _ = count_queries(client, queue_url, **HTMX)
    # when there are ten
    add_visits(store_a, store_a_front_desk, make_appointment, 9, 1)
    page_ten, sqls = count_queries(client, "/")
    queue_ten, _ = count_queries(client, queue_url, **HTMX)
    # then the pages issue the same number of queries
    assert page_ten == page_one, "\n".join(sqls)
    assert queue_ten == queue_one
    assert page_one <= 14 and queue_one <= 10


def test_register_arrival_through_the_form(
    client_for, store_a, customer, store_a_front_desk, make_appointment
):
    appointment = make_appointment(store_a, customer)
    client = client_for(store_a_front_desk)
    page = client.get(f"/visits/new/?appointment_id={appointment.pk}").content.decode()
    assert "初诊(系统建议)" in page and "未验证" in page
    response = client.post(
        f"/visits/new/?store_id={store_a.pk}",
        {"appointment_id": appointment.pk, "visit_type": "first", "note": "带朋友来"},
    )
    visit = Visit.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/visits/{visit.pk}/"
    assert visit.appointment == appointment and visit.note == "带朋友来"
    assert visit.type_confirmed_by == store_a_front_desk


def test_form_refuses_a_cancelled_appointment_and_changes_nothing(
    client_for, store_a, customer, store_a_front_desk, make_appointment
):
    appointment = make_appointment(store_a, customer, status="cancelled")
    response = client_for(store_a_front_desk).post(
        f"/visits/new/?store_id={store_a.pk}",
        {"appointment_id": appointment.pk, "visit_type": "first"},
    )
    assert response.status_code == 422
    assert "该预约已取消,不能登记到店" in response.content.decode()
    assert not Visit.objects.exists()
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"
    assert CustomerSummary.objects.get(pk=customer.pk).visit_count == 0


def test_walk_in_search_finds_another_stores_customer_by_full_phone(
    client_for, store_a, store_b, store_a_front_desk
):
    theirs = make_customer(store_b, name="外店客户", phone="13912345678")
    client = client_for(store_a_front_desk)
    assert "外店客户" not in client.get("/visits/new/?q=5678", **HTMX).content.decode()
    html = client.get("/visits/new/?q=13912345678", **HTMX).content.decode()
    assert "外店客户" in html and "phone=13912345678" in html and "13912345678</" not in html
    response = client.post(
        f"/visits/new/?store_id={store_a.pk}", {"phone": "13912345678", "visit_type": "first"}
    )
    assert response.status_code == 302
    assert Visit.objects.get().customer == theirs


def test_visit_page_actions_swap_the_panel(
    client_for, store_a, customer, store_a_front_desk, store_a_consultant, store_a_doctor
):
    visit = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    client = client_for(store_a_front_desk)
    page = client.get(f"/visits/{visit.pk}/").content.decode()
    assert f'hx-get="/visits/{visit.pk}/clinical/"' in page and "A咨询师张敏" in page
    response = client.post(
        f"/visits/{visit.pk}/triage/",
        {"consultant_id": store_a_consultant.pk, "doctor_id": store_a_doctor.pk},
        **HTMX,
    )
    assert response.status_code == 200 and 'id="visit-panel"' in response.content.decode()
    assert (
        client.post(f"/visits/{visit.pk}/stages/", {"stage": "escorted"}, **HTMX).status_code == 200
    )
    assert client.post(f"/visits/{visit.pk}/leave/", **HTMX).status_code == 200
    again = client.post(f"/visits/{visit.pk}/leave/", **HTMX)
    assert again.status_code == 422 and "该客户已离店" in again.content.decode()
    visit.refresh_from_db()
    assert visit.consultant == store_a_consultant and visit.escorted_at and visit.left_at


def test_triage_picker_filters_by_keyword(
    client_for, store_a, customer, store_a_front_desk, store_a_consultant, store_a_consultant_2
):
    visit = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    html = (
        client_for(store_a_front_desk)
        .get(f"/visits/{visit.pk}/staff/?role=consultant&q=刘芳", **HTMX)
        .content.decode()
    )
    assert "A咨询师刘芳" in html and "A咨询师张敏" not in html
    # the first match is picked, so the front desk need not open the list
    assert f'<option value="{store_a_consultant_2.pk}" selected>' in html


def test_visit_list_by_day(client_for, store_a, customer, store_a_front_desk, clock):
    clock.move_to(NOW - timedelta(days=1))
    register_arrival(store_a, customer=customer, by=store_a_front_desk)
    clock.move_to(NOW)
    client = client_for(store_a_front_desk)
    assert customer.name not in client.get("/visits/").content.decode()
    assert customer.name in client.get("/visits/?day=2026-03-09").content.decode()


def test_store_b_staff_get_404_on_store_a_visits(
    client_for, store_a, customer, store_a_front_desk, store_b_front_desk
):
    visit = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    client = client_for(store_b_front_desk)
    assert client.get(f"/visits/{visit.pk}/").status_code == 404
    assert client.post(f"/visits/{visit.pk}/leave/").status_code == 404
    assert client.get(f"/customers/{customer.pk}/visits/").status_code == 404
    assert customer.name not in client.get("/visits/").content.decode()
    visit.refresh_from_db()
    assert visit.left_at is None


def test_consultant_sees_only_own_customers_visits(
    client_for, store_a, customer, store_a_front_desk, store_a_consultant, store_a_consultant_2
):
    # given a visit of consultant 1's customer, and one triaged to consultant 2
    mine = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    other = make_customer(store_a, name="别人的客户", consultant=store_a_consultant)
    theirs = register_arrival(store_a, customer=other, by=store_a_front_desk)
    from yanzhi.visits.services import triage

    triage(theirs, consultant=store_a_consultant_2, by=store_a_front_desk)
    client = client_for(store_a_consultant_2)
    # then consultant 2 sees the visit they were triaged to, not consultant 1's other customer
    assert client.get(f"/visits/{mine.pk}/").status_code == 404
    assert client.get(f"/visits/{theirs.pk}/").status_code == 200
    listing = client.get("/visits/").content.decode()
    assert "别人的客户" in listing and customer.name not in listing
    assert client.get(f"/customers/{customer.pk}/visits/").status_code == 404


def test_customer_visits_fragment(
    client_for, store_a, store_b, customer, store_a_front_desk, store_b_front_desk, clock
):
    register_arrival(store_a, customer=customer, by=store_a_front_desk)
    clock.move_to(NOW + timedelta(days=1))
    register_arrival(store_b, customer=customer, by=store_b_front_desk)
    html = client_for(store_a_front_desk).get(f"/customers/{customer.pk}/visits/").content.decode()
    assert "<html" not in html and "初诊" in html
    assert store_a.name in html and store_b.name not in html  # store A staff see store A visits


@pytest.mark.parametrize("role", ["store_a_consultant", "store_a_manager"])
def test_today_page_reads_the_same_queries_for_one_visit_or_many(
    client_for,
    store_a,
    store_a_front_desk,
    store_a_consultant,
    store_a_doctor,
    make_appointment,
    request,
    role,
):
    """The page loads only the columns it shows; a column the rows read but the page's
    querysets defer would cost a query per row."""

    def arrive(name):
        customer = make_customer(
            store_a, name=name, allergies="青霉素", consultant=store_a_consultant
        )
        appointment = make_appointment(store_a, customer, starts_at=NOW - timedelta(minutes=5))
        visit = register_arrival(
            store_a, customer=customer, appointment=appointment, by=store_a_front_desk
        )
        triage(visit, consultant=store_a_consultant, doctor=store_a_doctor, by=store_a_front_desk)
        make_appointment(store_a, make_customer(store_a, name=name + "约"))

    client = client_for(request.getfixturevalue(role))
    arrive("甲一")
    client.get("/")  # the session's first request reads more
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    arrive("乙二")
    arrive("丙三")
    with CaptureQueriesContext(connection) as three:
        html = client.get("/").content.decode()
    assert len(three) == len(one)
    assert "丙三" in html and store_a_doctor.name in html and "过敏" in html
