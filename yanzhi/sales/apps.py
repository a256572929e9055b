from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "yanzhi.sales"
    label = "sales"
