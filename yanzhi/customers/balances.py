"""The customers' check of `manage.py check_balances`: the tag facts each store link copies
(CustomerStoreLink.TAG_FACTS) against the customer's summary."""

from django.db.models import Case, DecimalField, F, OuterRef, Q, Subquery, Value, When

from yanzhi.core.balances import Mismatch, register
from yanzhi.customers import copies
from yanzhi.customers.models import Customer, CustomerStoreLink, CustomerSummary, tag_keys_of
from yanzhi.customers.services import link_copies, link_tag_facts
from yanzhi.customers.tags import TagState


@register("link_tag_facts")
def check_link_tag_facts():
    summary = CustomerSummary.objects.filter(customer_id=OuterRef("customer_id"))
    derived = {
        "s_activity": Subquery(summary.values("activity")[:1]),
        "s_last_visit_type": Subquery(summary.values("last_visit_type")[:1]),
        "s_deal_count": Subquery(summary.values("deal_count")[:1]),
        "s_arrears": Subquery(summary.values("arrears_amount")[:1], output_field=DecimalField()),
    }
    links = CustomerStoreLink.objects.annotate(**derived).annotate(
        s_owes=Case(When(s_arrears__gt=0, then=Value(True)), default=Value(False))
    )
    differing = (
        ~Q(activity=F("s_activity"))
        | ~Q(last_visit_type=F("s_last_visit_type"))
        | ~Q(deal_count=F("s_deal_count"))
        | ~Q(has_arrears=F("s_owes"))
    )
    with_summary = links.filter(s_activity__isnull=False).filter(differing)
    for link in with_summary.order_by("pk").iterator():
        stored = {name: getattr(link, name) for name in CustomerStoreLink.TAG_FACTS}
        yield Mismatch("link_tag_facts", f"link {link}", stored, _derived(link))
    # a link of a customer without a summary carries the facts of none
    none = link_tag_facts(None)
    without = links.filter(s_activity__isnull=True).exclude(**none)
    for link in without.order_by("pk").iterator():
        stored = {name: getattr(link, name) for name in CustomerStoreLink.TAG_FACTS}
        yield Mismatch("link_tag_facts", f"link {link}", stored, none)


def _derived(link) -> dict:
    state = TagState(
        deal_count=link.s_deal_count,
        activity=link.s_activity,
        last_visit_type=link.s_last_visit_type,
        has_arrears=link.s_owes,
    )
    return state.as_dict()


@register("store_links")
def check_store_links():
    """What a store's customer list counts, orders and filters by (queries.StoreCustomerIds):
    a link never points at its customer's own store, and carries the customer's created_at,
    search keys and list facts."""
    links = CustomerStoreLink.objects.select_related("customer")
    own_store = links.filter(store_id=F("customer__store_id"))
    for link in own_store.order_by("pk").iterator():
        yield Mismatch("store_links", f"link {link.pk}", link.store_id, "not the customer's store")
    stale = links.exclude(customer_created_at=F("customer__created_at"))
    for link in stale.order_by("pk").iterator():
        yield Mismatch(
            "store_links", f"link {link.pk}", link.customer_created_at, link.customer.created_at
        )
    # the search keys and list facts each link copies (link_copies)
    for link in links.filter(pk__in=copies.stale_link_ids()).order_by("pk"):
        expected = link_copies(link.customer)
        stored = {key: getattr(link, key) for key in expected}
        differing = sorted(key for key in expected if stored[key] != expected[key])
        yield Mismatch(
            "store_links",
            f"link {link.pk}",
            {key: stored[key] for key in differing},
            {key: expected[key] for key in differing},
        )


@register("customer_tag_keys")
def check_customer_tag_keys():
    """The tag ids each customer's tag_keys lists (what a store's list filters a tag by,
    queries.StoreCustomerIds) against the customer's tags."""
    stale_ids = copies.stale_tag_key_ids()
    stale = Customer.objects.filter(pk__in=stale_ids).prefetch_related("tags").order_by("pk")
    for customer in stale:
        expected = tag_keys_of(tag.pk for tag in customer.tags.all())
        yield Mismatch("customer_tag_keys", f"customer {customer.pk}", customer.tag_keys, expected)
