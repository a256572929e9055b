from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import SmsMessage
from yanzhi.messaging import queries, services
from yanzhi.org import policy
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
