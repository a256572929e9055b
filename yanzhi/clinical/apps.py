from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "yanzhi.clinical"
    label = "clinical"
