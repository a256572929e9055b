"""Back-fill CustomerSummary.second_deal_at from the deal orders: the second-earliest paid deal.
(Data only; the column comes from customers 0004. It lives here because orders are the sales
app's history.)"""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    Order = apps.get_model("sales", "Order")
    CustomerSummary = apps.get_model("customers", "CustomerSummary")
    deals = Order.objects.filter(
        customer_id=OuterRef("customer_id"), is_deal=True, paid_at__isnull=False
    ).order_by("paid_at", "id")
    CustomerSummary.objects.filter(deal_count__gte=2).update(
        second_deal_at=Subquery(deals.values("paid_at")[1:2])
    )


def clear(apps, schema_editor):
    apps.get_model("customers", "CustomerSummary").objects.update(second_deal_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_summary_second_deal_at"),
        ("sales", "0003_discount_approval"),
    ]

    operations = [migrations.RunPython(backfill, clear)]
