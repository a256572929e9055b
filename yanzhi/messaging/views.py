from datetime import timedelta

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import SmsMessage
from yanzhi.core.schedule import registered_jobs
from yanzhi.messaging import queries, services
from yanzhi.messaging.models import JobRun
from yanzhi.org import policy
from yanzhi.org.queries import stores_for
from yanzhi.org.views import requires


def _row_context(request, messages) -> dict:
    names = queries.customer_names(messages)
    for message in messages:
        message.customer_name = names.get(message.customer_id, "")
    return {"can_retry": policy.can(request.scope, "message.retry")}


@vary_on_headers("HX-Request")
@require_safe
@requires("message.view")
def message_list(request):
    status = request.GET.get("status", "")
    rows = queries.search_messages(request.scope, status=status)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "status": status,
        "statuses": SmsMessage.Status.choices,
        "query": query.urlencode(),
        **_row_context(request, page.object_list),
    }
    name = "messaging/message_list.html" + ("#rows" if request.htmx else "")
    return render(request, name, context)


@require_POST
@requires("message.view")
def message_retry(request, pk):
    message = queries.get_message(request.scope, pk)
    error = None
    try:
        message = services.retry_message(message, by=request.user)
    except BusinessError as exc:
        error = exc
    context = {"message": message, "error": error, **_row_context(request, [message])}
    return render(
        request,
        "messaging/message_list.html#row",
        context,
        status=422 if error else 200,
    )


@require_safe
@requires("schedule.view")
def job_run_list(request):
    """后台任务: each scheduled job's runs per store, so a manager sees that the nightly work
    (no-shows, reminders, follow-up rules …) happened, and whether the worker is running."""
    jobs = registered_jobs()
    job = request.GET.get("job", "")
    job = job if job in jobs else ""
    status = request.GET.get("status", "")
    runs = queries.job_runs(request.scope, job=job, status=status)
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    stores = dict(
        stores_for(request.scope)
        .filter(pk__in={r.store_id for r in page.object_list})
        .values_list("pk", "name")
    )
    for run in page.object_list:
        run.store_name = stores.get(run.store_id, run.store_id)
        run.label = jobs[run.job].label if run.job in jobs else run.job
    latest = queries.job_runs(request.scope).values_list("started_at", flat=True).first()
    stale = latest is None or latest < timezone.now() - timedelta(hours=queries.STALE_WORKER_HOURS)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "jobs": [(name, daily.label) for name, daily in jobs.items()],
        "job": job,
        "status": status,
        "statuses": JobRun.Status.choices,
        "latest": latest,
        "stale": stale,
        "query": query.urlencode(),
    }
    return render(request, "messaging/job_runs.html", context)
