from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "yanzhi.core"
    label = "core"
