from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "yanzhi.sales"
    label = "sales"

    def ready(self):
        from yanzhi.core import events
        from yanzhi.sales import attribution

        events.subscribe("visit.doctor_changed", attribution.follow_visit_doctor)
        events.subscribe("customer.channel_changed", attribution.follow_customer_channel)

        # rows kept per process (org.settings_cache)
        from yanzhi.org import settings_cache
        from yanzhi.sales.models import DealDefinition

        settings_cache.watch(DealDefinition)
