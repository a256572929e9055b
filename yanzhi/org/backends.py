"""The sign-in backend: Django's model backend, loading the signed-in staff member with what
every request reads from it (the organization's session rules, the stores of the data scope) in
two queries instead of one per use."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import prefetch_related_objects

from yanzhi.org.policy import SELLERS


class StaffBackend(ModelBackend):
    def get_user(self, user_id):
        model = get_user_model()
        try:  # get(), not first(): no ORDER BY to build for a primary key
            user = (
                model._default_manager.select_related("org")
                .prefetch_related("stores")
                .get(pk=user_id)
            )
        except model.DoesNotExist:
            return None
        if not self.user_can_authenticate(user):
            return None
        if user.role in SELLERS:  # their scope also covers the customers of the group they lead
            prefetch_related_objects([user], "led_groups__members")
        return user
