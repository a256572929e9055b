"""STAND-IN written on the sales branch (issue 3): the three functions sales calls, with the
agreed signatures. The treatments app (built in parallel) replaces this file on merge."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from yanzhi.core import audit
from yanzhi.core.errors import BusinessError
from yanzhi.treatments.models import Entitlement


@transaction.atomic
def grant_entitlement(
    *,
    customer,
    store,
    item,
    sessions,
    unit_value_amount,
    source_kind,
    source_line_id=None,
    expires_on=None,
    by,
) -> Entitlement:
    """Give the customer `sessions` sessions of `item` (a paid service, package part or card)."""
    entitlement = Entitlement.objects.create(
        org_id=customer.org_id,
        customer=customer,
        store=store,
        item=item,
        sessions_total=sessions,
        unit_value_amount=unit_value_amount,
        source_kind=source_kind,
        source_line_id=source_line_id,
        expires_on=expires_on,
    )
    audit.record(by, "entitlement.granted", entitlement, after=audit.snapshot(entitlement))
    return entitlement


def refundable_sessions(source_line_id) -> int:
    """Sessions granted by the order line and neither used nor revoked."""
    row = Entitlement.objects.filter(source_line_id=source_line_id).aggregate(
        total=Sum("sessions_total"), used=Sum("sessions_used"), revoked=Sum("sessions_revoked")
    )
    return (row["total"] or 0) - (row["used"] or 0) - (row["revoked"] or 0)


@transaction.atomic
def revoke_sessions(*, source_line_id, sessions, by, reason="refund") -> Decimal:
    """Take back unused sessions of an order line (a refund); returns their value."""
    entitlements = list(
        Entitlement.objects.select_for_update().filter(source_line_id=source_line_id).order_by("pk")
    )
    if sessions > sum(e.remaining for e in entitlements):
        raise BusinessError("sessions_used", _("剩余次数不足,已使用的次数不能退"), status=409)
    value, left = Decimal("0.00"), sessions
    for entitlement in entitlements:
        take = min(left, entitlement.remaining)
        if take:
            Entitlement.objects.filter(pk=entitlement.pk).update(
                sessions_revoked=F("sessions_revoked") + take
            )
            value += entitlement.unit_value_amount * take
            audit.record(by, "entitlement.revoked", entitlement, note=f"{reason}: {take}")
            left -= take
    return value
