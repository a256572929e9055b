"""The sign-in backend: Django's model backend, loading the signed-in staff member with what
every request reads from it (the organization's session rules, the stores of the data scope):
one query, the stores (and a group leader's groups) kept per process with the chain's settings
(org.settings_cache: a store, a group or a staff member's stores changing moves its version)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import prefetch_related_objects

from yanzhi.org import settings_cache
from yanzhi.org.policy import SELLERS


class StaffBackend(ModelBackend):
    def get_user(self, user_id):
        model = get_user_model()
        try:  # get(), not first(): no ORDER BY to build for a primary key
            user = model._default_manager.select_related("org").get(pk=user_id)
        except model.DoesNotExist:
            return None
        if not self.user_can_authenticate(user):
            return None
        # their scope also covers the customers of the group they lead
        lookups = ("stores", "led_groups__members") if user.role in SELLERS else ("stores",)

        def load():
            prefetch_related_objects([user], *lookups)
            return dict(user._prefetched_objects_cache)

        key = ("staff_scope", user.pk, user.role)
        prefetched = settings_cache.cached_at(user.org_id, user.org.settings_version, key, load)
        user._prefetched_objects_cache = dict(prefetched)
        return user
