from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "yanzhi.inventory"
    label = "inventory"

    def ready(self):
        # what the stock moves keep per process (queries.default_warehouse)
        from yanzhi.inventory.models import Warehouse
        from yanzhi.org import settings_cache

        settings_cache.watch(Warehouse)
