from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "yanzhi.inventory"
    label = "inventory"
