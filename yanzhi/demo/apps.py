from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "yanzhi.demo"
    label = "demo"
