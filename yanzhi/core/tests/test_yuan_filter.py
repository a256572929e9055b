from decimal import Decimal

import pytest

from yanzhi.core.templatetags.yanzhi import yuan


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1280"), "¥1,280.00"),
        (Decimal("0"), "¥0.00"),
        (Decimal("-1000.5"), "-¥1,000.50"),  # a refund: the sign before the currency
        ("-0.01", "-¥0.01"),
        (None, ""),
    ],
)
def test_yuan_shows_the_sign_before_the_currency(value, shown):
    assert yuan(value) == shown
