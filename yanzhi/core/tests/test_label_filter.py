from django.utils import translation

from yanzhi.core.templatetags.yanzhi import label
from yanzhi.scheduling.models import Appointment


def test_label_is_the_display_value_in_the_active_language():
    appointment = Appointment(status=Appointment.Status.NO_SHOW, purpose="checkup")
    for language in ("zh-hans", "en", "zh-hans"):
        with translation.override(language):
            assert label(appointment, "status") == appointment.get_status_display()
            assert label(appointment, "purpose") == appointment.get_purpose_display()
    with translation.override("en"):
        english = label(appointment, "status")
    with translation.override("zh-hans"):
        assert label(appointment, "status") == "爽约" != english


def test_a_value_outside_the_choices_shows_as_itself():
    appointment = Appointment(status="archived")
    assert label(appointment, "status") == "archived" == appointment.get_status_display()


def test_a_missing_object_shows_nothing():
    assert label(None, "status") == ""
