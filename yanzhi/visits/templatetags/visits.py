"""The visit stage badge for list rows ({% load visits %})."""

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language, gettext

register = template.Library()

# language -> {stage: badge markup}, built once per language: a busy today page shows ~200
# visits, and an {% include %} with a {% trans %} per badge cost ~0.2 ms a row.
_BADGES: dict[str, dict[str, str]] = {}


def _badges() -> dict[str, str]:
    language = get_language()
    badges = _BADGES.get(language)
    if badges is None:
        primary = '<span class="badge text-bg-primary">{}</span>'
        left = gettext("已离店")
        badges = _BADGES[language] = {
            "left": format_html('<span class="badge text-bg-success">{}</span>', left),
            "left_auto": format_html(
                '<span class="badge text-bg-success">{}({})</span>', left, gettext("自动")
            ),
            "post_care": format_html(primary, gettext("术后护理")),
            "treated": format_html(primary, gettext("治疗")),
            "diagnosed": format_html(primary, gettext("面诊")),
            "escorted": format_html(primary, gettext("接待")),
            "waiting": format_html(
                '<span class="badge text-bg-warning">{}</span>', gettext("候诊")
            ),
        }
    return badges


@register.filter
def stage_badge(visit) -> str:
    """{{ v|stage_badge }}: the badge of the visit's latest stage (left, post-care, treatment,
    diagnosis, escort, or waiting)."""
    badges = _badges()
    if visit.left_at:
        return badges["left_auto" if visit.left_automatically else "left"]
    if visit.post_care_at:
        return badges["post_care"]
    if visit.treated_at:
        return badges["treated"]
    if visit.diagnosed_at:
        return badges["diagnosed"]
    if visit.escorted_at:
        return badges["escorted"]
    return badges["waiting"]
