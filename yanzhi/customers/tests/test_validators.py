from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from yanzhi.core.validators import (
    id_card_birth_date,
    id_card_gender,
    normalize_mobile,
    validate_cn_mobile,
    validate_id_card,
)
from yanzhi.customers.tests.conftest import make_id_card


@pytest.mark.parametrize("raw", ["13812345678", "+86 138 1234 5678", "0086-19912345678"])
def test_valid_mobile_numbers_pass_after_normalising(raw):
    validate_cn_mobile(normalize_mobile(raw))


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "1381234567a", ""])
def test_invalid_mobile_numbers_fail(raw):
    with pytest.raises(ValidationError):
        validate_cn_mobile(normalize_mobile(raw))


def test_id_card_with_x_check_character():
    # given: a known number whose check character is X
    number = "11010519491231002X"
    # then
    validate_id_card(number)
    assert id_card_gender(number) == "female"
    assert id_card_birth_date(number) == date(1949, 12, 31)


@pytest.mark.parametrize(
    "number",
    [
        make_id_card(birth="19900230"),  # 30 February
        make_id_card(birth="18891231"),  # before 1900
        make_id_card(birth="20990101"),  # in the future
        "11010519491231002",  # 17 characters
        "01010519491231002X",  # region cannot start with 0
    ],
)
def test_bad_id_cards_fail(number):
    with pytest.raises(ValidationError):
        validate_id_card(number, today=date(2026, 1, 1))


def test_future_birth_date_is_relative_to_the_given_day():
    number = make_id_card(birth="20260105")
    validate_id_card(number, today=date(2026, 1, 5))
    with pytest.raises(ValidationError):
        validate_id_card(number, today=date(2026, 1, 4))


valid_ids = st.builds(
    lambda region, birth, seq: make_id_card(
        birth=birth.strftime("%Y%m%d"), seq=f"{seq:03d}", region=str(region)
    ),
    st.integers(min_value=110000, max_value=659999),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
    st.integers(min_value=0, max_value=999),
)


@given(valid_ids)
def test_generated_valid_ids_pass(number):
    validate_id_card(number, today=date(2026, 1, 1))


@given(valid_ids, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=9))
def test_changing_any_one_character_fails(number, position, shift):
    # given: one character replaced by a different one
    alphabet = "0123456789X" if position == 17 else "0123456789"
    old = number[position]
    new = alphabet[(alphabet.index(old) + shift) % len(alphabet)]
    changed = number[:position] + new + number[position + 1 :]
    # then: the check character catches it (or the date or the region becomes invalid)
    with pytest.raises(ValidationError):
        validate_id_card(changed, today=date(2026, 1, 1))
