from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "yanzhi.reports"
    label = "reports"
