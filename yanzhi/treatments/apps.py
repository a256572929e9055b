from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "yanzhi.treatments"
    label = "treatments"
