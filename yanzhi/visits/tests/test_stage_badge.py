from datetime import UTC, datetime

from django.template import Context, Template
from django.utils import translation

from yanzhi.visits.models import Visit

AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)

# The markup the row badge had as an included template (visits/_stage.html), kept as it was.
OLD_STAGE = Template(
    '{% load i18n %}{% if visit.left_at %}<span class="badge text-bg-success">{% trans "已离店" %}'
    '{% if visit.left_automatically %}({% trans "自动" %}){% endif %}</span>'
    '{% elif visit.post_care_at %}<span class="badge text-bg-primary">{% trans "术后护理" %}</span>'
    '{% elif visit.treated_at %}<span class="badge text-bg-primary">{% trans "治疗" %}</span>'
    '{% elif visit.diagnosed_at %}<span class="badge text-bg-primary">{% trans "面诊" %}</span>'
    '{% elif visit.escorted_at %}<span class="badge text-bg-primary">{% trans "接待" %}</span>'
    '{% else %}<span class="badge text-bg-warning">{% trans "候诊" %}</span>{% endif %}'
)
BADGE = Template("{% load visits %}{{ visit|stage_badge }}")

STAGES = [
    {},
    {"escorted_at": AT},
    {"escorted_at": AT, "diagnosed_at": AT},
    {"diagnosed_at": AT, "treated_at": AT},
    {"treated_at": AT, "post_care_at": AT},
    {"post_care_at": AT, "left_at": AT},
    {"left_at": AT, "left_automatically": True},
]


def test_the_stage_badge_shows_the_latest_stage_in_the_active_language():
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for stage in STAGES:
                context = Context({"visit": Visit(**stage)})
                assert BADGE.render(context) == OLD_STAGE.render(context)
    with translation.override("en"):
        assert BADGE.render(Context({"visit": Visit(left_at=AT, left_automatically=True)})) == (
            '<span class="badge text-bg-success">Left(automatic)</span>'
        )
