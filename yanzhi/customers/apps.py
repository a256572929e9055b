from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "yanzhi.customers"
    label = "customers"
