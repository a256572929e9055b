"""The one module of sales that talks to the treatments app: paid lines become courses
(entitlements), and refunds take back only sessions that are still unused."""

from decimal import Decimal

from yanzhi.catalog.models import Item
from yanzhi.core.money import allocate, to_money
from yanzhi.treatments import services as treatments


def sessions_per_unit(line) -> int:
    """Sessions one unit of the line grants (0: the line grants no course)."""
    item = line.item
    if line.kind == Item.Kind.SERVICE:
        return 1
    if line.kind == Item.Kind.CARD and item.card_type == Item.CardType.SESSIONS:
        return item.card_sessions or 0
    if line.kind == Item.Kind.PACKAGE:
        return sum(c.quantity for c in item.components.all() if c.item.kind == Item.Kind.SERVICE)
    return 0


def grant_courses(order, line, *, expires_on, by) -> None:
    """Service: `quantity` sessions; session card: card_sessions × quantity of its service;
    package: one entitlement per service component, the line amount split by list value.
    The payment holds the customer's summary lock and stores the open-course count after
    (`open_course_count`)."""
    item = line.item
    common = dict(
        customer=order.customer,
        store=order.store,
        source_line_id=line.pk,
        expires_on=expires_on,
        by=by,
        counted_by_caller=True,
    )
    if line.kind == Item.Kind.SERVICE:
        treatments.grant_entitlement(
            item=item,
            sessions=line.quantity,
            unit_value_amount=to_money(line.amount / line.quantity),
            source_kind="purchase",
            **common,
        )
    elif line.kind == Item.Kind.CARD and item.card_type == Item.CardType.SESSIONS:
        sessions = (item.card_sessions or 0) * line.quantity
        if sessions and item.card_service_id:
            treatments.grant_entitlement(
                item=item.card_service,
                sessions=sessions,
                unit_value_amount=to_money(line.amount / sessions),
                source_kind="session_card",
                **common,
            )
    elif line.kind == Item.Kind.PACKAGE:
        parts = [c for c in item.components.all() if c.item.kind == Item.Kind.SERVICE]
        weights = [c.item.price_amount * c.quantity for c in parts]
        for part, value in zip(parts, allocate(line.amount, weights), strict=True):
            sessions = part.quantity * line.quantity
            treatments.grant_entitlement(
                item=part.item,
                sessions=sessions,
                unit_value_amount=to_money(value / sessions),
                source_kind="package",
                **common,
            )


def open_course_count(customer_id: int):
    """The expression that counts the customer's open courses in the summary's UPDATE."""
    return treatments.open_course_count(customer_id)


def unused_sessions(line) -> int:
    return treatments.refundable_sessions(line.pk)


def revoke_units(line, units: int, *, by) -> Decimal:
    """Take back the sessions of `units` units of the line; BusinessError "sessions_used" when
    some of them were used already."""
    sessions = sessions_per_unit(line) * units
    if sessions == 0:
        return Decimal("0.00")
    return treatments.revoke_sessions(source_line_id=line.pk, sessions=sessions, by=by)


def revoke_sessions(line, sessions: int, *, by) -> Decimal:
    """Take back `sessions` unused sessions of a partly used course line; their value is what was
    paid for each (the courses' unit value). BusinessError "sessions_used" if fewer are left."""
    return treatments.revoke_sessions(source_line_id=line.pk, sessions=sessions, by=by)
