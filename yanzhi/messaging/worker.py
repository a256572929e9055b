"""The background worker: runs queued tasks (django-tasks' database backend), the schedule, and
the outbox safety net, in one loop. Started by `manage.py run_worker` (see docs/running.md)."""

import logging
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker as TaskRunner

from yanzhi.core import sms
from yanzhi.core.schedule import registered_jobs
from yanzhi.messaging.schedule import run_due_jobs, run_frequent_jobs

log = logging.getLogger("yanzhi.worker")


def prune_task_results() -> int:
    call_command("prune_db_task_results", min_age_days=14, queue_name="*", verbosity=0)
    return 0


class Worker:
    def __init__(
        self,
        *,
        interval: float | None = None,
        schedule: bool = True,
        schedule_every: float = 30.0,
        sweep_every: float = 60.0,
        batch_size: int = 50,
    ):
        self.interval = settings.WORKER_POLL_SECONDS if interval is None else interval
        self.schedule, self.schedule_every, self.sweep_every = schedule, schedule_every, sweep_every
        self.batch_size = batch_size
        self.worker_id = get_random_string(32)
        self._stop = threading.Event()
        self._runner: TaskRunner | None = None

    def stop(self) -> None:
        """Finish the task in hand, then leave the loop."""
        self._stop.set()
        if self._runner is not None:
            self._runner.running = False

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run_tasks(self) -> int:
        """Run up to batch_size ready tasks; returns how many ran."""
        self._runner = TaskRunner(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=self.batch_size,
            worker_id=self.worker_id,
            excluded_queue_names=[],
        )
        if self.stopping:
            return 0
        self._runner.run()
        return self._runner._run_tasks  # the library keeps no public count

    def run_once(self) -> int:
        """One pass: due scheduled jobs, the outbox safety net, then ready tasks."""
        ran = 0
        if self.schedule:
            ran += self._guarded(run_due_jobs, "schedule")
            ran += self._guarded(run_frequent_jobs, "frequent jobs")
        ran += self._guarded(sms.requeue_stranded, "outbox sweep")
        return ran + self.run_tasks()

    def _guarded(self, func, what: str) -> int:
        try:
            result = func()
        except Exception:  # e.g. the database was briefly unavailable: try again next time
            log.exception("worker: %s failed", what)
            return 0
        return len(result) if isinstance(result, list) else int(result or 0)

    def run(self) -> None:
        log.info("worker %s started (schedule: %s)", self.worker_id, self.schedule)
        registered_jobs()
        next_schedule = next_sweep = next_prune = 0.0
        while not self.stopping:
            close_old_connections()
            now = time.monotonic()
            if self.schedule and now >= next_schedule:
                self._guarded(run_due_jobs, "schedule")
                self._guarded(run_frequent_jobs, "frequent jobs")
                next_schedule = now + self.schedule_every
            if now >= next_sweep:
                self._guarded(sms.requeue_stranded, "outbox sweep")
                next_sweep = now + self.sweep_every
            if now >= next_prune:
                # Finished task rows are kept two weeks (the SMS record itself is kept forever).
                self._guarded(prune_task_results, "pruning task results")
                next_prune = now + 6 * 3600
            ran = self.run_tasks()
            close_old_connections()
            if not ran:
                self._stop.wait(self.interval)
        log.info("worker %s stopped", self.worker_id)
