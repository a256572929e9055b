"""API shapes for the chain, stores, staff, groups, departments, tokens and the audit log.
Shape only: every rule is in org.services. Phones are masked in every response."""

from datetime import date, datetime, time

from ninja import Field, Schema
from pydantic import field_validator

from yanzhi.core.validators import mask_phone


class StoreOut(Schema):
    id: int
    name: str
    code: str
    timezone: str
    is_active: bool


class StoreSettingsOut(Schema):
    id: int
    name: str
    opens_at: time
    closes_at: time
    address: str
    phone: str
    search_order: str
    search_fields: list[str]
    timezone: str
    negative_stock: str = Field(description="block | warn: stock may go negative with a warning")


class StoreSettingsPatch(Schema):
    name: str | None = None
    opens_at: time | None = None
    closes_at: time | None = None
    address: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=30)
    search_order: str | None = None
    search_fields: list[str] | None = None
    timezone: str | None = None
    negative_stock: str | None = None


class OrgSettingsOut(Schema):
    id: int
    name: str
    login_failure_limit: int
    login_lock_minutes: int
    password_policy: str
    session_idle_minutes: int


class OrgSettingsPatch(Schema):
    login_failure_limit: int | None = None
    login_lock_minutes: int | None = None
    password_policy: str | None = None
    session_idle_minutes: int | None = None


class ScopeOut(Schema):
    chain_wide: bool
    store_ids: list[int] | None
    owner_ids: list[int] | None
    can_unmask: bool
    current_store_id: int | None


class MeOut(Schema):
    id: int
    username: str
    name: str
    role: str
    role_label: str
    org_id: int
    org_name: str
    stores: list[StoreOut]
    scope: ScopeOut
    allowed_actions: list[str]
    must_change_password: bool


class StaffOut(Schema):
    id: int
    username: str
    name: str
    role: str
    title: str
    mobile: str
    store_ids: list[int]
    department_id: int | None
    group_id: int | None
    can_unmask: bool
    is_active: bool
    locked_until: datetime | None
    must_change_password: bool

    @staticmethod
    def resolve_mobile(obj) -> str:
        return mask_phone(obj.mobile or "")

    @staticmethod
    def resolve_store_ids(obj) -> list[int]:
        return sorted(s.pk for s in obj.stores.all())


class StaffPage(Schema):
    count: int
    items: list[StaffOut]


class StaffIn(Schema):
    username: str = Field(..., min_length=1, max_length=50)
    name: str = Field(..., min_length=1, max_length=50)
    role: str
    password: str = Field(..., max_length=200)
    store_ids: list[int] = []
    department_id: int | None = None
    group_id: int | None = None
    title: str = Field("", max_length=50)
    mobile: str = Field("", max_length=20)
    can_unmask: bool | None = None


class StaffPatch(Schema):
    username: str | None = Field(None, min_length=1, max_length=50)
    name: str | None = Field(None, min_length=1, max_length=50)
    role: str | None = None
    store_ids: list[int] | None = None
    department_id: int | None = None
    group_id: int | None = None
    title: str | None = Field(None, max_length=50)
    mobile: str | None = Field(None, max_length=20)
    can_unmask: bool | None = None
    is_active: bool | None = None


class ResetPasswordIn(Schema):
    new_password: str = Field(..., max_length=200)


class StaffGroupOut(Schema):
    id: int
    name: str
    store_id: int | None
    leader_id: int | None
    member_ids: list[int]

    @staticmethod
    def resolve_member_ids(obj) -> list[int]:
        return sorted(m.pk for m in obj.members.all())


class StaffGroupPage(Schema):
    count: int
    items: list[StaffGroupOut]


class StaffGroupIn(Schema):
    name: str = Field(..., max_length=50)
    store_id: int | None = None
    leader_id: int | None = None
    member_ids: list[int] = []


class DepartmentOut(Schema):
    id: int
    name: str


class DepartmentPage(Schema):
    count: int
    items: list[DepartmentOut]


class DepartmentIn(Schema):
    name: str = Field(..., max_length=50)


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str
    staff_id: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenPage(Schema):
    count: int
    items: list[ApiTokenOut]


class ApiTokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=50)


class ApiTokenCreatedOut(ApiTokenOut):
    key: str = Field(..., description="The secret key. Shown only in this response.")


class AuditLogOut(Schema):
    id: int
    created_at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    store_id: int | None
    before: dict | None
    after: dict | None
    note: str


class AuditLogPage(Schema):
    count: int
    items: list[AuditLogOut]


class AuditLogFilter(Schema):
    actor_id: int | None = None
    action: str = ""
    object_type: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @field_validator("action", "object_type")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class PeriodCloseIn(Schema):
    store_id: int
    month: date = Field(..., description="any day of the month to close, e.g. 2026-03-01")


class PeriodCloseOut(Schema):
    id: int
    store_id: int
    month: date = Field(..., description="first day of the closed month")
    closed_at: datetime
    closed_by_id: int
    closed_by_name: str

    @staticmethod
    def resolve_closed_by_name(obj) -> str:
        return obj.closed_by.name


class PeriodClosePage(Schema):
    count: int
    items: list[PeriodCloseOut]
