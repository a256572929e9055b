"""The 后台任务 page: a manager sees their stores' runs and a warning when the worker is idle."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from yanzhi.messaging.models import JobRun
from yanzhi.messaging.schedule import run_due_jobs

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_manager_sees_their_stores_runs_and_the_worker_state(
    client_for, store_a, store_b, store_a_manager, store_a_consultant
):
    # given the worker ran the whole schedule at 07:00 (every job of the day so far)
    with time_machine.travel(datetime(2026, 3, 16, 7, 0, tzinfo=SHANGHAI), tick=False):
        run_due_jobs()
        assert JobRun.objects.filter(store_id=store_b.pk).exists()
        # when store A's manager opens the page
        page = client_for(store_a_manager).get("/schedule/")
    html = page.content.decode()
    # then only store A's runs are listed, with the jobs' Chinese names
    assert page.status_code == 200
    mine = JobRun.objects.filter(store_id=store_a.pk)
    theirs = JobRun.objects.filter(store_id=store_b.pk)
    assert all(f'data-run="{run.pk}"' in html for run in mine)
    assert not any(f'data-run="{run.pk}"' in html for run in theirs)
    assert "标记爽约" in html and 'id="worker-ok"' in html
    # a day and a half later with no run, the page warns
    with time_machine.travel(datetime(2026, 3, 17, 19, 0, tzinfo=SHANGHAI), tick=False):
        later = client_for(store_a_manager).get("/schedule/?job=mark_no_shows").content.decode()
    assert 'id="worker-stale"' in later
    assert client_for(store_a_consultant).get("/schedule/").status_code == 403
