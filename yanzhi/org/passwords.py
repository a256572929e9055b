"""Password policy per clinic: the standard preset and the stricter MLPS level 3 (等保三级) preset."""

import re
from datetime import timedelta

from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import (
    CommonPasswordValidator,
    UserAttributeSimilarityValidator,
)
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

MIN_LENGTH = 12
MLPS3_MAX_AGE = timedelta(days=90)
MLPS3_HISTORY = 5
CHARACTER_CLASSES = (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]")


def password_problems(org, password: str, staff=None) -> list[str]:
    """Every rule of the clinic's policy that the password breaks (empty when acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("密码至少需要%(n)d个字符") % {"n": MIN_LENGTH})
    try:
        CommonPasswordValidator().validate(password)
    except ValidationError:
        problems.append(_("这个密码太常见,容易被猜到"))
    if staff is not None:
        try:
            UserAttributeSimilarityValidator(("username", "name", "mobile")).validate(
                password, staff
            )
        except ValidationError:
            problems.append(_("密码与登录名、姓名或手机号太相似"))
    if org.password_policy == "mlps3":
        classes = sum(1 for pattern in CHARACTER_CLASSES if re.search(pattern, password))
        if classes < 3:
            problems.append(_("密码需包含大写字母、小写字母、数字、符号中的至少三类"))
        if staff is not None and staff.pk and _reused(staff, password):
            problems.append(_("不能使用最近%(n)d次用过的密码") % {"n": MLPS3_HISTORY})
    return problems


def _reused(staff, password: str) -> bool:
    if staff.password and check_password(password, staff.password):
        return True
    recent = staff.password_history.all()[:MLPS3_HISTORY]
    return any(check_password(password, old.password) for old in recent)


def password_expired(staff) -> bool:
    """Under MLPS3 a password must be changed every 90 days."""
    if staff.org.password_policy != "mlps3":
        return False
    changed = staff.password_changed_at
    return changed is None or timezone.now() - changed > MLPS3_MAX_AGE


def password_change_required(staff) -> bool:
    """A reset by a manager (any policy) or an expired password (MLPS3) forces a change."""
    return staff.must_change_password or password_expired(staff)
