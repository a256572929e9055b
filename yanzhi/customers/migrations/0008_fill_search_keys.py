from django.db import migrations

# SUBSTR counts characters on PostgreSQL and SQLite alike; UPDATE … FROM works on both
# (SQLite ≥ 3.33). One statement per table: a few seconds at a million customers.
FILL_CUSTOMERS = "UPDATE customers_customer SET name_rest = SUBSTR(name, 2)"
FILL_LINKS = """
UPDATE customers_customerstorelink
SET name = c.name,
    name_rest = c.name_rest,
    name_pinyin = c.name_pinyin,
    name_initials = c.name_initials,
    phone_tail = c.phone_tail
FROM customers_customer AS c
WHERE c.id = customers_customerstorelink.customer_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_search_keys_on_store_links"),
    ]

    operations = [
        migrations.RunSQL(FILL_CUSTOMERS, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(FILL_LINKS, reverse_sql=migrations.RunSQL.noop),
    ]
