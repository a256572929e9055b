"""The copies a store's customer list reads (docs/decisions.md, "Speed at chain size"): each
customer's tag ids as text (Customer.tag_keys) and what a store link copies of its customer
(customers.services.link_copies). The services keep them; these find the rows whose copy
differs, for `check_balances` and for `manage.py repair_customer_copies`."""

from django.db import connection

from yanzhi.customers.models import CustomerStoreLink

# columns of the same name and meaning on both
COPIED = [
    *CustomerStoreLink.SEARCH_KEYS,
    "member_level_id",
    "source_channel_id",
    "consultant_id",
    "online_consultant_id",
    "tag_keys",
]
STALE_LINKS = (
    "SELECT l.id FROM customers_customerstorelink l "
    "JOIN customers_customer c ON c.id = l.customer_id WHERE "
    + " OR ".join(f"l.{column} IS DISTINCT FROM c.{column}" for column in COPIED)
    + " OR l.phone_verified <> (c.phone_verified_at IS NOT NULL)"
    " OR l.has_allergy <> (c.allergies <> '')"
)


# Each customer's tags as Customer.tag_keys writes them (tag_keys_of), per database.
TAG_KEYS = {
    "postgresql": "SELECT customer_id, ',' || string_agg(tag_id::text, ',' ORDER BY tag_id) "
    "|| ',' AS tag_keys FROM customers_customer_tags GROUP BY customer_id",
    "sqlite": "SELECT customer_id, ',' || group_concat(tag_id, ',') || ',' AS tag_keys FROM "
    "(SELECT customer_id, tag_id FROM customers_customer_tags ORDER BY customer_id, tag_id) "
    "GROUP BY customer_id",
}


def stale_link_ids() -> list[int]:
    """Store links whose copies differ from their customer's columns."""
    return _ids(STALE_LINKS)


def stale_tag_key_ids() -> list[int]:
    """Customers whose tag_keys differ from their tags."""
    return _ids(
        f"SELECT c.id FROM customers_customer c LEFT JOIN ({TAG_KEYS[connection.vendor]}) t "
        "ON t.customer_id = c.id WHERE c.tag_keys <> COALESCE(t.tag_keys, '') ORDER BY c.id"
    )


def _ids(sql: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]
