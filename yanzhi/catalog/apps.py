from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "yanzhi.catalog"
    label = "catalog"
