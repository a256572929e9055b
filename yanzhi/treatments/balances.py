"""The sessions check of `manage.py check_balances`: every course's remaining sessions against
the sum of its ledger rows."""

from yanzhi.core.balances import Mismatch, register
from yanzhi.treatments.queries import ledger_mismatches


@register("sessions")
def check_sessions():
    for entitlement in ledger_mismatches():
        yield Mismatch(
            ledger="sessions",
            key=f"{entitlement.customer.name} / {entitlement.item.name} "
            f"(entitlement {entitlement.pk})",
            stored=entitlement.remaining_sessions,
            recomputed=entitlement.ledger_total,
        )
