from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "yanzhi.org"
    label = "org"
