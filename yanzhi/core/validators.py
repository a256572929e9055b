"""Chinese mobile numbers and resident ID numbers (GB 11643-1999), and their masked forms."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


def normalize_mobile(value: str) -> str:
    """Strip spaces, dashes and a +86 / 0086 prefix."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def validate_cn_mobile(value: str) -> None:
    if not MOBILE_RE.match(value or ""):
        raise ValidationError(_("请输入11位中国大陆手机号码"), code="invalid_mobile")


def id_card_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def normalize_id_card(value: str) -> str:
    return (value or "").strip().upper()


def id_card_birth_date(value: str) -> date | None:
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except (ValueError, IndexError):
        return None


def validate_id_card(value: str, *, today: date | None = None) -> None:
    """18 characters: 6-digit region, birth date, 3-digit sequence, check character.
    `today` (the store's day) bounds the birth date; without it the server's date is used."""
    if not re.fullmatch(r"[1-9]\d{16}[\dX]", value or ""):
        raise ValidationError(_("身份证号码应为18位,最后一位可以是数字或X"), code="invalid_id_card")
    birth = id_card_birth_date(value)
    if birth is None or birth.year < 1900 or birth > (today or date.today()):
        raise ValidationError(_("身份证号码中的出生日期无效"), code="invalid_id_card")
    if id_card_check_char(value[:17]) != value[17]:
        raise ValidationError(_("身份证号码校验位不正确"), code="invalid_id_card")


def id_card_gender(value: str) -> str:
    """'male' or 'female' from the 17th digit (odd is male)."""
    return "male" if int(value[16]) % 2 else "female"


def mask_phone(value: str) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"


def mask_id_card(value: str) -> str:
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return f"{value[:4]}**********{value[-4:]}"
