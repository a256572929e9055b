from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "yanzhi.marketing"
    label = "marketing"
