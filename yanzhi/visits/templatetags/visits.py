"""The visit stage badge and the today page's rows ({% load visits %}); no queries."""

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from yanzhi.core.templatetags.yanzhi import label, local_time, masked_phone, pk_url

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


@register.simple_tag
def appointment_rows(appointments, allowed):
    """The today page's appointment rows. Built here rather than by a template loop: a busy
    store books ~50 a day, ~25 template nodes each, which took longer than the page's queries."""
    labels = {
        "time": gettext("时间"),
        "customer": gettext("客户"),
        "purpose": gettext("预约类型"),
        "doctor": gettext("医生"),
        "consultant": gettext("咨询师"),
        "status": gettext("状态"),
        "allergy": gettext("过敏"),
        "register": gettext("登记到店"),
        "view": gettext("查看到访"),
    }
    labels = {key: escape(text) for key, text in labels.items()}
    can_register = "visit.register" in allowed
    register_url = reverse("visits:visit-new")
    out = []
    for a in appointments:
        customer = a.customer
        allergy = (
            f' <span class="badge text-bg-danger">{labels["allergy"]}</span>'
            if customer.has_allergy
            else ""
        )
        items = f' · <span class="small">{escape(a.items)}</span>' if a.items else ""
        if a.status == "booked" and can_register:
            action = (
                f'<a class="btn btn-sm btn-brand" href="{register_url}?appointment_id={a.pk}">'
                f"{labels['register']}</a>"
            )
        elif (visit := _arrival(a)) is not None:
            href = pk_url(visit.pk, "visits:visit-detail")
            action = (
                f'<a class="btn btn-sm btn-outline-secondary" href="{href}">{labels["view"]}</a>'
            )
        else:
            action = ""
        out.append(
            f'<tr><td data-label="{labels["time"]}">{escape(local_time(a.starts_at))}</td>'
            f'<td data-label="{labels["customer"]}"><a href="{pk_url(a.customer_id, "customers:detail")}">'
            f'{escape(customer.name)}</a> <span class="text-muted small">'
            f"{escape(masked_phone(customer.phone))}</span>{allergy}</td>"
            f'<td data-label="{labels["purpose"]}">{escape(label(a, "purpose"))}{items}</td>'
            f'<td data-label="{labels["doctor"]}">{escape(_name(a.doctor))}</td>'
            f'<td data-label="{labels["consultant"]}">{escape(_name(a.consultant))}</td>'
            f'<td data-label="{labels["status"]}">{escape(label(a, "status"))}</td>'
            f'<td class="text-end text-nowrap stack-action">{action}</td></tr>'
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


@register.simple_tag
def visit_rows(visits):
    """The today page's visit rows (the day's visits, my customers, those who left): built
    here for the same reason as `appointment_rows`."""
    labels = {
        "arrived": gettext("到店"),
        "customer": gettext("客户"),
        "type": gettext("到访类型"),
        "staff": gettext("咨询师/医生"),
        "stage": gettext("环节"),
        "allergy": gettext("过敏"),
    }
    labels = {key: escape(text) for key, text in labels.items()}
    out = []
    for v in visits:
        allergy = (
            f' <span class="badge text-bg-danger">{labels["allergy"]}</span>'
            if v.customer.has_allergy
            else ""
        )
        out.append(
            f'<tr><td data-label="{labels["arrived"]}">{escape(local_time(v.arrived_at))}</td>'
            f'<td data-label="{labels["customer"]}"><a href="{pk_url(v.pk, "visits:visit-detail")}">'
            f"{escape(v.customer.name)}</a>{allergy}</td>"
            f'<td data-label="{labels["type"]}">{escape(label(v, "visit_type"))}</td>'
            f'<td data-label="{labels["staff"]}">{escape(_name(v.consultant))} / '
            f"{escape(_name(v.doctor))}</td>"
            f'<td data-label="{labels["stage"]}">{stage_badge(v)}</td></tr>'
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def _arrival(appointment):
    """The appointment's visit (a reverse one-to-one, selected along), if it arrived."""
    try:
        return appointment.visit
    except ObjectDoesNotExist:
        return None


def _name(person) -> str:
    return person.name if person is not None else "—"
