"""`manage.py run_worker` as a real process against the test database: it sends a queued message
and stops cleanly on SIGTERM (the way systemd and scripts/run stop it)."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection, transaction

from yanzhi.core.models import SmsMessage
from yanzhi.core.sms import queue_sms
from yanzhi.messaging.tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def test_worker_process_sends_and_stops_on_sigterm(tmp_path):
    # given
    with transaction.atomic():
        message = queue_sms(org_id=1, phone="13812345678", purpose="test", text="您好")
    log_file = tmp_path / "sms.log"
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "SMS_LOG_FILE": str(log_file),
        "WORKER_POLL_SECONDS": "0.1",
        "DEBUG": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--no-schedule"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # when
        wait_for(
            lambda: (
                SmsMessage.objects.values_list("status", flat=True).get(pk=message.pk) == "sent"
            ),
            timeout=30,
        )
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # then
    assert process.returncode == 0, output
    assert "worker stopped" in output
    assert "13812345678\t【颜值】您好" in log_file.read_text(encoding="utf-8")
