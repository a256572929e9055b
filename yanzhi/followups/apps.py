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
