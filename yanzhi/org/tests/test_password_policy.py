from datetime import timedelta

import pytest
from django.utils import timezone

from yanzhi.core.errors import BusinessError
from yanzhi.org.passwords import password_expired, password_problems
from yanzhi.org.services import set_password
from yanzhi.org.tests.factories import TEST_PASSWORD


@pytest.mark.parametrize("password", ["short1A!", "password1234", "qwertyuiop123"])
def test_standard_policy_refuses_short_or_common(chain, password):
    assert password_problems(chain, password)


def test_standard_policy_accepts_a_long_uncommon_passphrase(chain):
    assert password_problems(chain, "晨光照进诊室的窗台") == ["密码至少需要12个字符"]
    assert password_problems(chain, "morning light on the desk") == []


def test_mlps3_requires_three_character_classes(chain):
    chain.password_policy = "mlps3"
    assert password_problems(chain, "onlylowercaseletters")
    assert password_problems(chain, "Lower-and-Upper") == []
    assert password_problems(chain, "lower-and-9999") == []


def test_mlps3_refuses_reuse_of_recent_passwords(chain, store_a_front_desk):
    chain.password_policy = "mlps3"
    chain.save()
    staff = store_a_front_desk
    set_password(staff, "Second-Passw0rd!", by=staff)
    with pytest.raises(BusinessError, match="weak_password"):
        set_password(staff, TEST_PASSWORD, by=staff)
    staff.refresh_from_db()
    assert staff.check_password("Second-Passw0rd!")


def test_mlps3_password_expires_after_90_days(chain, store_a_front_desk, client_for):
    chain.password_policy = "mlps3"
    chain.save()
    store_a_front_desk.password_changed_at = timezone.now() - timedelta(days=91)
    store_a_front_desk.save()
    assert password_expired(store_a_front_desk)
    response = client_for(store_a_front_desk).get("/customers/")
    assert response.status_code == 302 and "/accounts/password/" in response["Location"]


def test_change_password_needs_current_password(store_a_front_desk):
    with pytest.raises(BusinessError, match="wrong_password"):
        set_password(
            store_a_front_desk, "Another-Passw0rd!", by=store_a_front_desk, current_password="x"
        )
