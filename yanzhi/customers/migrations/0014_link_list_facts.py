"""The store links copy what the customer list filters on (level, channel, consultants,
verified phone, allergy), backfilled range by range; the indexes a store's list reads its own
and linked customers from carry those columns (docs/decisions.md, "Speed at chain size")."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from yanzhi.core.backfill import by_id_ranges

BACKFILL = """
UPDATE customers_customerstorelink SET member_level_id = c.member_level_id,
    source_channel_id = c.source_channel_id, consultant_id = c.consultant_id,
    online_consultant_id = c.online_consultant_id,
    phone_verified = (c.phone_verified_at IS NOT NULL), has_allergy = (c.allergies <> '')
FROM customers_customer c
WHERE c.id = customers_customerstorelink.customer_id AND %s
"""
RANGE = "customers_customerstorelink.id BETWEEN %s AND %s"
STALE = """(customers_customerstorelink.member_level_id IS DISTINCT FROM c.member_level_id
    OR customers_customerstorelink.source_channel_id IS DISTINCT FROM c.source_channel_id
    OR customers_customerstorelink.consultant_id IS DISTINCT FROM c.consultant_id
    OR customers_customerstorelink.online_consultant_id IS DISTINCT FROM c.online_consultant_id
    OR customers_customerstorelink.phone_verified <> (c.phone_verified_at IS NOT NULL)
    OR customers_customerstorelink.has_allergy <> (c.allergies <> ''))"""


class Migration(migrations.Migration):
    atomic = False  # the backfill commits range by range (yanzhi.core.backfill)

    dependencies = [
        ("customers", "0013_store_list_newest_first"),
        ("org", "0005_organization_settings_version"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="customerstorelink",
            name="consultant",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="customerstorelink",
            name="has_allergy",
            field=models.BooleanField(db_default=False, editable=False),
        ),
        migrations.AddField(
            model_name="customerstorelink",
            name="member_level",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="customers.membershiplevel",
            ),
        ),
        migrations.AddField(
            model_name="customerstorelink",
            name="online_consultant",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="customerstorelink",
            name="phone_verified",
            field=models.BooleanField(db_default=False, editable=False),
        ),
        migrations.AddField(
            model_name="customerstorelink",
            name="source_channel",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="customers.sourcechannel",
            ),
        ),
        migrations.RunPython(
            by_id_ranges("customers_customerstorelink", BACKFILL % RANGE),
            migrations.RunPython.noop,
            elidable=True,
        ),
        # links made by the running app while the ranges were filled
        migrations.RunSQL(BACKFILL % STALE, migrations.RunSQL.noop, elidable=True),
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
                ),
                name="link_store_newest",
            ),
        ),
    ]
