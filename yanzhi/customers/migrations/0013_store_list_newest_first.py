"""The customer list's default order, newest first, read from indexes: the customer's
created_at copied onto its store links (backfilled range by range), and indexes on
(org, store, created_at) for a store's own and linked customers and (org, created_at) for the
chain (docs/decisions.md, "Speed at chain size")."""

from django.db import migrations, models

from yanzhi.core.backfill import by_id_ranges

BACKFILL = """
UPDATE customers_customerstorelink SET customer_created_at = c.created_at
FROM customers_customer c
WHERE c.id = customers_customerstorelink.customer_id
  AND customers_customerstorelink.id BETWEEN %s AND %s
"""


class Migration(migrations.Migration):
    atomic = False  # the backfill commits range by range (yanzhi.core.backfill)

    dependencies = [
        ("customers", "0012_fewer_fk_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="customerstorelink",
            name="customer_created_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunPython(
            by_id_ranges("customers_customerstorelink", BACKFILL),
            migrations.RunPython.noop,
            elidable=True,
        ),
        # links made by the running app while the ranges were filled
        migrations.RunSQL(
            "UPDATE customers_customerstorelink SET customer_created_at = ("
            "SELECT c.created_at FROM customers_customer c"
            " WHERE c.id = customers_customerstorelink.customer_id)"
            " WHERE customer_created_at IS NULL",
            migrations.RunSQL.noop,
            elidable=True,
        ),
        migrations.AlterField(
            model_name="customerstorelink",
            name="customer_created_at",
            field=models.DateTimeField(editable=False),
        ),
        migrations.AddIndex(
            model_name="customerstorelink",
            index=models.Index(
                fields=["org", "store", "customer_created_at", "customer"],
                name="link_store_newest",
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                fields=["org", "store", "created_at", "id"], name="customer_store_newest"
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["org", "created_at", "id"], name="customer_org_newest"),
        ),
    ]
