"""Scoped reads of the SMS record: staff see the messages to customers inside their scope."""

from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from yanzhi.core.models import SmsMessage
from yanzhi.core.scope import Scope
from yanzhi.customers.queries import customers_for


def messages_for(scope: Scope) -> QuerySet[SmsMessage]:
    """A chain-wide scope sees every message of the chain; a store or own-customers scope only
    the messages to its customers (customer_id is a plain id, so the check is an Exists)."""
    qs = SmsMessage.objects.filter(org_id=scope.org_id)
    if scope.store_ids is None and scope.owner_ids is None:
        return qs
    visible = customers_for(scope).filter(pk=OuterRef("customer_id"))
    return qs.filter(Exists(visible))


def get_message(scope: Scope, pk: int) -> SmsMessage:
    return get_object_or_404(messages_for(scope), pk=pk)


def search_messages(scope: Scope, *, status: str = "", purpose: str = "") -> QuerySet[SmsMessage]:
    qs = messages_for(scope)
    if status in SmsMessage.Status.values:
        qs = qs.filter(status=status)
    if purpose.strip():
        qs = qs.filter(purpose=purpose.strip())
    return qs.order_by("-created_at", "-id")


def customer_names(messages) -> dict[int, str]:
    """Names of the messages' customers in one query (for a page of rows)."""
    from yanzhi.customers.models import Customer

    ids = {m.customer_id for m in messages if m.customer_id}
    return dict(Customer.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


STALE_WORKER_HOURS = 26


def job_runs(scope: Scope, *, job: str = "", status: str = "") -> QuerySet:
    """The schedule's runs for the stores in scope, newest first."""
    from yanzhi.messaging.models import JobRun

    qs = JobRun.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    if job:
        qs = qs.filter(job=job)
    if status in JobRun.Status.values:
        qs = qs.filter(status=status)
    return qs.order_by("-started_at", "-id")
