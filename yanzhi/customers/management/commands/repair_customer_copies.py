"""Rewrite the copies a store's customer list reads where they differ from their source.

    manage.py repair_customer_copies

Each customer's tag_keys from its tags, then each store link's copied search keys and list
facts from its customer (customers.services.repair_customer_copies); `check_balances`
(`customer_tag_keys`, `store_links`) reports what this would rewrite."""

from django.core.management.base import BaseCommand

from yanzhi.customers.services import repair_customer_copies


class Command(BaseCommand):
    help = "Rewrite the customer list's copies (tag keys, store links) that differ."

    def handle(self, *args, **options):
        customers, links = repair_customer_copies()
        self.stdout.write(
            self.style.SUCCESS(f"rewrote the tag keys of {customers} customers, {links} links")
        )
