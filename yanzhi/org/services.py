"""Business actions on the chain, its stores and staff accounts: sign-in with lockout, passwords,
staff records, settings, API tokens."""

import hashlib
import secrets
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yanzhi.core import audit, events
from yanzhi.core.errors import BusinessError, NotFound
from yanzhi.core.scope import Scope
from yanzhi.core.timeutil import first_of_month, next_month, store_today
from yanzhi.org import policy, settings_cache
from yanzhi.org.models import (
    ApiToken,
    Department,
    Organization,
    PasswordHistory,
    PeriodClose,
    Staff,
    StaffGroup,
    Store,
)
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


def _acting_scope(by: Staff, action: str) -> Scope:
    """The scope of the acting staff member, refused unless their role may do `action`."""
    scope = policy.scope_for(by)
    policy.require(scope, action)
    return scope


def _require_staff_in_scope(scope: Scope, staff: Staff) -> None:
    """A store manager manages only the staff of their own stores (others are not found)."""
    if staff.org_id != scope.org_id:
        raise NotFound()
    if scope.store_ids is not None and not staff.stores.filter(pk__in=scope.store_ids).exists():
        raise NotFound()


def _require_may_grant(scope: Scope, *, role: str, stores: list[Store]) -> None:
    """Below HQ, a manager grants no role above store manager and only their own stores."""
    if scope.store_ids is None:
        return
    if role == policy.HQ:
        raise BusinessError(
            "forbidden_role",
            _("店长不能创建总部账号或授予总部角色"),
            fields={"role": [_("店长不能创建总部账号或授予总部角色")]},
            status=403,
        )
    if any(store.pk not in scope.store_ids for store in stores):
        raise BusinessError(
            "forbidden_store",
            _("只能分配到您管理的门店"),
            fields={"stores": [_("只能分配到您管理的门店")]},
            status=403,
        )


