from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "yanzhi.messaging"
    label = "messaging"
