from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def qty(value) -> str:
    """A stock quantity as staff write it: 3, 1.5, -0.25 (no trailing zeros)."""
    if value is None or value == "":
        return ""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
