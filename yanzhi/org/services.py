"""Business actions on the chain, its stores and staff accounts: sign-in with lockout, passwords,
staff records, settings, API tokens."""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yanzhi.core import audit
from yanzhi.core.errors import BusinessError
from yanzhi.org import policy
from yanzhi.org.models import ApiToken, Organization, PasswordHistory, Staff, Store
from yanzhi.org.passwords import password_problems

STAFF_AUDIT_FIELDS = [
    "username",
    "name",
    "mobile",
    "role",
    "title",
    "department_id",
    "group_id",
    "can_unmask",
    "is_active",
]


def _staff_snapshot(staff: Staff) -> dict:
    data = audit.snapshot(staff, STAFF_AUDIT_FIELDS)
    data["store_ids"] = sorted(s.pk for s in staff.stores.all()) if staff.pk else []
    return data


def sign_in(username: str, password: str) -> Staff:
    """Check a password; repeated failures lock the account for the clinic's lock period."""
    with transaction.atomic():
        staff = (
            Staff.objects.select_for_update()
            .select_related("org")
            .filter(username__iexact=(username or "").strip())
            .first()
        )
        if staff is None:
            make_password(password)  # same work as a real check, so timing does not reveal names
            raise BusinessError("invalid_credentials", _("登录名或密码不正确"))
        now = timezone.now()
        if staff.locked_until and staff.locked_until > now:
            minutes = max(1, int((staff.locked_until - now).total_seconds() // 60) + 1)
            raise BusinessError(
                "account_locked",
                _("登录失败次数过多,账号已锁定,请%(m)d分钟后再试") % {"m": minutes},
                status=403,
            )
        if staff.is_active and staff.check_password(password):
            staff.failed_login_count, staff.first_failed_login_at, staff.locked_until = (
                0,
                None,
                None,
            )
            staff.last_login = now
            staff.save(
                update_fields=[
                    "failed_login_count",
                    "first_failed_login_at",
                    "locked_until",
                    "last_login",
                ]
            )
            audit.record(staff, "staff.signed_in", staff)
            return staff
        org = staff.org
        window = timedelta(minutes=org.login_lock_minutes)
        if staff.first_failed_login_at is None or now - staff.first_failed_login_at > window:
            staff.failed_login_count, staff.first_failed_login_at = 0, now
        staff.failed_login_count += 1
        locked = staff.failed_login_count >= org.login_failure_limit
        if locked:
            staff.locked_until = now + window
        staff.save(update_fields=["failed_login_count", "first_failed_login_at", "locked_until"])
        audit.record(
            None,
            "staff.login_failed",
            staff,
            org_id=staff.org_id,
            note="locked" if locked else f"failure {staff.failed_login_count}",
        )
    if locked:
        raise BusinessError(
            "account_locked",
            _("登录失败次数过多,账号已锁定,请%(m)d分钟后再试") % {"m": org.login_lock_minutes},
            status=403,
        )
    raise BusinessError("invalid_credentials", _("登录名或密码不正确"))


@transaction.atomic
def unlock_staff(staff: Staff, *, by: Staff) -> Staff:
    staff.failed_login_count, staff.first_failed_login_at, staff.locked_until = 0, None, None
    staff.save(update_fields=["failed_login_count", "first_failed_login_at", "locked_until"])
    audit.record(by, "staff.unlocked", staff)
    return staff


@transaction.atomic
def set_password(
    staff: Staff, new_password: str, *, by: Staff | None, current_password: str | None = None
) -> Staff:
    """Set a password that meets the clinic's policy; under MLPS3 earlier ones cannot return."""
    if current_password is not None and not staff.check_password(current_password):
        raise BusinessError(
            "wrong_password",
            _("当前密码不正确"),
            fields={"current_password": [_("当前密码不正确")]},
        )
    problems = password_problems(staff.org, new_password, staff)
    if problems:
        raise BusinessError("weak_password", problems[0], fields={"new_password": problems})
    if staff.password:
        PasswordHistory.objects.create(staff=staff, password=staff.password)
    staff.set_password(new_password)
    staff.password_changed_at = timezone.now()
    staff.save(update_fields=["password", "password_changed_at"])
    audit.record(by, "staff.password_changed", staff)
    return staff


def _check_staff_fields(
    org: Organization,
    *,
    role: str,
    stores: list[Store],
    username: str,
    exclude_pk: int | None = None,
) -> None:
    if role not in policy.ALL_ROLES:
        raise BusinessError("invalid_role", _("未知的角色"), fields={"role": [_("未知的角色")]})
    if any(store.org_id != org.pk for store in stores):
        raise BusinessError(
            "invalid_store", _("门店不属于本机构"), fields={"stores": [_("门店不属于本机构")]}
        )
    if role != policy.HQ and not stores:
        raise BusinessError(
            "store_required",
            _("门店员工至少需要一个所属门店"),
            fields={"stores": [_("门店员工至少需要一个所属门店")]},
        )
    if Staff.objects.filter(username__iexact=username).exclude(pk=exclude_pk).exists():
        raise BusinessError(
            "duplicate_username",
            _("该登录名已被使用"),
            fields={"username": [_("该登录名已被使用")]},
        )


@transaction.atomic
def create_staff(
    org: Organization,
    *,
    username: str,
    name: str,
    role: str,
    stores: list[Store],
    password: str,
    by: Staff | None,
    mobile: str = "",
    title: str = "",
    department=None,
    group=None,
    can_unmask: bool | None = None,
) -> Staff:
    """Open a staff account; unmask permission defaults from the role."""
    username = username.strip()
    _check_staff_fields(org, role=role, stores=stores, username=username)
    staff = Staff(
        org=org,
        username=username,
        name=name.strip(),
        role=role,
        mobile=mobile,
        title=title,
        department=department,
        group=group,
        can_unmask=role in policy.UNMASK_BY_DEFAULT if can_unmask is None else can_unmask,
    )
    problems = password_problems(org, password, staff)
    if problems:
        raise BusinessError("weak_password", problems[0], fields={"password": problems})
    staff.set_password(password)
    staff.password_changed_at = timezone.now()
    staff.save()
    staff.stores.set(stores)
    audit.record(by, "staff.created", staff, after=_staff_snapshot(staff))
    return staff


@transaction.atomic
def update_staff(staff: Staff, *, by: Staff, stores: list[Store] | None = None, **changes) -> Staff:
    """Change a staff record; every change goes into the staff change log (员工修改日志)."""
    before = _staff_snapshot(staff)
    for field, value in changes.items():
        if field not in STAFF_AUDIT_FIELDS and field not in {"department", "group"}:
            raise BusinessError("invalid_field", f"unknown field {field}")
        setattr(staff, field, value)
    new_stores = stores if stores is not None else list(staff.stores.all())
    _check_staff_fields(
        staff.org, role=staff.role, stores=new_stores, username=staff.username, exclude_pk=staff.pk
    )
    staff.save()
    if stores is not None:
        staff.stores.set(stores)
    old, new = audit.changed(before, _staff_snapshot(staff))
    if new:
        audit.record(by, "staff.updated", staff, before=old, after=new)
    return staff


ORG_SETTING_FIELDS = [
    "login_failure_limit",
    "login_lock_minutes",
    "password_policy",
    "session_idle_minutes",
]


@transaction.atomic
def update_org_settings(org: Organization, *, by: Staff, **changes) -> Organization:
    before = audit.snapshot(org, ORG_SETTING_FIELDS)
    if (
        changes.get("password_policy", org.password_policy)
        not in Organization.PasswordPolicy.values
    ):
        raise BusinessError("invalid_policy", _("未知的密码策略"))
    for name in ("login_failure_limit", "login_lock_minutes", "session_idle_minutes"):
        if name in changes and not 1 <= int(changes[name]) <= 1440:
            raise BusinessError(
                "out_of_range", _("取值应在1到1440之间"), fields={name: [_("取值应在1到1440之间")]}
            )
    for field, value in changes.items():
        if field not in ORG_SETTING_FIELDS:
            raise BusinessError("invalid_field", f"unknown field {field}")
        setattr(org, field, value)
    org.save()
    old, new = audit.changed(before, audit.snapshot(org, ORG_SETTING_FIELDS))
    if new:
        audit.record(by, "org.settings_changed", org, before=old, after=new, org_id=org.pk)
    return org


SEARCH_RESULT_FIELDS = (
    "name",
    "phone",
    "member_no",
    "gender",
    "age",
    "consultant",
    "doctor",
    "source_channel",
    "last_visit_at",
    "tags",
    "store",
)
STORE_SETTING_FIELDS = [
    "name",
    "opens_at",
    "closes_at",
    "address",
    "phone",
    "search_order",
    "search_fields",
    "timezone",
]


@transaction.atomic
def update_store_settings(store: Store, *, by: Staff, **changes) -> Store:
    """Opening hours and how the store's customer search sorts and what it shows."""
    before = audit.snapshot(store, STORE_SETTING_FIELDS)
    for field, value in changes.items():
        if field not in STORE_SETTING_FIELDS:
            raise BusinessError("invalid_field", f"unknown field {field}")
        setattr(store, field, value)
    if store.search_order not in Store.SearchOrder.values:
        raise BusinessError(
            "invalid_order", _("未知的排序方式"), fields={"search_order": [_("未知的排序方式")]}
        )
    unknown = [f for f in store.search_fields if f not in SEARCH_RESULT_FIELDS]
    if unknown:
        raise BusinessError(
            "invalid_fields",
            _("未知的显示字段:%(f)s") % {"f": ", ".join(unknown)},
            fields={"search_fields": [_("未知的显示字段")]},
        )
    if store.opens_at >= store.closes_at:
        raise BusinessError(
            "invalid_hours",
            _("营业结束时间必须晚于开始时间"),
            fields={"closes_at": [_("营业结束时间必须晚于开始时间")]},
        )
    store.save()
    old, new = audit.changed(before, audit.snapshot(store, STORE_SETTING_FIELDS))
    if new:
        audit.record(by, "store.settings_changed", store, before=old, after=new)
    return store


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def create_api_token(staff: Staff, *, name: str, by: Staff) -> tuple[ApiToken, str]:
    """A new API token; the returned key is shown once and only its hash is kept."""
    prefix = secrets.token_hex(4)
    key = f"yz_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        staff=staff, name=name or "API", prefix=prefix, key_hash=_hash_key(key)
    )
    audit.record(by, "api_token.created", token, org_id=staff.org_id)
    return token, key


def staff_for_api_key(key: str) -> Staff | None:
    try:
        _yz, prefix, _rest = key.split("_", 2)
    except ValueError:
        return None
    token = (
        ApiToken.objects.select_related("staff__org").filter(prefix=prefix, revoked_at=None).first()
    )
    if token is None or not secrets.compare_digest(token.key_hash, _hash_key(key)):
        return None
    if not token.staff.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # not every call: less churn
    return token.staff


@transaction.atomic
def revoke_api_token(token: ApiToken, *, by: Staff) -> ApiToken:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(by, "api_token.revoked", token, org_id=token.staff.org_id)
    return token
