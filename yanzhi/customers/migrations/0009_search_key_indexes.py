import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_fill_search_keys"),
        ("org", "0004_store_discount_limit"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                fields=["org", "store", "name"],
                name="customer_store_name_prefix",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                fields=["org", "store", "name_rest"],
                name="customer_store_rest_prefix",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                fields=["org", "store", "name_pinyin"],
                name="customer_store_pinyin_prefix",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                fields=["org", "store", "name_initials"],
                name="customer_store_initials_prefix",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                models.F("org"),
                models.F("store"),
                django.db.models.functions.text.Length("name"),
                name="customer_store_name_length",
            ),
        ),
        migrations.AddIndex(
            model_name="customerstorelink",
            index=models.Index(
                fields=["org", "store", "name"],
                name="link_store_name_prefix",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="customerstorelink",
            index=models.Index(
                fields=["org", "store", "name_rest"],
                name="link_store_rest_prefix",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="customerstorelink",
            index=models.Index(
                fields=["org", "store", "name_pinyin"],
                name="link_store_pinyin_prefix",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="customerstorelink",
            index=models.Index(
                fields=["org", "store", "name_initials"],
                name="link_store_initials_prefix",
                opclasses=["int8_ops", "int8_ops", "varchar_pattern_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="customerstorelink",
            index=models.Index(fields=["org", "store", "phone_tail"], name="link_store_phone_tail"),
        ),
        migrations.AddIndex(
            model_name="customerstorelink",
            index=models.Index(
                models.F("org"),
                models.F("store"),
                django.db.models.functions.text.Length("name"),
                name="link_store_name_length",
            ),
        ),
    ]
