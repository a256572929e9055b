"""The day grid's rows ({% load scheduling %}); no queries."""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from yanzhi.core.templatetags.yanzhi import choice_labels, masked_phone, pk_url
from yanzhi.scheduling.models import Appointment

register = template.Library()


@register.simple_tag
def day_grid_rows(view, rows, can_book):
    """The day view's grid rows (slots × columns with the appointments starting in each).
    Built here rather than by a template loop: a store's day is ~25 slots × its doctors, with
    ~50 appointments, ~20 template nodes each, which took longer than the page's queries."""
    off_duty = f' title="{escape(gettext("非工作时间"))}"'
    busy = escape(gettext("已占用"))
    book_title = escape(gettext("预约此时段"))
    # The booking link of an empty slot; the slot's start and the column go after it.
    book_url = f"{reverse('scheduling:book')}?store={view.store.pk}&day={view.day:%Y-%m-%d}&start="
    by = escape(view.by)
    purposes = choice_labels(Appointment, "purpose")
    statuses = choice_labels(Appointment, "status")
    zone = timezone.get_current_timezone()  # what the local_time filter shows
    out = []
    for slot, cells in rows:
        start = f"{slot:%H:%M}"
        out.append(f'<tr><th class="time-col small text-muted fw-normal">{start}</th>')
        for column, working, appointments in cells:
            out.append('<td class="">' if working else f'<td class="off-duty"{off_duty}>')
            for a in appointments:
                span = f"{a.starts_at.astimezone(zone):%H:%M}-{a.ends_at.astimezone(zone):%H:%M}"
                if not a.visible:  # another consultant's customer: only that the time is taken
                    out.append(f'<span class="appt-block busy">{span} {busy}</span>')
                    continue
                items = f" · {escape(a.items)}" if a.items else ""
                out.append(
                    f'<a class="appt-block status-{escape(a.status)}" '
                    f'href="{pk_url(a.pk, "scheduling:appointment-detail")}">'
                    f"<strong>{span}</strong> {escape(a.customer.name)} "
                    f'<span class="text-muted">{escape(masked_phone(a.customer.phone))}</span><br>'
                    f"{escape(purposes.get(a.purpose, a.purpose))}{items} · "
                    f"{escape(statuses.get(a.status, a.status))}</a>"
                )
            if not appointments and working and can_book:
                out.append(
                    f'<a class="slot-link" href="{book_url}{start}&{by}={column.key}" '
                    f'title="{book_title}">+</a>'
                )
            out.append("</td>")
        out.append("</tr>")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
