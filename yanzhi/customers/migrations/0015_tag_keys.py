"""The customers' tag ids as text (Customer.tag_keys, ",4,10,"), copied onto their store links,
backfilled range by range; the indexes a store's list reads carry it, so a store's list
filtered by a tag tests it on the store's index entries (docs/decisions.md, "Speed at chain
size")."""

from django.db import migrations, models

from yanzhi.core.backfill import by_id_ranges

CUSTOMERS = {
    "postgresql": """
UPDATE customers_customer SET tag_keys = t.tag_keys
FROM (SELECT customer_id, ',' || string_agg(tag_id::text, ',' ORDER BY tag_id) || ',' AS tag_keys
      FROM customers_customer_tags WHERE customer_id BETWEEN %s AND %s GROUP BY customer_id) t
WHERE t.customer_id = customers_customer.id
""",
    "sqlite": """
UPDATE customers_customer SET tag_keys = (
    SELECT ',' || group_concat(tag_id, ',') || ',' FROM (
        SELECT tag_id FROM customers_customer_tags t
        WHERE t.customer_id = customers_customer.id ORDER BY tag_id))
WHERE id BETWEEN %s AND %s
  AND EXISTS (SELECT 1 FROM customers_customer_tags t WHERE t.customer_id = customers_customer.id)
""",
}
LINKS = """
UPDATE customers_customerstorelink SET tag_keys = c.tag_keys
FROM customers_customer c
WHERE c.id = customers_customerstorelink.customer_id AND c.tag_keys <> ''
  AND customers_customerstorelink.id BETWEEN %s AND %s
"""


def fill_customers(apps, schema_editor):
    sql = CUSTOMERS[schema_editor.connection.vendor]
    by_id_ranges("customers_customer", sql)(apps, schema_editor)


class Migration(migrations.Migration):
    atomic = False  # the backfill commits range by range (yanzhi.core.backfill)

    dependencies = [
        ("customers", "0014_link_list_facts"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="tag_keys",
            field=models.TextField(blank=True, db_default="", editable=False),
        ),
        migrations.AddField(
            model_name="customerstorelink",
            name="tag_keys",
            field=models.TextField(blank=True, db_default="", editable=False),
        ),
        migrations.RunPython(fill_customers, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(
            by_id_ranges("customers_customerstorelink", LINKS),
            migrations.RunPython.noop,
            elidable=True,
        ),
        migrations.RemoveIndex(
            model_name="customer",
            name="customer_store_newest",
        ),
        migrations.RemoveIndex(
            model_name="customerstorelink",
            name="link_store_newest",
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                fields=["org", "store", "created_at", "id"],
                include=(
                    "member_level",
                    "source_channel",
                    "consultant",
                    "online_consultant",
                    "phone_verified_at",
                    "allergies",
                    "tag_keys",
                ),
                name="customer_store_newest",
            ),
        ),
        migrations.AddIndex(
            model_name="customerstorelink",
            index=models.Index(
                fields=["org", "store", "customer_created_at", "customer"],
                include=(
                    "member_level",
                    "source_channel",
                    "consultant",
                    "online_consultant",
                    "phone_verified",
                    "has_allergy",
                    "tag_keys",
                ),
                name="link_store_newest",
            ),
        ),
    ]
