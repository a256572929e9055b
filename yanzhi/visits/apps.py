from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "yanzhi.visits"
    label = "visits"
