"""Idle browser sessions expire; a forced password change does not loop."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from yanzhi.org import services

NEW_PASSWORD = "Fresh-Temp-Pass-42!"


def test_idle_session_is_sent_to_login_with_the_timeout_notice(client_for, chain, hq_admin):
    # given a clinic with a 30-minute idle limit and a signed-in user
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = client_for(hq_admin)
        assert client.get("/staff/").status_code == 200
        # when the next request comes 31 minutes later
        clock.shift(timedelta(minutes=chain.session_idle_minutes + 1))
        response = client.get("/staff/")
        # then
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/") and "expired=1" in response.url
        assert "登录已超时" in client.get(response.url).content.decode()
        assert client.get("/staff/").status_code == 302  # signed out for good


def test_active_user_is_not_signed_out(client_for, chain, hq_admin):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = client_for(hq_admin)
        for _ in range(4):  # 4 × 20 minutes of activity is longer than the limit in total
            assert client.get("/staff/").status_code == 200
            clock.shift(timedelta(minutes=chain.session_idle_minutes - 10))
        assert client.get("/staff/").status_code == 200


def test_htmx_request_of_an_idle_session_redirects_the_whole_page(client_for, chain, hq_admin):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = client_for(hq_admin)
        client.get("/staff/")
        clock.shift(timedelta(minutes=chain.session_idle_minutes + 1))
        response = client.get("/staff/", headers={"HX-Request": "true"})
        assert response.headers["HX-Redirect"].startswith("/accounts/login/")


def test_expired_mlps3_password_redirects_to_the_password_page_without_looping(
    client_for, chain, store_a_nurse
):
    # given an MLPS3 clinic and a password changed 91 days ago
    chain.password_policy = "mlps3"
    chain.save()
    store_a_nurse.password_changed_at = timezone.now() - timedelta(days=91)
    store_a_nurse.save()
    client = client_for(store_a_nurse)
    # when / then: any page sends to the password page, which itself renders
    response = client.get("/settings/api-tokens/")
    assert response.status_code == 302 and response.url == "/accounts/password/?expired=1"
    page = client.get(response.url)
    assert page.status_code == 200 and "密码已到期" in page.content.decode()
    # and after a change the pages open again
    response = client.post(
        "/accounts/password/",
        {
            "current_password": "Yz-test-Passw0rd!",
            "new_password": "Brand-New-Secret-9!",
            "confirm_password": "Brand-New-Secret-9!",
        },
    )
    assert response.status_code == 302
    assert client.get("/settings/api-tokens/").status_code == 200


def test_password_reset_by_a_manager_forces_a_change_under_the_standard_policy(
    client_for, store_a_manager, store_a_nurse
):
    services.reset_password(store_a_nurse, NEW_PASSWORD, by=store_a_manager)
    store_a_nurse.refresh_from_db()
    client = client_for(store_a_nurse)
    response = client.get("/settings/api-tokens/")
    assert response.status_code == 302 and response.url.startswith("/accounts/password/")
    assert "管理员已重置您的密码" in client.get(response.url).content.decode()


def test_the_last_seen_time_is_written_at_most_once_a_minute(client_for, chain, hq_admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def session_writes(client):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/staff/").status_code == 200
        return sum('UPDATE "django_session"' in q["sql"] for q in queries.captured_queries)

    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = client_for(hq_admin)
        session_writes(client)
        clock.shift(timedelta(seconds=30))
        assert session_writes(client) == 0  # a page a few seconds later writes nothing
        clock.shift(timedelta(seconds=31))
        assert session_writes(client) == 1
