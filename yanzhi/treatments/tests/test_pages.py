"""The pages over HTTP: the 疗程 tab, executing with confirmation, today's list, scope."""

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext

from yanzhi.treatments.models import Execution

pytestmark = pytest.mark.django_db


def test_courses_fragment_shows_courses_and_history(
    customer_a, hydra, grant, store_a_nurse, client_for
):
    course = grant(customer_a, hydra, sessions=3)
    c = client_for(store_a_nurse)
    c.post("/treatments/execute/", {"entitlement": course.pk, "sessions": 1, "lot_no": "L-1"})
    html = c.get(f"/customers/{customer_a.pk}/courses/").content.decode()
    assert "水光针" in html and "<strong>2</strong> / 3" in html and "L-1" in html
    assert f"/treatments/execute/?entitlement={course.pk}" in html
    profile = c.get(f"/customers/{customer_a.pk}/").content.decode()
    assert f'hx-get="/customers/{customer_a.pk}/courses/"' in profile and "疗程" in profile


def test_courses_fragment_query_count_is_constant(
    customer_a, hydra, grant, store_a_nurse, client_for, django_assert_max_num_queries
):
    c = client_for(store_a_nurse)
    course = grant(customer_a, hydra, sessions=20)
    c.post("/treatments/execute/", {"entitlement": course.pk, "sessions": 1})
    reset_queries()  # the request resets the log; start the capture from an empty one
    with CaptureQueriesContext(connection) as few:
        c.get(f"/customers/{customer_a.pk}/courses/")
    first = len(few)
    assert 0 < first <= 12
    for _n in range(5):
        grant(customer_a, hydra, sessions=2)
        c.post("/treatments/execute/", {"entitlement": course.pk, "sessions": 1})
    reset_queries()
    with django_assert_max_num_queries(first):
        response = c.get(f"/customers/{customer_a.pk}/courses/")
    assert response.content.decode().count("/treatments/executions/") == 6


def test_courses_fragment_is_scoped(
    customer_a,
    store_b_consultant,
    store_a_consultant_2,
    other_chain_admin,
    store_a_consultant,
    client_for,
):
    url = f"/customers/{customer_a.pk}/courses/"
    assert client_for(store_a_consultant).get(url).status_code == 200
    for outsider in (store_b_consultant, store_a_consultant_2, other_chain_admin):
        assert client_for(outsider).get(url).status_code == 404


def test_execute_then_confirm_in_the_browser_flow(
    customer_a, hydra, filler, pharmacy_a, stock, grant, store_a_nurse, client_for
):
    stock(pharmacy_a, filler, "2")
    course = grant(customer_a, hydra, sessions=2)
    c = client_for(store_a_nurse)
    form = c.get("/treatments/execute/", {"entitlement": course.pk})
    html = form.content.decode()
    assert form.status_code == 200 and "玻尿酸1ml" in html and "139****1111" in html
    # when: executed
    done = c.post(
        "/treatments/execute/",
        {"entitlement": course.pk, "sessions": 1, "lot_no": "HA-1", "energy": "3档"},
    )
    execution = Execution.objects.get()
    assert done.status_code == 302 and done.url == f"/treatments/executions/{execution.pk}/"
    detail = c.get(done.url).content.decode()
    assert 'name="method"' in detail and "HA-1" in detail and "玻尿酸1ml" in detail
    # then: the customer confirms on the pad
    confirmed = c.post(f"/treatments/executions/{execution.pk}/confirm/", {"method": "signature"})
    assert confirmed.status_code == 302
    execution.refresh_from_db()
    assert execution.confirmation_method == "signature"
    again = c.post(f"/treatments/executions/{execution.pk}/confirm/", {"method": "sms"})
    assert again.status_code == 422 and "客户已确认过该次执行" in again.content.decode()
    # and today's list shows it
    today = c.get("/treatments/").content.decode()
    assert "王小美" in today and "HA-1" in today


def test_too_many_sessions_is_a_form_error(customer_a, hydra, grant, store_a_nurse, client_for):
    course = grant(customer_a, hydra, sessions=1)
    response = client_for(store_a_nurse).post(
        "/treatments/execute/", {"entitlement": course.pk, "sessions": 2}
    )
    assert response.status_code == 422 and "该疗程剩余次数不足" in response.content.decode()
    course.refresh_from_db()
    assert course.remaining_sessions == 1 and not Execution.objects.exists()


def test_execute_page_roles_and_scope(
    customer_a, hydra, grant, store_a_consultant, store_b_nurse, client_for
):
    course = grant(customer_a, hydra)
    url = f"/treatments/execute/?entitlement={course.pk}"
    assert client_for(store_a_consultant).get(url).status_code == 403
    assert client_for(store_b_nurse).get(url).status_code == 404
    assert (
        client_for(store_b_nurse)
        .post("/treatments/execute/", {"entitlement": course.pk, "sessions": 1})
        .status_code
        == 404
    )
    course.refresh_from_db()
    assert course.remaining_sessions == 3


def test_extend_page(customer_a, hydra, grant, store_a_manager, client_for):
    from datetime import date

    course = grant(customer_a, hydra, expires_on=date(2026, 4, 1))
    c = client_for(store_a_manager)
    bad = c.post(
        f"/treatments/courses/{course.pk}/extend/", {"new_expires_on": "2026-05-01", "reason": ""}
    )
    assert bad.status_code == 422
    ok = c.post(
        f"/treatments/courses/{course.pk}/extend/",
        {"new_expires_on": "2026-05-01", "reason": "客户住院"},
    )
    assert ok.status_code == 302
    course.refresh_from_db()
    assert course.expires_on == date(2026, 5, 1)


def test_executing_from_the_tab_carries_the_visit_in_progress(
    customer_a, hydra, grant, store_a, store_a_nurse, store_a_front_desk, client_for
):
    from yanzhi.visits.services import register_arrival

    course = grant(customer_a, hydra, sessions=2)
    c = client_for(store_a_nurse)
    # without a visit in progress the link names only the course
    html = c.get(f"/customers/{customer_a.pk}/courses/").content.decode()
    assert "visit=" not in html
    # once the customer has arrived, the link carries the visit, and executing records the stage
    visit = register_arrival(store_a, customer=customer_a, by=store_a_front_desk)
    html = c.get(f"/customers/{customer_a.pk}/courses/").content.decode()
    assert f"?entitlement={course.pk}&visit={visit.pk}" in html
    c.post("/treatments/execute/", {"entitlement": course.pk, "sessions": 1, "visit": visit.pk})
    visit.refresh_from_db()
    assert visit.treated_at is not None
