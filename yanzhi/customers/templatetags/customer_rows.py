"""Customer rows drawn in Python: the customer list's page of rows and the dynamic-tag badges.
A template loop cost ~0.8 ms a row (a cell loop, an include and a dozen branches per row),
longer than the page's queries."""

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from yanzhi.core.templatetags.yanzhi import pk_url
from yanzhi.core.timeutil import store_today
from yanzhi.core.validators import mask_phone
from yanzhi.customers import display
from yanzhi.customers.models import Customer
from yanzhi.customers.tags import tag_pairs

register = template.Library()

_TAG_CLASSES = {
    "deal": "text-bg-info",
    "activity": "text-bg-warning",
    "allergy": "text-bg-danger",
    "arrears": "text-bg-danger",
}


def dynamic_tags_html(pairs) -> str:
    """The (kind, label) pairs of customers.tags.tags_of as badges."""
    return "".join(
        f'<span class="badge dynamic-tag dynamic-tag-{escape(kind)} '
        f'{_TAG_CLASSES.get(kind, "text-bg-light border")} me-1">{escape(label)}</span>'
        for kind, label in pairs
    )


@register.simple_tag
def dynamic_tags(pairs) -> SafeString:
    """{% dynamic_tags pairs %}: a customer's dynamic tags (profile, list, insight tables)."""
    return mark_safe(dynamic_tags_html(pairs))  # noqa: S308 - escaped above


@register.simple_tag
def customer_list_rows(rows, fields) -> SafeString:
    """{% customer_list_rows rows fields %}: the list's rows (search.ListRow) with the store's
    columns (`fields`, as display.columns shows them)."""
    texts = {
        "verified": f'<span class="badge text-bg-success">{escape(gettext("已验证"))}</span>',
        "genders": {value: str(label) for value, label in Customer.Gender.choices},
        "todays": {},  # the stores' "today" for ages, by time zone
    }
    shown = [field for field in fields if field in display.FIELD_LABELS]
    out = []
    for row in rows:
        badge = (
            f' <span class="badge text-bg-warning member-level">{escape(row.member_level_name)}'
            "</span>"
            if row.member_level_name
            else ""
        )
        out.append(
            f'<tr><td><a href="{pk_url(row.pk, "customers:detail")}">'
            f"{escape(row.name)}</a>{badge}</td>"
        )
        out += [f"<td>{_cell(row, field, texts)}</td>" for field in shown]
        tags = dynamic_tags_html(tag_pairs(row.state, allergic=row.has_allergy))
        verified = " " + texts["verified"] if row.phone_verified else ""
        out.append(f'<td class="dynamic-tags">{tags}{verified}</td></tr>')
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def _cell(row, field: str, texts: dict) -> str:
    if field == "tags":
        return "".join(
            f'<span class="tag-chip" style="background:{escape(t.color)}">{escape(t.name)}</span>'
            for t in row.tags
        )
    if field == "phone":
        return escape(mask_phone(row.phone))
    if field == "member_no":
        return escape(row.member_no)
    if field == "gender":
        return escape(texts["genders"].get(row.gender, row.gender))
    if field == "age":
        today = texts["todays"].get(row.store_timezone)
        if today is None:
            today = texts["todays"][row.store_timezone] = store_today(row)
        age = display.age_on(row.birth_date, today)
        return "" if age is None else str(age)
    if field == "last_visit_at":
        return f"{timezone.localtime(row.last_visit_at):%Y-%m-%d}" if row.last_visit_at else ""
    names = {
        "consultant": row.consultant_name,
        "doctor": row.doctor_name,
        "source_channel": row.channel_name,
        "store": row.store_name,
    }
    return escape(names.get(field, ""))
