"""Organization security settings (HQ) and store settings (store managers and HQ)."""

from datetime import time

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.org import services
from yanzhi.org.models import Organization, Store


def test_hq_changes_the_security_settings(chain, hq_admin):
    services.update_org_settings(chain, by=hq_admin, login_failure_limit=3, password_policy="mlps3")
    chain.refresh_from_db()
    assert chain.login_failure_limit == 3 and chain.password_policy == "mlps3"
    row = AuditLog.objects.get(action="org.settings_changed")
    assert row.before == {"login_failure_limit": 5, "password_policy": "standard"}


def test_store_manager_cannot_change_security_settings(chain, store_a_manager):
    with pytest.raises(BusinessError, match="forbidden"):
        services.update_org_settings(chain, by=store_a_manager, login_failure_limit=100)
    chain.refresh_from_db()
    assert chain.login_failure_limit == 5


def test_out_of_range_settings_change_nothing(chain, hq_admin):
    with pytest.raises(BusinessError, match="out_of_range"):
        services.update_org_settings(
            chain, by=hq_admin, login_lock_minutes=0, login_failure_limit=9
        )
    assert Organization.objects.get(pk=chain.pk).login_failure_limit == 5


def test_manager_sets_hours_and_search_of_own_store(store_a, store_a_manager):
    services.update_store_settings(
        store_a,
        by=store_a_manager,
        opens_at=time(10),
        search_order="member_no",
        search_fields=["name", "member_no", "consultant"],
    )
    store_a.refresh_from_db()
    assert store_a.opens_at == time(10) and store_a.search_fields == [
        "name",
        "member_no",
        "consultant",
    ]


def test_manager_cannot_touch_another_store(store_b, store_a_manager):
    with pytest.raises(BusinessError, match="not_found"):
        services.update_store_settings(store_b, by=store_a_manager, address="别处")
    assert Store.objects.get(pk=store_b.pk).address == ""


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"search_fields": ["name", "password"]}, "invalid_fields"),
        ({"search_order": "random"}, "invalid_order"),
        ({"opens_at": time(22)}, "invalid_hours"),
    ],
)
def test_bad_store_settings_change_nothing(store_a, store_a_manager, changes, code):
    with pytest.raises(BusinessError, match=code):
        services.update_store_settings(store_a, by=store_a_manager, **changes)
    store_a.refresh_from_db()
    assert store_a.search_fields == [] and store_a.opens_at == time(9)
    assert store_a.search_order == "phone"
