"""Formatting filters available in every template (registered as a builtin)."""

from decimal import Decimal

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import get_language

from yanzhi.core.validators import mask_id_card, mask_phone

register = template.Library()


@register.filter
def yuan(value) -> str:
    """¥1,280.00; a negative amount (a refund) -¥1,000.00"""
    if value in (None, ""):
        return ""
    amount = Decimal(value)
    return f"-¥{-amount:,.2f}" if amount < 0 else f"¥{amount:,.2f}"


@register.filter
def masked_phone(value) -> str:
    """Phones are shown masked on every page; the full number needs a logged unmask action."""
    return mask_phone(value or "")


@register.filter
def masked_id(value) -> str:
    return mask_id_card(value or "")


@register.filter
def local_time(value, fmt="%H:%M"):
    if not value:
        return ""
    return timezone.localtime(value).strftime(fmt)


@register.filter
def get_item(mapping, key):
    """{{ counts|get_item:line.pk }}: a dict's value in a template (None when absent)."""
    return mapping.get(key) if hasattr(mapping, "get") else None


# (model, field, language) -> {value: label}, filled as pages ask for labels.
_CHOICE_LABELS: dict[tuple, dict] = {}


@register.filter
def label(obj, field_name: str):
    """{{ task|label:"kind" }}: what obj.get_kind_display() shows, for list rows. Django's
    get_FOO_display rebuilds the field's choices on every call and hashes every lazy label in
    them (a translation each): 1,000 translations for a 100-row list."""
    if obj is None or not hasattr(obj, "_meta"):
        return ""  # as the template shows a missing object's get_FOO_display
    value = getattr(obj, field_name)
    return choice_labels(type(obj), field_name).get(value, value)


def choice_labels(model, field_name: str) -> dict:
    """{value: label} of a model field's choices in the active language (what `label` shows),
    for code that labels many rows."""
    key = (model, field_name, get_language())
    labels = _CHOICE_LABELS.get(key)
    if labels is None:
        field = model._meta.get_field(field_name)
        labels = _CHOICE_LABELS[key] = {value: str(text) for value, text in field.flatchoices}
    return labels


# (view name, script prefix, urlconf) -> the URL's text before and after the pk.
_ROW_URLS: dict[tuple, tuple[str, str]] = {}
_PK_MARK = 2147483647  # a pk no real row has, cut out of the reversed URL


@register.filter
def pk_url(pk, view_name: str) -> str:
    """{{ v.pk|pk_url:"visits:visit-detail" }}: what {% url "visits:visit-detail" v.pk %}
    gives, reversing once per view name; a {% url %} costs ~40 µs, and busy list pages have
    hundreds of rows with a link each."""
    key = (view_name, get_script_prefix(), get_urlconf())
    parts = _ROW_URLS.get(key)
    if parts is None:
        before, mark, after = reverse(view_name, args=[_PK_MARK]).partition(str(_PK_MARK))
        parts = _ROW_URLS[key] = (before, after)
    return f"{parts[0]}{pk}{parts[1]}"


# (language, allowed actions) -> the main menu's markup (_main_menu.html). Every page draws
# the menu, the same for every page a role sees: ~30 labels and as many permission checks.
_MENUS: dict[tuple, str] = {}


@register.simple_tag
def main_menu(allowed):
    """{% main_menu allowed %}: the menu entries the signed-in staff member may use."""
    if settings.DEBUG:  # templates edited while the development server runs
        return render_to_string("_main_menu.html", {"allowed": allowed})
    key = (get_language(), frozenset(allowed))
    menu = _MENUS.get(key)
    if menu is None:
        menu = _MENUS[key] = render_to_string("_main_menu.html", {"allowed": allowed})
    return menu


@register.simple_tag(takes_context=True)
def page_url(context, number) -> str:
    """{% page_url n %}: this page's address with its query, on page n. Every value of a
    repeated parameter stays (a list filtered by two dynamic tags keeps both)."""
    query = context["request"].GET.copy()
    query["page"] = number
    return "?" + query.urlencode()


@register.inclusion_tag("core/bar_chart.html")
def bar_chart(pairs, money=False, title=""):
    """A horizontal bar chart of (label, value) pairs, drawn with plain HTML so it reads on a
    phone, prints, and needs no script. Values are numbers (Decimal money with money=True)."""
    pairs = [(label, value or 0) for label, value in pairs]
    top = max((value for _label, value in pairs), default=0)
    bars = [
        {
            "label": label,
            "value": value,
            "percent": float(value) * 100 / float(top) if top and value > 0 else 0,
        }
        for label, value in pairs
    ]
    return {"bars": bars, "money": money, "title": title}
