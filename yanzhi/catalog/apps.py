from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "yanzhi.catalog"
    label = "catalog"

    def ready(self):
        # a service's materials (and the material items) are kept per process
        # (org.settings_cache); _write_materials reports its bulk writes itself
        from yanzhi.catalog.models import Item, MaterialUsage
        from yanzhi.org import settings_cache

        settings_cache.watch(Item)
        settings_cache.watch(MaterialUsage, org_of=lambda usage: usage.service.org_id)
