from ninja import Router

from yanzhi.messaging import queries, services
from yanzhi.messaging.schemas import MessageOut
from yanzhi.org import policy

router = Router(tags=["messaging"])


@router.get("/messages", response=list[MessageOut])
def list_messages(request, status: str = "", purpose: str = "", limit: int = 50, offset: int = 0):
    """The SMS record in your scope, newest first; filter by status (queued, sending, sent,
    failed) and purpose. Phones are masked."""
    policy.require(request.scope, "message.view")
    limit, offset = max(1, min(limit, 100)), max(0, offset)
    qs = queries.search_messages(request.scope, status=status, purpose=purpose)
    return list(qs[offset : offset + limit])


@router.get("/messages/{message_id}", response=MessageOut)
def get_message(request, message_id: int):
    policy.require(request.scope, "message.view")
    return queries.get_message(request.scope, message_id)


@router.post("/messages/{message_id}/retry", response=MessageOut)
def retry_message(request, message_id: int):
    """Queue a failed message again (store manager, HQ); the worker sends it."""
    message = queries.get_message(request.scope, message_id)
    return services.retry_message(message, by=request.auth)
