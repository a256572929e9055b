from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "yanzhi.customers"
    label = "customers"

    def ready(self):
        # rows kept per process (org.settings_cache)
        from yanzhi.customers.models import (
            ActivitySettings,
            MembershipLevel,
            MembershipProgram,
            SourceChannel,
            Tag,
        )
        from yanzhi.org import settings_cache

        settings_cache.watch(ActivitySettings)
        settings_cache.watch(MembershipProgram)
        settings_cache.watch(MembershipLevel)
        # the customer list's filter options (customers.views._filter_choices)
        settings_cache.watch(Tag)
        settings_cache.watch(SourceChannel)
