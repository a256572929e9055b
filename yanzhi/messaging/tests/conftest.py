"""Messaging fixtures: the fake Tencent SMS server wired into settings, and a real worker loop
in a thread (always stopped and joined, so no test leaves a worker running)."""

import threading
import time

import pytest
from django.db import connections

from yanzhi.core.tests.fake_tencent_sms import FakeTencentSms
from yanzhi.messaging.worker import Worker


@pytest.fixture
def fake_tencent(settings):
    with FakeTencentSms() as server:
        settings.SMS_SENDER = "yanzhi.core.sms_tencent.TencentSmsSender"
        settings.SMS_TENCENT = server.config()
        settings.SMS_RETRY_BASE_SECONDS = 0.3
        yield server


@pytest.fixture
def start_worker():
    started: list[tuple[Worker, threading.Thread]] = []

    def start(**options) -> Worker:
        worker = Worker(interval=0.05, schedule=False, **options)

        def loop():
            try:
                worker.run()
            finally:
                connections.close_all()

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        started.append((worker, thread))
        return worker

    yield start
    for worker, thread in started:
        worker.stop()
        thread.join(20)
        assert not thread.is_alive(), "the worker did not stop"


def wait_for(condition, *, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the worker")
