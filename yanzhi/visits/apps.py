from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "yanzhi.visits"
    label = "visits"

    def ready(self):
        from yanzhi.core import events
        from yanzhi.visits import services

        events.subscribe("customer.channel_changed", services.follow_customer_channel)
