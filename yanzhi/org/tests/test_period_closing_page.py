"""/settings/period-closing/: months per store with a 关账 button."""

import pytest
import time_machine

from yanzhi.org.models import PeriodClose

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mid_march():
    with time_machine.travel("2026-03-16 10:00:00+08:00", tick=True):
        yield


def test_manager_closes_a_month_from_the_page(client_for, store_a, store_a_manager):
    client = client_for(store_a_manager)
    page = client.get("/settings/period-closing/").content.decode()
    assert "2026-02" in page and "当前期间" in page
    response = client.post(
        "/settings/period-closing/", {"store": store_a.pk, "month": "2026-02-01"}, follow=True
    )
    assert "2026-02 已关账" in response.content.decode()
    assert PeriodClose.objects.get().store == store_a


def test_refusal_is_shown_and_nothing_closes(client_for, store_a, store_a_manager):
    response = client_for(store_a_manager).post(
        "/settings/period-closing/", {"store": store_a.pk, "month": "2026-03-01"}, follow=True
    )
    assert "尚未结束" in response.content.decode() and not PeriodClose.objects.exists()


def test_other_store_and_roles(client_for, store_b, store_a_manager, store_a_nurse):
    assert client_for(store_a_nurse).get("/settings/period-closing/").status_code == 403
    response = client_for(store_a_manager).post(
        "/settings/period-closing/", {"store": store_b.pk, "month": "2026-02-01"}
    )
    assert response.status_code == 404 and not PeriodClose.objects.exists()


def test_store_settings_set_the_negative_stock_policy(client_for, store_a, store_a_manager):
    response = client_for(store_a_manager).post(
        f"/settings/?store={store_a.pk}",
        {
            "form": "store",
            "opens_at": "09:00",
            "closes_at": "21:00",
            "search_order": "phone",
            "negative_stock": "warn",
        },
    )
    assert response.status_code == 302
    store_a.refresh_from_db()
    assert store_a.negative_stock == "warn"
