"""Period closing (关账): ended months only, in order, once; closed months refuse changes."""

from contextlib import contextmanager
from datetime import date

import pytest
import time_machine

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.org import settings_cache
from yanzhi.org.models import PeriodClose
from yanzhi.org.policy import scope_for
from yanzhi.org.queries import period_months
from yanzhi.org.services import close_period, ensure_period_open

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mid_march():
    with time_machine.travel("2026-03-16 10:00:00+08:00", tick=False):
        yield


def test_a_manager_closes_an_ended_month(store_a, store_a_manager):
    closed = close_period(store_a, month=date(2026, 2, 14), by=store_a_manager)
    assert closed.month == date(2026, 2, 1) and closed.closed_by == store_a_manager
    assert AuditLog.objects.filter(action="period.closed", object_id=str(closed.pk)).exists()


def test_the_current_month_cannot_be_closed(store_a, store_a_manager):
    with pytest.raises(BusinessError, match="period_not_ended"):
        close_period(store_a, month=date(2026, 3, 1), by=store_a_manager)
    assert not PeriodClose.objects.exists()


def test_a_month_ends_in_the_stores_timezone(store_a, store_a_manager):
    # 2026-03-31 23:30 in Shanghai is still March there, although 15:30 UTC
    with time_machine.travel("2026-03-31 23:30:00+08:00", tick=False):
        with pytest.raises(BusinessError, match="period_not_ended"):
            close_period(store_a, month=date(2026, 3, 1), by=store_a_manager)
    with time_machine.travel("2026-04-01 00:05:00+08:00", tick=False):
        assert close_period(store_a, month=date(2026, 3, 1), by=store_a_manager)


def test_closing_twice_is_refused(store_a, store_a_manager):
    close_period(store_a, month=date(2026, 2, 1), by=store_a_manager)
    with pytest.raises(BusinessError, match="period_already_closed"):
        close_period(store_a, month=date(2026, 2, 1), by=store_a_manager)
    with pytest.raises(BusinessError, match="period_already_closed"):
        close_period(store_a, month=date(2026, 1, 1), by=store_a_manager)
    assert PeriodClose.objects.count() == 1


def test_months_close_in_order(store_a, store_a_manager):
    close_period(store_a, month=date(2025, 12, 1), by=store_a_manager)
    with pytest.raises(BusinessError, match="period_out_of_order") as refused:
        close_period(store_a, month=date(2026, 2, 1), by=store_a_manager)
    assert "2026-01" in str(refused.value.message)
    close_period(store_a, month=date(2026, 1, 1), by=store_a_manager)
    close_period(store_a, month=date(2026, 2, 1), by=store_a_manager)
    assert PeriodClose.objects.count() == 3


def test_only_managers_and_hq_close(store_a, store_a_nurse, hq_admin):
    with pytest.raises(BusinessError, match="forbidden"):
        close_period(store_a, month=date(2026, 2, 1), by=store_a_nurse)
    assert close_period(store_a, month=date(2026, 2, 1), by=hq_admin)


def test_another_stores_manager_gets_not_found(store_a, store_b_front_desk, chain, store_b):
    from yanzhi.org.tests.factories import make_staff

    manager_b = make_staff(chain, "store_manager", [store_b], username="b_mgr")
    with pytest.raises(BusinessError, match="not_found"):
        close_period(store_a, month=date(2026, 2, 1), by=manager_b)


@pytest.fixture(params=["read", "kept"])
def checking(request):
    """ensure_period_open as a job or command runs it (reading the closes) and as a request runs
    it (the chain's closes kept per process, for the chain's settings version)."""

    @contextmanager
    def within(org):
        if request.param == "read":
            yield
            return
        org.refresh_from_db(fields=["settings_version"])
        with settings_cache.bound(org.pk, org.settings_version):
            yield

    return within


def test_ensure_period_open_refuses_dates_in_and_before_closed_months(
    store_a, store_a_manager, checking
):
    close_period(store_a, month=date(2026, 2, 1), by=store_a_manager)
    with checking(store_a.org):
        for day in (date(2026, 2, 28), date(2026, 2, 1), date(2025, 11, 3)):
            with pytest.raises(BusinessError, match="period_closed") as refused:
                ensure_period_open(store_a.pk, day, org_id=store_a.org_id)
            assert f"{day:%Y-%m} 已关账" in str(refused.value.message)
        ensure_period_open(store_a.pk, date(2026, 3, 1), org_id=store_a.org_id)  # the open period


def test_closing_one_store_leaves_the_others_open(store_a, store_b, store_a_manager, checking):
    close_period(store_a, month=date(2026, 2, 1), by=store_a_manager)
    with checking(store_b.org):
        ensure_period_open(store_b.pk, date(2026, 2, 10), org_id=store_b.org_id)


def test_a_request_reads_the_closes_once_and_sees_a_new_close_next_time(
    store_a, store_b, store_a_manager, django_assert_num_queries
):
    settings_cache.clear()
    org = store_a.org
    close_period(store_a, month=date(2026, 1, 1), by=store_a_manager)
    org.refresh_from_db(fields=["settings_version"])
    with settings_cache.bound(org.pk, org.settings_version):
        with django_assert_num_queries(1):
            ensure_period_open(store_a.pk, date(2026, 2, 3), org_id=org.pk)
            ensure_period_open(store_b.pk, date(2026, 1, 3), org_id=org.pk)
    with settings_cache.bound(org.pk, org.settings_version):  # the next request: nothing read
        with django_assert_num_queries(0):
            ensure_period_open(store_a.pk, date(2026, 2, 3), org_id=org.pk)
    close_period(store_a, month=date(2026, 2, 1), by=store_a_manager)  # e.g. another process
    org.refresh_from_db(fields=["settings_version"])
    with settings_cache.bound(org.pk, org.settings_version):
        with pytest.raises(BusinessError, match="period_closed"):
            ensure_period_open(store_a.pk, date(2026, 2, 3), org_id=org.pk)


def test_period_months_marks_the_next_closable_month(store_a, store_a_manager):
    close_period(store_a, month=date(2026, 1, 1), by=store_a_manager)
    rows = period_months(scope_for(store_a_manager), store_a, count=4)
    assert [r.month for r in rows] == [
        date(2026, 3, 1),
        date(2026, 2, 1),
        date(2026, 1, 1),
        date(2025, 12, 1),
    ]
    assert [r.closable for r in rows] == [False, True, False, False]
    assert [r.is_closed for r in rows] == [False, False, True, True]
    assert rows[2].closed is not None and rows[3].closed is None
