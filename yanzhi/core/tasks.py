"""Background tasks of the core app (run by the worker: manage.py run_worker)."""

from django_tasks import task

from yanzhi.core import sms


# Priority above the default so a verification code does not wait behind a batch job.
@task(priority=50)
def send_sms(message_id: int) -> str:
    """Hand one outbox message to the SMS provider (retries are enqueued by sms.deliver)."""
    message = sms.deliver(message_id)
    return message.status if message is not None else "skipped"
