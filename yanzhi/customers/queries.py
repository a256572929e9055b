"""Scoped reads of customers. Every view and endpoint reaches customers through
`customers_for(scope)`; a customer outside the scope is a 404."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from yanzhi.core.scope import Scope
from yanzhi.customers.models import Consent, ConsentDocument, Customer, CustomerStoreLink


def customers_for(scope: Scope) -> QuerySet[Customer]:
    """Customers this scope may see: the chain (HQ), the stores' own and linked customers
    (store roles), and of those only their own (consultants; a group leader: the group's)."""
    qs = Customer.objects.filter(org_id=scope.org_id)
    if scope.store_ids is not None:
        linked = CustomerStoreLink.objects.filter(
            customer_id=OuterRef("pk"), store_id__in=scope.store_ids
        )
        qs = qs.filter(Q(store_id__in=scope.store_ids) | Exists(linked))
    if scope.owner_ids is not None:
        qs = qs.filter(
            Q(consultant_id__in=scope.owner_ids) | Q(online_consultant_id__in=scope.owner_ids)
        )
    return qs


def get_customer(scope: Scope, pk: int) -> Customer:
    return get_object_or_404(customers_for(scope), pk=pk)


def current_medical_consent(customer: Customer) -> Consent | None:
    """The customer's valid consent to the clinic's current medical-data-and-photos document:
    the most recent one, not withdrawn. A new document version needs a new consent."""
    medical = ConsentDocument.Kind.MEDICAL
    return (
        Consent.objects.filter(
            org_id=customer.org_id,
            customer_id=customer.pk,
            kind=medical,
            document__kind=medical,
            document__is_current=True,
            withdrawn_at__isnull=True,
        )
        .select_related("document")
        .order_by("-granted_at", "-id")
        .first()
    )
