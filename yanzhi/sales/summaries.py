"""Rebuilding the deal facts of the customer summaries from the deal orders (the summary is
kept current by `customers.services.note_money(dealt_at=…)` at each deal's first payment; this
recomputes it from history). A deal stays a deal after a refund (yanzhi.sales.deals), so refunds change
nothing here."""

from django.db import transaction
from django.db.models import Count, IntegerField, Max, Min, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from yanzhi.customers.models import CustomerSummary
from yanzhi.customers.services import mirror_all_tag_facts
from yanzhi.sales.models import Order


@transaction.atomic
def rebuild_deal_facts(org_id: int | None = None) -> int:
    """deal_count, first/second/last deal time of every summary (of one chain); returns rows
    updated. One UPDATE with correlated subqueries, no loop over customers."""
    summaries = CustomerSummary.objects.all()
    if org_id is not None:
        summaries = summaries.filter(org_id=org_id)
    deals = Order.objects.filter(
        customer_id=OuterRef("customer_id"), is_deal=True, paid_at__isnull=False
    )
    per_customer = deals.order_by().values("customer_id")
    updated = summaries.update(
        deal_count=Coalesce(
            Subquery(per_customer.annotate(n=Count("pk")).values("n")[:1]),
            Value(0),
            output_field=IntegerField(),
        ),
        first_deal_at=Subquery(per_customer.annotate(t=Min("paid_at")).values("t")[:1]),
        second_deal_at=Subquery(deals.order_by("paid_at", "id").values("paid_at")[1:2]),
        last_deal_at=Subquery(per_customer.annotate(t=Max("paid_at")).values("t")[:1]),
    )
    mirror_all_tag_facts(org_id)
    return updated