def sign_in(username: str, password: str) -> Staff:
    """Check a password; repeated failures lock the account for the clinic's lock period."""
    with transaction.atomic():
        staff = (
            Staff.objects.select_for_update(of=("self",))
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
    """Lift a sign-in lock before it runs out (a manager of the staff member's store, or HQ)."""
    scope = _acting_scope(by, "staff.manage")
    _require_staff_in_scope(scope, staff)
    staff = Staff.objects.select_for_update().get(pk=staff.pk)
    before = {"locked_until": audit._json_value(staff.locked_until)}
    staff.failed_login_count, staff.first_failed_login_at, staff.locked_until = 0, None, None
    staff.save(update_fields=["failed_login_count", "first_failed_login_at", "locked_until"])
    audit.record(by, "staff.unlocked", staff, before=before, after={"locked_until": None})
    return staff


@transaction.atomic
def reset_password(staff: Staff, new_password: str, *, by: Staff) -> Staff:
    """A manager sets a temporary password; the staff member must replace it at next sign-in."""
    scope = _acting_scope(by, "staff.manage")
    _require_staff_in_scope(scope, staff)
    if staff.pk == by.pk:
        raise BusinessError("use_password_change", _("修改自己的密码请使用“修改密码”"))
    staff = Staff.objects.select_for_update(of=("self",)).select_related("org").get(pk=staff.pk)
    problems = password_problems(staff.org, new_password, staff)
    if problems:
        raise BusinessError("weak_password", problems[0], fields={"new_password": problems})
    if staff.password:
        PasswordHistory.objects.create(staff=staff, password=staff.password)
    staff.set_password(new_password)
    # No change date: under MLPS3 the password counts as expired as well as "must change".
    staff.password_changed_at = None
    staff.must_change_password = True
    staff.save(update_fields=["password", "password_changed_at", "must_change_password"])
    audit.record(by, "staff.password_reset", staff)
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
    staff.must_change_password = False
    staff.save(update_fields=["password", "password_changed_at", "must_change_password"])
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


def _check_links(org: Organization, *, department=None, group=None) -> None:
    if department is not None and department.org_id != org.pk:
        raise BusinessError(
            "invalid_department", _("科室不存在"), fields={"department": [_("科室不存在")]}
        )
    if group is not None and group.org_id != org.pk:
        raise BusinessError("invalid_group", _("小组不存在"), fields={"group": [_("小组不存在")]})


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
    """Open a staff account; unmask permission defaults from the role. An account opened by a
    manager (not by set-up) must choose its own password at first sign-in."""
    username = username.strip()
    if by is not None:
        scope = _acting_scope(by, "staff.manage")
        if org.pk != scope.org_id:
            raise NotFound()
        _require_may_grant(scope, role=role, stores=stores)
    if not name.strip():
        raise BusinessError("name_required", _("请填写姓名"), fields={"name": [_("请填写姓名")]})
    if not username:
        raise BusinessError(
            "username_required", _("请填写登录名"), fields={"username": [_("请填写登录名")]}
        )
    _check_staff_fields(org, role=role, stores=stores, username=username)
    _check_links(org, department=department, group=group)
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
        must_change_password=by is not None,
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
    """Change a staff record; every change goes into the staff change log (员工修改日志).
    A store manager changes only staff of their stores, assigns only their stores (the staff
    member's other stores are kept) and grants no role above store manager."""
    scope = _acting_scope(by, "staff.manage")
    _require_staff_in_scope(scope, staff)
    staff = Staff.objects.select_for_update(of=("self",)).select_related("org").get(pk=staff.pk)
    before = _staff_snapshot(staff)
    for field in changes:
        if field not in STAFF_AUDIT_FIELDS and field not in {"department", "group"}:
            raise BusinessError("invalid_field", f"unknown field {field}")
    if staff.pk == by.pk and (
        changes.get("is_active", True) is False or changes.get("role", staff.role) != staff.role
    ):
        raise BusinessError("cannot_change_self", _("不能停用自己的账号或修改自己的角色"))
    if "name" in changes and not str(changes["name"]).strip():
        raise BusinessError("name_required", _("请填写姓名"), fields={"name": [_("请填写姓名")]})
    current_stores = list(staff.stores.all())
    if stores is None:
        new_stores = current_stores
    else:
        _require_may_grant(scope, role=changes.get("role", staff.role), stores=stores)
        kept = [
            s for s in current_stores if scope.store_ids is not None and s.pk not in scope.store_ids
        ]
        new_stores = sorted({s.pk: s for s in [*stores, *kept]}.values(), key=lambda s: s.pk)
    _require_may_grant(scope, role=changes.get("role", staff.role), stores=[])
    _check_staff_fields(
        staff.org,
        role=changes.get("role", staff.role),
        stores=new_stores,
        username=changes.get("username", staff.username).strip(),
        exclude_pk=staff.pk,
    )
    _check_links(staff.org, department=changes.get("department"), group=changes.get("group"))
    for field, value in changes.items():
        setattr(staff, field, value.strip() if isinstance(value, str) else value)
    staff.save()
    if stores is not None:
        staff.stores.set(new_stores)
    # Work a person can no longer do (they left, changed role, or left a store) is handed on by
    # the apps that own it, e.g. pending follow-up tasks (docs/events.md).
    if not staff.is_active or staff.role != before["role"]:
        released = [s.pk for s in current_stores]
    else:
        released = sorted({s.pk for s in current_stores} - {s.pk for s in new_stores})
    if released:
        events.emit(
            "staff.released",
            staff_id=staff.pk,
            org_id=staff.org_id,
            store_ids=released,
            by_id=by.pk,
        )
    old, new = audit.changed(before, _staff_snapshot(staff))
    if new:
        audit.record(by, "staff.updated", staff, before=old, after=new)
    return staff


def _group_snapshot(group: StaffGroup) -> dict:
    data = audit.snapshot(group, ["name", "store_id", "leader_id"])
    data["member_ids"] = sorted(m.pk for m in group.members.all()) if group.pk else []
    return data


def _check_group(scope: Scope, org: Organization, *, name: str, store, leader, members) -> None:
    if not name.strip():
        raise BusinessError(
            "name_required", _("请填写小组名称"), fields={"name": [_("请填写小组名称")]}
        )
    if store is not None and store.org_id != org.pk:
        raise BusinessError(
            "invalid_store", _("门店不属于本机构"), fields={"store": [_("门店不属于本机构")]}
        )
    if scope.store_ids is not None and (store is None or store.pk not in scope.store_ids):
        raise BusinessError(
            "forbidden_store",
            _("只能在您管理的门店建立小组"),
            fields={"store": [_("只能在您管理的门店建立小组")]},
            status=403,
        )
    people = [*members, *([leader] if leader is not None else [])]
    for person in people:
        if person.org_id != org.pk:
            raise NotFound()
        if scope.store_ids is not None and not any(
            s.pk in scope.store_ids for s in person.stores.all()
        ):
            raise NotFound()
    if store is not None:
        outside = [p.name for p in people if store.pk not in {s.pk for s in p.stores.all()}]
        if outside:
            message = _("以下员工不在该门店:%(names)s") % {"names": "、".join(outside)}
            raise BusinessError("member_not_in_store", message, fields={"members": [message]})


def _set_members(group: StaffGroup, members, *, by: Staff) -> None:
    """Members join this group (leaving any other); those no longer listed leave it."""
    wanted = {m.pk for m in members}
    for member in Staff.objects.select_for_update().filter(Q(group=group) | Q(pk__in=wanted)):
        new_group_id = group.pk if member.pk in wanted else None
        if member.group_id != new_group_id:
            old_group_id = member.group_id
            member.group_id = new_group_id
            member.save(update_fields=["group", "updated_at"])
            audit.record(
                by,
                "staff.updated",
                member,
                before={"group_id": old_group_id},
                after={"group_id": new_group_id},
            )


@transaction.atomic
def create_staff_group(
    org: Organization, *, name: str, store: Store | None, leader: Staff | None, members, by: Staff
) -> StaffGroup:
    """A team with a leader; a consultant leading it sees the members' customers."""
    scope = _acting_scope(by, "staff.manage")
    if org.pk != scope.org_id:
        raise NotFound()
    members = list(members)
    _check_group(scope, org, name=name, store=store, leader=leader, members=members)
    group = StaffGroup.objects.create(org=org, name=name.strip(), store=store, leader=leader)
    _set_members(group, members, by=by)
    audit.record(by, "staff_group.created", group, after=_group_snapshot(group))
    return group


@transaction.atomic
def update_staff_group(
    group: StaffGroup,
    *,
    name: str,
    store: Store | None,
    leader: Staff | None,
    members,
    by: Staff,
) -> StaffGroup:
    """Rename a team, change its leader or its members."""
    scope = _acting_scope(by, "staff.manage")
    if group.org_id != scope.org_id or not scope.covers_store(group.store_id):
        raise NotFound()
    group = (
        StaffGroup.objects.select_for_update(of=("self",)).select_related("org").get(pk=group.pk)
    )
    members = list(members)
    _check_group(scope, group.org, name=name, store=store, leader=leader, members=members)
    before = _group_snapshot(group)
    group.name, group.store, group.leader = name.strip(), store, leader
    group.save()
    _set_members(group, members, by=by)
    old, new = audit.changed(before, _group_snapshot(group))
    if new:
        audit.record(by, "staff_group.updated", group, before=old, after=new)
    return group


def _check_department_name(org: Organization, name: str, exclude_pk=None) -> str:
    name = name.strip()
    if not name:
        raise BusinessError(
            "name_required", _("请填写科室名称"), fields={"name": [_("请填写科室名称")]}
        )
    if Department.objects.filter(org=org, name=name).exclude(pk=exclude_pk).exists():
        raise BusinessError(
            "duplicate_department", _("已有同名科室"), fields={"name": [_("已有同名科室")]}
        )
    return name


@transaction.atomic
def create_department(org: Organization, *, name: str, by: Staff) -> Department:
    """Departments (科室) are chain master data, kept by HQ."""
    scope = _acting_scope(by, "org.settings")
    if org.pk != scope.org_id:
        raise NotFound()
    department = Department.objects.create(org=org, name=_check_department_name(org, name))
    audit.record(by, "department.created", department, after={"name": department.name})
    return department


@transaction.atomic
def rename_department(department: Department, *, name: str, by: Staff) -> Department:
    scope = _acting_scope(by, "org.settings")
    if department.org_id != scope.org_id:
        raise NotFound()
    department = (
        Department.objects.select_for_update(of=("self",))
        .select_related("org")
        .get(pk=department.pk)
    )
    before = department.name
    department.name = _check_department_name(department.org, name, exclude_pk=department.pk)
    department.save()
    if department.name != before:
        audit.record(
            by,
            "department.renamed",
            department,
            before={"name": before},
            after={"name": department.name},
        )
    return department


ORG_SETTING_FIELDS = [
    "login_failure_limit",
    "login_lock_minutes",
    "password_policy",
    "session_idle_minutes",
]


@transaction.atomic
def update_org_settings(org: Organization, *, by: Staff, **changes) -> Organization:
    """The chain's sign-in lockout, password policy and idle timeout (HQ only)."""
    scope = _acting_scope(by, "org.settings")
    if org.pk != scope.org_id:
        raise NotFound()
    org = Organization.objects.select_for_update().get(pk=org.pk)
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
    "negative_stock",
]


