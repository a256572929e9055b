from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "yanzhi.insight"
    label = "insight"
