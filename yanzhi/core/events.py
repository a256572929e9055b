"""Domain events: how a lower app tells higher apps that something happened, without importing
them (the import layers forbid it). A service calls `emit("order.paid", order_id=…, …)` inside
its transaction; every handler subscribed to that name runs at once, in the same transaction, so
what a handler writes (e.g. follow-up tasks) commits or rolls back with the action itself.

Handlers subscribe from their app's AppConfig.ready(). They receive keyword arguments only
(ids and plain values, never model instances the emitter would have to keep in step), and an
exception in a handler aborts the action: a handler must only raise for a real inconsistency.

Event names and their arguments are listed in docs/events.md.
"""

from collections import defaultdict
from collections.abc import Callable

_handlers: dict[str, list[Callable[..., None]]] = defaultdict(list)


def subscribe(name: str, handler: Callable[..., None]) -> None:
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def emit(name: str, **payload) -> None:
    for handler in list(_handlers.get(name, ())):
        handler(**payload)


def handlers(name: str) -> list[Callable[..., None]]:
    return list(_handlers.get(name, ()))
