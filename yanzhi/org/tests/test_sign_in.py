from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.org.services import sign_in
from yanzhi.org.tests.factories import TEST_PASSWORD


def test_correct_password_signs_in_and_is_audited(store_a_front_desk):
    staff = sign_in("A_FRONT", TEST_PASSWORD)
    assert staff == store_a_front_desk
    assert AuditLog.objects.filter(action="staff.signed_in", actor_id=staff.pk).exists()


def test_five_failures_lock_the_account_for_fifteen_minutes(store_a_front_desk):
    # given the default clinic setting (5 failures / 15 minutes)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(4):
            with pytest.raises(BusinessError, match="invalid_credentials"):
                sign_in("a_front", "wrong-password-123")
        # when the fifth attempt fails
        with pytest.raises(BusinessError, match="account_locked"):
            sign_in("a_front", "wrong-password-123")
        # then even the right password is refused until the lock ends
        with pytest.raises(BusinessError, match="account_locked"):
            sign_in("a_front", TEST_PASSWORD)
        clock.shift(timedelta(minutes=16))
        assert sign_in("a_front", TEST_PASSWORD) == store_a_front_desk
    store_a_front_desk.refresh_from_db()
    assert store_a_front_desk.failed_login_count == 0 and store_a_front_desk.locked_until is None


def test_failures_spread_beyond_the_window_do_not_lock(store_a_front_desk):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(4):
            with pytest.raises(BusinessError, match="invalid_credentials"):
                sign_in("a_front", "wrong-password-123")
        clock.shift(timedelta(minutes=20))
        with pytest.raises(BusinessError, match="invalid_credentials"):
            sign_in("a_front", "wrong-password-123")
        assert sign_in("a_front", TEST_PASSWORD) == store_a_front_desk


def test_clinic_setting_changes_the_threshold(chain, store_a_front_desk):
    chain.login_failure_limit, chain.login_lock_minutes = 3, 30
    chain.save()
    for _ in range(2):
        with pytest.raises(BusinessError, match="invalid_credentials"):
            sign_in("a_front", "nope-nope-nope")
    with pytest.raises(BusinessError, match="account_locked"):
        sign_in("a_front", "nope-nope-nope")
    store_a_front_desk.refresh_from_db()
    assert store_a_front_desk.locked_until - timezone.now() > timedelta(minutes=29)


def test_unknown_user_and_inactive_user_are_refused(store_a_front_desk):
    with pytest.raises(BusinessError, match="invalid_credentials"):
        sign_in("nobody", TEST_PASSWORD)
    store_a_front_desk.is_active = False
    store_a_front_desk.save()
    with pytest.raises(BusinessError, match="invalid_credentials"):
        sign_in("a_front", TEST_PASSWORD)


def test_login_page_shows_the_lock_in_chinese(client, store_a_front_desk):
    for _ in range(5):
        response = client.post(
            "/accounts/login/", {"username": "a_front", "password": "wrong-password-1"}
        )
    assert response.status_code == 422
    assert "账号已锁定" in response.content.decode()


def test_login_page_in_english(client, store_a_front_desk):
    response = client.post(
        "/accounts/login/",
        {"username": "a_front", "password": "bad-password-1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Incorrect username or password" in response.content.decode()
