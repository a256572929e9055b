"""Every balance has a ledger it can be recomputed from. Each app that keeps a balance (stock,
later stored value, remaining sessions, cash, arrears) registers a check in its own
`balances.py`; `manage.py check_balances` runs them all. Core imports no app: the checks are
found by module discovery, so the layering stays one-way."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class Mismatch:
    """A stored balance that differs from what its ledger adds up to."""

    ledger: str  # e.g. "stock"
    key: str  # what the balance belongs to, readable: "静安店 仓库 / 玻尿酸 HA-1 (level 12)"
    stored: object
    recomputed: object


_checks: dict[str, Callable[[], Iterable[Mismatch]]] = {}


def register(name: str):
    """Decorate a function yielding Mismatch rows; `name` is what the command reports."""

    def decorate(check):
        _checks[name] = check
        return check

    return decorate


def checks() -> dict[str, Callable[[], Iterable[Mismatch]]]:
    autodiscover_modules("balances")
    return dict(sorted(_checks.items()))
