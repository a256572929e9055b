from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "yanzhi.scheduling"
    label = "scheduling"
