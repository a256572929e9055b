"""Formatting of report cells by column kind (money, percent, minutes …); no queries."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

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


@register.simple_tag
def table_rows(table, querystring: str):
    """The <tr> rows of a report table. Built here rather than by a template loop over rows ×
    columns: a monthly report of a chain lists hundreds of people, and the loop's ~3 template
    nodes per cell took longer than the report's SQL."""
    numeric_columns = [numeric(c) for c in table.columns]
    out = []
    for row in table.rows:
        out.append("<tr>")
        for index, column in enumerate(table.columns):
            text = conditional_escape(cell(row, column))
            out.append('<td class="text-end">' if numeric_columns[index] else "<td>")
            drill = row.get("drill") if index == 0 else None
            if drill:
                href = conditional_escape(f"?{querystring}&parent={drill}")
                target = conditional_escape(drill)
                out.append(f'<a href="{href}" class="drill" data-category="{target}">{text}</a>')
            else:
                out.append(text)
            out.append("</td>")
        out.append("</tr>")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
