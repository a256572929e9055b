"""Money is Decimal with two places (CNY, fen precision); never float."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

CENT = Decimal("0.01")


class MoneyField(models.DecimalField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("default", Decimal("0.00"))
        super().__init__(*args, **kwargs)


def to_money(value) -> Decimal:
    """Quantize to fen, rounding half up (the convention of Chinese invoices)."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split total across weights so the parts add up to total exactly (largest remainder)."""
    total = to_money(total)
    weight_sum = sum(weights, Decimal(0))
    if not weights:
        return []
    if weight_sum == 0:
        weights, weight_sum = [Decimal(1)] * len(weights), Decimal(len(weights))
    cents = int(total / CENT)
    raw = [Decimal(cents) * w / weight_sum for w in weights]
    parts = [int(r) for r in raw]
    leftover = cents - sum(parts)
    by_remainder = sorted(range(len(raw)), key=lambda i: (raw[i] - parts[i], -i), reverse=True)
    for i in by_remainder[:leftover]:
        parts[i] += 1
    return [Decimal(p) * CENT for p in parts]