@transaction.atomic
def update_store_settings(store: Store, *, by: Staff, **changes) -> Store:
    """Opening hours and how the store's customer search sorts and what it shows."""
    scope = _acting_scope(by, "store.settings")
    if store.org_id != scope.org_id or not scope.covers_store(store.pk):
        raise NotFound()
    store = Store.objects.select_for_update().get(pk=store.pk)
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
    if store.negative_stock not in Store.NegativeStock.values:
        raise BusinessError(
            "invalid_negative_stock",
            _("未知的负库存策略"),
            fields={"negative_stock": [_("未知的负库存策略")]},
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
    """A new API token for oneself; the returned key is shown once and only its hash is kept."""
    if by.pk != staff.pk:
        raise BusinessError("forbidden", _("只能为自己创建API令牌"), status=403)
    name = (name or "").strip()
    if len(name) > 50:
        raise BusinessError("name_too_long", _("名称过长"), fields={"name": [_("名称过长")]})
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
    """Revoke a token: one's own, or (HQ) any token of the chain."""
    token = (
        ApiToken.objects.select_for_update(of=("self",)).select_related("staff").get(pk=token.pk)
    )
    if token.staff.org_id != by.org_id:
        raise NotFound()
    if token.staff_id != by.pk and by.role != policy.HQ:
        raise NotFound()
    if token.revoked_at is not None:
        raise BusinessError("already_revoked", _("该令牌已被撤销"))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(by, "api_token.revoked", token, org_id=token.staff.org_id)
    return token


# --- period closing (关账) ------------------------------------------------------------------------
def _month_label(month: date) -> str:
    return f"{month:%Y-%m}"


def _latest_closes(org_id: int) -> dict[int, date]:
    """Each store's latest closed month, for the chain's stores that closed one."""
    return dict(
        PeriodClose.objects.filter(org_id=org_id)
        .order_by()
        .values("store_id")
        .annotate(latest=Max("month"))
        .values_list("store_id", "latest")
    )


def ensure_period_open(store_id: int, business_date: date, *, org_id: int) -> None:
    """Refuse anything dated in a closed period: a month is closed when it or a later month of
    the store is closed (closing is in order, so a close covers everything before it). Every
    order, payment and execution asks: in a request, the chain's closes are read once per
    process (settings_cache watches them; a close is a new version, seen by the next request)."""
    month = first_of_month(business_date)
    if settings_cache.is_bound(org_id):
        latest = settings_cache.cached(org_id, "latest_closes", lambda: _latest_closes(org_id))
        closed = store_id in latest and latest[store_id] >= month
    else:
        closed = PeriodClose.objects.filter(store_id=store_id, month__gte=month).exists()
    if closed:
        message = _("%(month)s 已关账,不能再修改;请在当前会计期间做更正") % {
            "month": _month_label(month)
        }
        raise BusinessError(
            "period_closed", message, fields={"business_date": [message]}, status=409
        )


@transaction.atomic
def close_period(store: Store, *, month: date, by: Staff) -> PeriodClose:
    """Close a store's month (关账). Only an ended month (in the store's timezone), in order:
    after the first close, the next month to close is the one right after the last closed.
    There is no reopening; corrections are made in the open period."""
    scope = _acting_scope(by, "period.close")
    if store.org_id != scope.org_id or not scope.covers_store(store.pk):
        raise NotFound()
    # Lock the store so two managers closing at once are serialised (SQLite: BEGIN IMMEDIATE).
    store = Store.objects.select_for_update().get(pk=store.pk)
    month = first_of_month(month)
    label = _month_label(month)
    if next_month(month) > store_today(store):
        message = _("%(month)s 尚未结束,不能关账") % {"month": label}
        raise BusinessError("period_not_ended", message, fields={"month": [message]})
    latest = (
        PeriodClose.objects.filter(store=store).order_by("-month").values_list("month", flat=True)
    ).first()
    if latest is not None and month <= latest:
        message = _("%(month)s 已关账") % {"month": label}
        raise BusinessError(
            "period_already_closed", message, fields={"month": [message]}, status=409
        )
    if latest is not None and month != next_month(latest):
        message = _("请按顺序关账:下一个应关账的月份是 %(month)s") % {
            "month": _month_label(next_month(latest))
        }
        raise BusinessError("period_out_of_order", message, fields={"month": [message]})
    closed = PeriodClose.objects.create(
        org_id=store.org_id, store=store, month=month, closed_at=timezone.now(), closed_by=by
    )
    audit.record(by, "period.closed", closed, after={"month": label}, store_id=store.pk)
    return closed
