"""/api/v1 endpoints of the org app: me, stores and their settings, the chain's settings, staff,
groups, departments, API tokens and the read-only audit log. Same services as the pages."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from yanzhi.core import queries as core_queries
from yanzhi.core.errors import BusinessError
from yanzhi.org import policy, queries, services
from yanzhi.org.models import Staff, Store
from yanzhi.org.schemas import (
    ApiTokenCreatedOut,
    ApiTokenIn,
    ApiTokenOut,
    ApiTokenPage,
    AuditLogFilter,
    AuditLogPage,
    DepartmentIn,
    DepartmentOut,
    DepartmentPage,
    MeOut,
    OrgSettingsOut,
    OrgSettingsPatch,
    PeriodCloseIn,
    PeriodCloseOut,
    PeriodClosePage,
    ResetPasswordIn,
    StaffGroupIn,
    StaffGroupOut,
    StaffGroupPage,
    StaffIn,
    StaffOut,
    StaffPage,
    StaffPatch,
    StoreOut,
    StoreSettingsOut,
    StoreSettingsPatch,
)

router = Router(tags=["org"])
MAX_LIMIT = 100


def _page(qs, limit: int, offset: int) -> dict:
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    return {"count": qs.count(), "items": list(qs[offset : offset + limit])}


def _stores(scope, ids: list[int]) -> list[Store]:
    """Stores of the chain by id; the service decides whether this staff member may use them."""
    stores = list(Store.objects.filter(org_id=scope.org_id, pk__in=ids))
    if len(stores) != len(set(ids)):
        raise BusinessError(
            "invalid_store", _("门店不存在"), fields={"store_ids": [_("门店不存在")]}, status=422
        )
    return stores


def _one(qs, pk: int | None, field: str):
    if pk is None:
        return None
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise BusinessError(
            "invalid_" + field, _("记录不存在"), fields={field: [_("记录不存在")]}, status=422
        )
    return obj


def _people(scope, ids: list[int]) -> list[Staff]:
    people = list(queries.staff_for(scope).filter(pk__in=ids).prefetch_related("stores"))
    if len(people) != len(set(ids)):
        raise BusinessError(
            "invalid_staff", _("员工不存在"), fields={"member_ids": [_("员工不存在")]}, status=422
        )
    return people


# --- me and stores ------------------------------------------------------------------------------
@router.get("/me", response=MeOut, summary="The signed-in staff member, their scope and actions")
def me(request):
    staff, scope = request.auth, request.scope
    return {
        "id": staff.pk,
        "username": staff.username,
        "name": staff.name,
        "role": staff.role,
        "role_label": str(staff.get_role_display()),
        "org_id": staff.org_id,
        "org_name": staff.org.name,
        "stores": list(queries.stores_for(scope)),
        "scope": {
            "chain_wide": scope.chain_wide,
            "store_ids": list(scope.store_ids) if scope.store_ids is not None else None,
            "owner_ids": list(scope.owner_ids) if scope.owner_ids is not None else None,
            "can_unmask": scope.can_unmask,
            "current_store_id": scope.current_store_id,
        },
        "allowed_actions": sorted(a for a in policy.ACTIONS if policy.can(scope, a)),
        "must_change_password": staff.must_change_password,
    }


@router.get("/stores", response=list[StoreOut], summary="Stores in the caller's scope")
def list_stores(request):
    return list(queries.stores_for(request.scope).order_by("code"))


@router.get("/stores/{store_id}/settings", response=StoreSettingsOut)
def get_store_settings(request, store_id: int):
    policy.require(request.scope, "store.settings")
    return queries.get_store(request.scope, store_id)


@router.patch("/stores/{store_id}/settings", response=StoreSettingsOut)
def patch_store_settings(request, store_id: int, data: StoreSettingsPatch):
    policy.require(request.scope, "store.settings")
    store = queries.get_store(request.scope, store_id)
    return services.update_store_settings(
        store, by=request.auth, **data.model_dump(exclude_unset=True, exclude_none=True)
    )


@router.get("/org/settings", response=OrgSettingsOut, summary="The chain's security settings (HQ)")
def get_org_settings(request):
    policy.require(request.scope, "org.settings")
    return request.auth.org


@router.patch("/org/settings", response=OrgSettingsOut)
def patch_org_settings(request, data: OrgSettingsPatch):
    policy.require(request.scope, "org.settings")
    return services.update_org_settings(
        request.auth.org, by=request.auth, **data.model_dump(exclude_unset=True, exclude_none=True)
    )


# --- staff --------------------------------------------------------------------------------------
@router.get("/staff", response=StaffPage, summary="Staff in scope (filter, search, paginate)")
def list_staff(
    request,
    store_id: int | None = None,
    role: str = "",
    group_id: int | None = None,
    active: bool | None = None,
    q: str = "",
    limit: int = 50,
    offset: int = 0,
):
    policy.require(request.scope, "staff.view")
    qs = queries.staff_list(
        request.scope, store_id=store_id, role=role, group_id=group_id, active=active, q=q
    )
    return _page(qs, limit, offset)


def _staff_links(scope, data: dict) -> dict:
    links = {}
    if "department_id" in data:
        links["department"] = _one(
            queries.departments_for(scope), data.pop("department_id"), "department_id"
        )
    if "group_id" in data:
        links["group"] = _one(queries.groups_for(scope), data.pop("group_id"), "group_id")
    return links


@router.post("/staff", response={201: StaffOut}, summary="Open a staff account")
def create_staff(request, data: StaffIn):
    policy.require(request.scope, "staff.manage")
    payload = data.model_dump()
    links = _staff_links(request.scope, payload)
    stores = _stores(request.scope, payload.pop("store_ids"))
    staff = services.create_staff(
        request.auth.org, stores=stores, by=request.auth, **payload, **links
    )
    return Status(201, staff)


@router.get("/staff/{staff_id}", response=StaffOut)
def get_staff(request, staff_id: int):
    policy.require(request.scope, "staff.view")
    return queries.get_staff(request.scope, staff_id)


@router.patch("/staff/{staff_id}", response=StaffOut)
def patch_staff(request, staff_id: int, data: StaffPatch):
    policy.require(request.scope, "staff.manage")
    staff = queries.get_staff(request.scope, staff_id)
    # null clears a department or group; for the other fields it means "unchanged".
    changes = {
        k: v
        for k, v in data.model_dump(exclude_unset=True).items()
        if v is not None or k in {"department_id", "group_id"}
    }
    links = _staff_links(request.scope, changes)
    store_ids = changes.pop("store_ids", None)
    stores = _stores(request.scope, store_ids) if store_ids is not None else None
    return services.update_staff(staff, by=request.auth, stores=stores, **changes, **links)


@router.post("/staff/{staff_id}/unlock", response=StaffOut)
def unlock_staff(request, staff_id: int):
    policy.require(request.scope, "staff.manage")
    staff = queries.get_staff(request.scope, staff_id)
    return services.unlock_staff(staff, by=request.auth)


@router.post("/staff/{staff_id}/reset-password", response=StaffOut)
def reset_password(request, staff_id: int, data: ResetPasswordIn):
    """Set a temporary password; the staff member must change it at the next sign-in."""
    policy.require(request.scope, "staff.manage")
    staff = queries.get_staff(request.scope, staff_id)
    return services.reset_password(staff, data.new_password, by=request.auth)


@router.get("/staff/{staff_id}/change-log", response=AuditLogPage)
def staff_change_log(request, staff_id: int):
    """The staff change log (员工修改日志): the latest 50 staff.* audit rows of this account."""
    policy.require(request.scope, "staff.view")
    staff = queries.get_staff(request.scope, staff_id)
    items = list(queries.staff_change_log(staff))
    return {"count": len(items), "items": items}


# --- groups and departments ---------------------------------------------------------------------
@router.get("/staff-groups", response=StaffGroupPage)
def list_groups(request, limit: int = 50, offset: int = 0):
    policy.require(request.scope, "staff.view")
    return _page(queries.groups_for(request.scope), limit, offset)


def _group_args(scope, data: StaffGroupIn) -> dict:
    return {
        "name": data.name,
        "store": _one(Store.objects.filter(org_id=scope.org_id), data.store_id, "store_id"),
        "leader": _people(scope, [data.leader_id])[0] if data.leader_id else None,
        "members": _people(scope, data.member_ids),
    }


@router.post("/staff-groups", response={201: StaffGroupOut})
def create_group(request, data: StaffGroupIn):
    policy.require(request.scope, "staff.manage")
    group = services.create_staff_group(
        request.auth.org, by=request.auth, **_group_args(request.scope, data)
    )
    return Status(201, queries.get_group(request.scope, group.pk))


@router.put("/staff-groups/{group_id}", response=StaffGroupOut)
def update_group(request, group_id: int, data: StaffGroupIn):
    policy.require(request.scope, "staff.manage")
    group = queries.get_group(request.scope, group_id)
    services.update_staff_group(group, by=request.auth, **_group_args(request.scope, data))
    return queries.get_group(request.scope, group.pk)


@router.get("/departments", response=DepartmentPage)
def list_departments(request, limit: int = 50, offset: int = 0):
    return _page(queries.departments_for(request.scope), limit, offset)


@router.post("/departments", response={201: DepartmentOut})
def create_department(request, data: DepartmentIn):
    policy.require(request.scope, "org.settings")
    return Status(
        201, services.create_department(request.auth.org, name=data.name, by=request.auth)
    )


@router.patch("/departments/{department_id}", response=DepartmentOut)
def rename_department(request, department_id: int, data: DepartmentIn):
    policy.require(request.scope, "org.settings")
    department = queries.get_department(request.scope, department_id)
    return services.rename_department(department, name=data.name, by=request.auth)


# --- API tokens ---------------------------------------------------------------------------------
@router.get("/api-tokens", response=ApiTokenPage, summary="Own tokens (HQ: the chain's)")
def list_tokens(request, limit: int = 50, offset: int = 0):
    return _page(queries.api_tokens_for(request.scope), limit, offset)


@router.post("/api-tokens", response={201: ApiTokenCreatedOut})
def create_token(request, data: ApiTokenIn):
    """A new token for the caller. The key is in this response only; it is never shown again."""
    token, key = services.create_api_token(request.auth, name=data.name, by=request.auth)
    out = ApiTokenOut.from_orm(token).model_dump()
    return Status(201, {**out, "key": key})


@router.delete("/api-tokens/{token_id}", response={204: None})
def revoke_token(request, token_id: int):
    token = queries.get_api_token(request.scope, token_id)
    services.revoke_api_token(token, by=request.auth)
    return Status(204, None)


# --- audit log: read-only; there is deliberately no write endpoint -------------------------------
@router.get("/audit-log", response=AuditLogPage, summary="The audit log in scope (read-only)")
def audit_log(request, filters: Query[AuditLogFilter], limit: int = 50, offset: int = 0):
    policy.require(request.scope, "audit.view")
    qs = core_queries.search_audit_log(request.scope, **filters.model_dump())
    return _page(qs, limit, offset)


# --- period closing (关账) ------------------------------------------------------------------------
@router.get("/period-closings", response=PeriodClosePage, summary="Closed months (关账) per store")
def list_period_closings(request, store_id: int | None = None, limit: int = 50, offset: int = 0):
    qs = queries.period_closes_for(request.scope)
    if store_id:
        qs = qs.filter(store_id=store_id)
    return _page(qs, limit, offset)


@router.post(
    "/period-closings",
    response={201: PeriodCloseOut},
    summary="Close a store's month; in order, only ended months, no reopening",
)
def create_period_closing(request, data: PeriodCloseIn):
    policy.require(request.scope, "period.close")
    store = queries.get_store(request.scope, data.store_id)
    return Status(201, services.close_period(store, month=data.month, by=request.auth))
