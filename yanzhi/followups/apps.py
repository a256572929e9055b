from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "yanzhi.followups"
    label = "followups"

    def ready(self):
        # Follow-up tasks are created by the domain events of the apps below (docs/events.md),
        # in the same transaction as the action that caused them.
        from yanzhi.core import events
        from yanzhi.followups import triggers

        for name, handler in triggers.HANDLERS.items():
            events.subscribe(name, handler)

        # rows the triggers keep per process (org.settings_cache)
        from yanzhi.followups.models import (
            AdviceTemplate,
            CallingWindows,
            FollowupNode,
            FollowupRule,
        )
        from yanzhi.org import settings_cache

        settings_cache.watch(FollowupRule)
        settings_cache.watch(FollowupNode, org_of=lambda node: node.rule.org_id)
        settings_cache.watch(CallingWindows)
        settings_cache.watch(AdviceTemplate)
