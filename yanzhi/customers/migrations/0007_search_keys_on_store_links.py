from django.db import migrations, models


class Migration(migrations.Migration):
    """Search keys on the store links (copies of the customer's) and the name without its
    first character on both, so a store's search finds its linked customers by index."""

    dependencies = [
        ("customers", "0006_search_prefix_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="name_rest",
            field=models.CharField(blank=True, editable=False, max_length=49),
        ),
        migrations.AddField(
            model_name="customerstorelink",
            name="name",
            field=models.CharField(blank=True, editable=False, max_length=50),
        ),
        migrations.AddField(
            model_name="customerstorelink",
            name="name_initials",
            field=models.CharField(blank=True, editable=False, max_length=30),
        ),
        migrations.AddField(
            model_name="customerstorelink",
            name="name_pinyin",
            field=models.CharField(blank=True, editable=False, max_length=120),
        ),
        migrations.AddField(
            model_name="customerstorelink",
            name="name_rest",
            field=models.CharField(blank=True, editable=False, max_length=49),
        ),
        migrations.AddField(
            model_name="customerstorelink",
            name="phone_tail",
            field=models.CharField(blank=True, editable=False, max_length=4),
        ),
    ]
