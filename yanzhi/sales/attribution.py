"""Whom an order's money counts for (docs/reports.md, "Attribution"). Orders and payments carry
their people and the customer's channel on the row, so that a month of the chain's money is
summed from one index instead of being joined to orders, visits and a million customers.

An order takes the customer's online consultant and channel when it is opened; a payment takes
the order's consultant (开单人) and online consultant, the doctor of the order's visit and the
channel when it is taken, and a refund those of the payment it returns. Two corrections follow
later: the visit triaged to another doctor, and the customer's channel corrected."""

from yanzhi.sales.models import Order, Payment
from yanzhi.visits.models import Visit


def for_new_order(customer) -> dict:
    return {
        "online_consultant_id": customer.online_consultant_id,
        "customer_channel_id": customer.source_channel_id,
    }


def for_payment(order: Order) -> dict:
    """The attribution of money taken on `order` now (one query when the order has a visit)."""
    doctor_id = None
    if order.visit_id is not None:
        doctor_id = Visit.objects.filter(pk=order.visit_id).values_list("doctor_id", flat=True)[0]
    return {
        "consultant_id": order.consultant_id,
        "online_consultant_id": order.online_consultant_id,
        "doctor_id": doctor_id,
        "customer_channel_id": order.customer_channel_id,
    }


# The columns a payment keeps (docs/reports.md, "Attribution").
PAYMENT_COLUMNS = ("consultant_id", "online_consultant_id", "doctor_id", "customer_channel_id")


def for_refund(original: Payment) -> dict:
    """A refund counts against whoever the returned payment counted for."""
    return {column: getattr(original, column) for column in PAYMENT_COLUMNS}


def follow_visit_doctor(*, visit_id: int, org_id: int, doctor_id: int) -> None:
    """Handler of "visit.doctor_changed": money already taken on the visit's orders counts for
    the visit's new doctor."""
    orders = Order.objects.filter(org_id=org_id, visit_id=visit_id).values("pk")
    Payment.objects.filter(org_id=org_id, order__in=orders).update(doctor_id=doctor_id)


def follow_customer_channel(*, customer_id: int, org_id: int, channel_id: int | None) -> None:
    """Handler of "customer.channel_changed": the customer's orders and money count for the
    corrected channel."""
    orders = Order.objects.filter(org_id=org_id, customer_id=customer_id)
    Payment.objects.filter(org_id=org_id, order__in=orders.values("pk")).update(
        customer_channel_id=channel_id
    )
    orders.update(customer_channel_id=channel_id)
