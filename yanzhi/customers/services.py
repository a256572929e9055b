"""Business actions on customers."""

from django.db import transaction
from django.db.models import F

from yanzhi.customers.models import Customer, CustomerStoreLink, CustomerSummary


def ensure_summary(customer: Customer) -> CustomerSummary:
    summary, _created = CustomerSummary.objects.get_or_create(
        customer=customer, defaults={"org_id": customer.org_id, "store_id": customer.store_id}
    )
    return summary


@transaction.atomic
def link_customer_to_store(customer: Customer, *, store_id: int) -> None:
    """Let another store's staff serve this customer (booked or arrived there)."""
    if store_id == customer.store_id:
        return
    CustomerStoreLink.objects.get_or_create(
        customer=customer, store_id=store_id, defaults={"org_id": customer.org_id}
    )


def note_visit(*, customer_id: int, arrived_at, visit_type: str) -> None:
    """Keep the summary's visit facts current; called inside the arrival transaction."""
    summary = CustomerSummary.objects.select_for_update().get(customer_id=customer_id)
    summary.visit_count = F("visit_count") + 1
    if summary.first_visit_at is None or arrived_at < summary.first_visit_at:
        summary.first_visit_at = arrived_at
    if summary.last_visit_at is None or arrived_at >= summary.last_visit_at:
        summary.last_visit_at, summary.last_visit_type = arrived_at, visit_type
    summary.save(
        update_fields=["visit_count", "first_visit_at", "last_visit_at", "last_visit_type", "updated_at"]
    )
