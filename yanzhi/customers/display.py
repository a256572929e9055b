"""How a customer appears in search results and lists: the columns a store chose, with phone
numbers masked. Pure formatting; no queries (the caller select_related what it shows)."""

from datetime import date

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yanzhi.core.timeutil import store_today
from yanzhi.core.validators import mask_phone
from yanzhi.customers.models import Customer

FIELD_LABELS = {
    "name": _("姓名"),
    "phone": _("手机号"),
    "member_no": _("会员号"),
    "gender": _("性别"),
    "age": _("年龄"),
    "consultant": _("咨询师"),
    "doctor": _("医生"),
    "source_channel": _("来源渠道"),
    "last_visit_at": _("最近到访"),
    "tags": _("标签"),
    "store": _("门店"),
}


def age_on(birth_date: date | None, today: date) -> int | None:
    if birth_date is None:
        return None
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def customer_age(customer) -> int | None:
    return age_on(customer.birth_date, store_today(customer.store))


def columns(fields) -> list[tuple[str, str]]:
    return [(f, FIELD_LABELS[f]) for f in fields if f in FIELD_LABELS]


def search_lines(rows, fields) -> list[SafeString]:
    """The line under each search result's name (`search.SearchRow`s): the store's columns as
    HTML, built in Python once per row (a template's per-cell branches cost more than the
    query); the labels are translated once per list, not once per row."""
    texts = {
        "age": gettext("%(age)s岁"),
        "last_visit_at": gettext("最近到访 %(day)s"),
        "genders": {value: str(label) for value, label in Customer.Gender.choices},
        "todays": {},  # the stores' "today" for ages, by time zone
    }
    lines = []
    for row in rows:
        parts = []
        for field in fields:
            if field == "tags":
                parts += [
                    f'<span class="tag-chip" style="background:{escape(t.color)}">'
                    f"{escape(t.name)}</span>"
                    for t in row.tags
                ]
                continue
            text = _search_text(row, field, texts)
            if text != "":
                parts.append(f'<span class="me-2 text-nowrap">{escape(text)}</span>')
        lines.append(SafeString("".join(parts)))
    return lines


def _search_text(row, field: str, texts: dict):
    if field == "phone":
        return mask_phone(row.phone)
    if field == "member_no":
        return row.member_no
    if field == "gender":
        return texts["genders"].get(row.gender, row.gender)
    if field == "age":
        today = texts["todays"].get(row.store_timezone)
        if today is None:
            today = texts["todays"][row.store_timezone] = store_today(row)
        age = age_on(row.birth_date, today)
        return "" if age is None else texts["age"] % {"age": age}
    if field == "consultant":
        return row.consultant_name
    if field == "doctor":
        return row.doctor_name
    if field == "source_channel":
        return row.channel_name
    if field == "last_visit_at":
        if row.last_visit_at is None:
            return ""
        day = timezone.localtime(row.last_visit_at).strftime("%Y-%m-%d")
        return texts["last_visit_at"] % {"day": day}
    if field == "store":
        return row.store_name
    return ""
