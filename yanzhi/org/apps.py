from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "yanzhi.org"
    label = "org"

    def ready(self):
        # what sign-in keeps per process (org.backends, org.settings_cache); a sign-in, a
        # failed one or a new password changes nothing kept
        from yanzhi.org import settings_cache
        from yanzhi.org.models import PeriodClose, Staff, StaffGroup, Store

        settings_cache.watch(Store)
        settings_cache.watch(PeriodClose)
        settings_cache.watch(StaffGroup)
        quiet = {"last_login", "failed_login_count", "first_failed_login_at", "locked_until"}
        quiet |= {"password", "password_changed_at", "must_change_password", "updated_at"}
        settings_cache.watch(Staff, quiet_fields=frozenset(quiet))
