"""The follow-up workbench's task rows ({% load followups %}); no queries."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from yanzhi.core.templatetags.yanzhi import label, local_time, masked_phone, pk_url

register = template.Library()


@register.simple_tag
def task_rows(tasks, *, tab: str, everyone: bool):
    """The workbench's task links. Built here rather than by a template loop: the list shows up
    to WORKBENCH_ROWS tasks of ~20 template nodes each, which took longer than its queries."""
    auto_title, auto, owner_label = (
        gettext("到时系统自动发送"),
        gettext("自动发送"),
        gettext("负责人"),
    )
    missed = gettext("未接通%(n)s次")
    due_class = "text-nowrap text-danger" if tab == "overdue" else "text-nowrap"
    out = []
    for task in tasks:
        badges = [
            f'<span class="badge text-bg-light border">{escape(label(task, "kind"))}</span>',
            f'<span class="badge text-bg-info">{escape(label(task, "channel"))}</span>',
        ]
        if task.channel == "sms":
            badges.append(
                f'<span class="badge text-bg-light border" title="{escape(auto_title)}">'
                f'<i class="bi bi-send"></i> {escape(auto)}</span>'
            )
        if task.attempt_count:
            text = missed % {"n": task.attempt_count}
            badges.append(f'<span class="badge text-bg-warning">{escape(text)}</span>')
        details = [escape(task.title)]
        if task.item_id:
            details.append(escape(task.item.name))
        if everyone:
            details.append(f"{escape(owner_label)}:{escape(task.owner.name)}")
        if task.owner_note:
            details.append(f'<span class="text-warning-emphasis">{escape(task.owner_note)}</span>')
        out.append(
            f'<a class="list-group-item list-group-item-action" '
            f'href="{pk_url(task.pk, "followups:task-detail")}" data-task="{task.pk}">'
            f'<div class="d-flex flex-wrap justify-content-between gap-2"><div>'
            f"<strong>{escape(task.customer.name)}</strong> "
            f'<span class="text-muted">{escape(masked_phone(task.customer.phone))}</span> '
            f"{' '.join(badges)}</div>"
            f'<div class="{due_class}"><i class="bi bi-clock"></i> '
            f"{escape(local_time(task.due_at, '%m-%d %H:%M'))}</div></div>"
            f'<div class="small">{" · ".join(details)}</div></a>'
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
