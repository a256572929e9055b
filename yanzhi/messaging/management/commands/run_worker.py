"""Run the background worker: queued tasks (SMS sending…), scheduled jobs and the outbox
safety net. Stop it with SIGTERM or Ctrl-C: it finishes the task in hand first."""

import signal
import sys
import threading

from django.core.management.base import BaseCommand

from yanzhi.messaging.worker import Worker


class Command(BaseCommand):
    help = "Run the background worker (tasks, schedule, SMS outbox) until stopped."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=None, help="seconds between polls when idle"
        )
        parser.add_argument(
            "--no-schedule",
            action="store_false",
            dest="schedule",
            help="run tasks only (for extra workers next to one that runs the schedule)",
        )
        parser.add_argument(
            "--once", action="store_true", help="one pass over schedule and ready tasks, then exit"
        )

    def handle(self, *args, interval=None, schedule=True, once=False, **options):
        worker = Worker(interval=interval, schedule=schedule)
        if once:
            ran = worker.run_once()
            self.stdout.write(f"{ran} job run(s), task(s) and requeue(s)")
            return
        if threading.current_thread() is threading.main_thread():
            self._handle_signals(worker)
        self.stdout.write(f"worker running (poll every {worker.interval:g} s); stop with Ctrl-C")
        worker.run()
        self.stdout.write("worker stopped")

    def _handle_signals(self, worker: Worker) -> None:
        def shutdown(signum, frame):
            if worker.stopping:  # a second signal: leave now
                sys.exit(1)
            worker.stop()

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, shutdown)
