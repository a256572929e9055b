"""The audit log viewer: read-only, scoped, filtered, paginated; no write path anywhere."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.urls import get_resolver

from yanzhi.core import audit
from yanzhi.core.models import AuditLog
from yanzhi.customers.tests.factories import make_customer
from yanzhi.org import services

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_manager_sees_own_stores_rows_hq_the_chain(
    client_for, hq_admin, store_a_manager, store_a, store_b
):
    # given one change in each store
    a = make_customer(store_a, name="甲客户")
    b = make_customer(store_b, name="乙客户")
    audit.record(hq_admin, "customer.updated", a, before={"name": "旧甲"}, after={"name": "甲客户"})
    audit.record(hq_admin, "customer.updated", b, before={"name": "旧乙"}, after={"name": "乙客户"})
    # then
    manager_page = client_for(store_a_manager).get("/audit/").content.decode()
    assert "甲客户" in manager_page and "乙客户" not in manager_page
    hq_page = client_for(hq_admin).get("/audit/").content.decode()
    assert "甲客户" in hq_page and "乙客户" in hq_page
    # the diff is shown as before → after
    assert "旧甲" in hq_page and "text-decoration-line-through" in hq_page


def test_filters_by_actor_action_type_and_dates(
    client_for, chain, hq_admin, store_a_manager, store_a
):
    with time_machine.travel(datetime(2026, 3, 1, 10, tzinfo=SHANGHAI), tick=False):
        services.update_store_settings(store_a, by=store_a_manager, address="三月一日")
    with time_machine.travel(datetime(2026, 3, 5, 10, tzinfo=SHANGHAI), tick=False):
        services.update_store_settings(store_a, by=hq_admin, address="三月五日")
        services.update_org_settings(chain, by=hq_admin, login_failure_limit=4)
    client = client_for(hq_admin)

    def rows(**params):
        page = client.get("/audit/", params, headers={"HX-Request": "true"}).content.decode()
        return page.count("2026-03-01 10:00"), page.count("2026-03-05 10:00")

    assert rows() == (1, 2)
    assert rows(actor=store_a_manager.pk) == (1, 0)
    assert rows(action="org.") == (0, 1)
    assert rows(object_type="org.store") == (1, 1)
    assert rows(date_from="2026-03-02", date_to="2026-03-05") == (0, 2)
    assert rows(date_to="2026-03-01") == (1, 0)


def test_audit_page_is_paginated_with_fixed_queries(
    client_for, hq_admin, store_a, django_assert_max_num_queries
):
    for n in range(60):
        audit.record(hq_admin, "store.settings_changed", store_a, note=f"n{n}")
    client = client_for(hq_admin)
    with django_assert_max_num_queries(12):
        first = client.get("/audit/").content.decode()
    assert "n59" in first and "n5 " not in first and "第 1 / 2 页" in first
    assert "n0<" in client.get("/audit/", {"page": 2}).content.decode()


def test_no_url_writes_the_audit_log(client_for, hq_admin, store_a):
    entry = audit.record(hq_admin, "store.settings_changed", store_a)
    client = client_for(hq_admin)
    assert client.post("/audit/", {"id": entry.pk}).status_code in (403, 405)
    names = {p.pattern.describe() for p in get_resolver().url_patterns}
    assert not any("admin" in name for name in names)  # no Django admin site
    assert AuditLog.objects.get(pk=entry.pk).action == "store.settings_changed"
