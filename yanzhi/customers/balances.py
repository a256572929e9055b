"""The customers' check of `manage.py check_balances`: the tag facts each store link copies
(CustomerStoreLink.TAG_FACTS) against the customer's summary."""

from django.db import connection
from django.db.models import Case, DecimalField, F, OuterRef, Q, Subquery, Value, When

from yanzhi.core.balances import Mismatch, register
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
    with connection.cursor() as cursor:
        cursor.execute(_STALE_COPIES)
        stale_ids = [row[0] for row in cursor.fetchall()]
    for link in links.filter(pk__in=stale_ids).order_by("pk"):
        copies = link_copies(link.customer)
        stored = {key: getattr(link, key) for key in copies}
        differing = {key for key in copies if stored[key] != copies[key]}
        yield Mismatch(
            "store_links",
            f"link {link.pk}",
            {key: stored[key] for key in sorted(differing)},
            {key: copies[key] for key in sorted(differing)},
        )


# columns of the same name and meaning on both
_COPIED = [
    *CustomerStoreLink.SEARCH_KEYS,
    "member_level_id",
    "source_channel_id",
    "consultant_id",
    "online_consultant_id",
    "tag_keys",
]
_STALE_COPIES = (
    "SELECT l.id FROM customers_customerstorelink l "
    "JOIN customers_customer c ON c.id = l.customer_id WHERE "
    + " OR ".join(f"l.{column} IS DISTINCT FROM c.{column}" for column in _COPIED)
    + " OR l.phone_verified <> (c.phone_verified_at IS NOT NULL)"
    " OR l.has_allergy <> (c.allergies <> '')"
)


# Each customer's tags as Customer.tag_keys writes them (tag_keys_of), per database.
_TAG_KEYS = {
    "postgresql": "SELECT customer_id, ',' || string_agg(tag_id::text, ',' ORDER BY tag_id) "
    "|| ',' AS tag_keys FROM customers_customer_tags GROUP BY customer_id",
    "sqlite": "SELECT customer_id, ',' || group_concat(tag_id, ',') || ',' AS tag_keys FROM "
    "(SELECT customer_id, tag_id FROM customers_customer_tags ORDER BY customer_id, tag_id) "
    "GROUP BY customer_id",
}


@register("customer_tag_keys")
def check_customer_tag_keys():
    """The tag ids each customer's tag_keys lists (what a store's list filters a tag by,
    queries.StoreCustomerIds) against the customer's tags."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.id FROM customers_customer c LEFT JOIN ({_TAG_KEYS[connection.vendor]}) t "
            "ON t.customer_id = c.id WHERE c.tag_keys <> COALESCE(t.tag_keys, '') ORDER BY c.id"
        )
        stale_ids = [row[0] for row in cursor.fetchall()]
    stale = Customer.objects.filter(pk__in=stale_ids).prefetch_related("tags").order_by("pk")
    for customer in stale:
        expected = tag_keys_of(tag.pk for tag in customer.tags.all())
        yield Mismatch("customer_tag_keys", f"customer {customer.pk}", customer.tag_keys, expected)
