# The backfill of 0004 runs in its own transaction first (PostgreSQL refuses to alter a table
# with pending trigger events in the same transaction).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("followups", "0004_call_attempts")]

    operations = [
        migrations.AlterField(
            model_name="followuptask",
            name="first_due_at",
            field=models.DateTimeField(verbose_name="首次应回访时间"),
        ),
    ]
