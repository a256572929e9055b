"""Formatting of report cells by column kind (money, percent, minutes …); no queries."""

from django import template

from yanzhi.core.templatetags.yanzhi import yuan
from yanzhi.reports.tables import MINUTES, MONEY, NUMBER, PERCENT

register = template.Library()


@register.filter
def cell(row: dict | None, column) -> str:
    if not row:
        return ""
    value = row.get(column.key)
    if value is None or value == "":
        return "—" if column.kind in (PERCENT, MINUTES, NUMBER, MONEY) else ""
    if column.kind == MONEY:
        return yuan(value)
    if column.kind == PERCENT:
        return f"{value}%"
    return str(value)


@register.filter
def numeric(column) -> bool:
    return column.kind not in ("text",)


@register.filter
def change_class(value) -> str:
    if value is None:
        return "text-body-secondary"
    return "text-success" if value > 0 else "text-danger" if value < 0 else "text-body-secondary"
