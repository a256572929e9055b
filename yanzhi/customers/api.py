"""/api/v1 endpoints of the customers app; they call the same services and queries as the pages."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from yanzhi.core.errors import BusinessError
from yanzhi.customers import activity, membership, queries, services
from yanzhi.customers.schemas import (
    ActivitySettingsIn,
    ActivitySettingsOut,
    ChannelIn,
    ChannelOut,
    ChannelPatch,
    ConsentDocumentIn,
    ConsentDocumentOut,
    ConsentIn,
    ConsentOut,
    CustomerIn,
    CustomerOut,
    CustomerPage,
    CustomerPatch,
    CustomerTagsIn,
    LevelChangeOut,
    MembershipLevelIn,
    MembershipLevelOut,
    MembershipLevelPatch,
    MembershipProgramIn,
    MembershipProgramOut,
    PhoneLookupOut,
    TagIn,
    TagOut,
    TagPatch,
    TeamIn,
    UnmaskIn,
    UnmaskOut,
    VerificationConfirmIn,
    VerificationOut,
)
from yanzhi.customers.tags import tag_filter_from
from yanzhi.org import policy
from yanzhi.org.queries import get_store, stores_for

router = Router(tags=["customers"])

# API field name -> service keyword
ID_FIELDS = {
    "source_channel_id": "source_channel",
    "referrer_id": "referrer",
    "consultant_id": "consultant",
    "online_consultant_id": "online_consultant",
    "doctor_id": "doctor",
}


def _current_store(request):
    store_id = request.scope.current_store_id
    return stores_for(request.scope).filter(pk=store_id).first() if store_id else None


def _detail(request, customer_id: int):
    return queries.get_customer_detail(request.scope, customer_id)


@router.get("/customers", response=CustomerPage)
def list_customers(
    request,
    q: str = "",
    consultant_id: int | None = None,
    tag_id: int | None = None,
    source_channel_id: int | None = None,
    last_visit_type: str = "",
    has_allergy: bool | None = None,
    phone_verified: bool | None = None,
    member_level_id: int | None = None,
    deal_status: list[str] | None = Query(None),  # noqa: B008 (ninja reads repeated params)
    activity: list[str] | None = Query(None),  # noqa: B008
    has_arrears: bool | None = None,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
):
    """The customers in your scope; `q` searches phone, tail, name, pinyin, member no. and ID.
    Dynamic tags filter too: `deal_status` (none/first/repeat) and `activity` (non_member/new/
    active/sleeping/deep_sleep) may repeat (alternatives), all filters combine."""
    try:
        tags = tag_filter_from(
            {
                "deal_statuses": deal_status,
                "activities": activity,
                "last_visit_types": [last_visit_type] if last_visit_type else [],
            }
        )
    except BusinessError as error:  # name the query parameters the caller used
        names = {"deal_statuses": "deal_status", "activities": "activity"}
        names["last_visit_types"] = "last_visit_type"
        fields = {names.get(k, k): v for k, v in error.fields.items()}
        raise BusinessError(error.code, error.message, fields=fields, status=422) from None
    filters = queries.ListFilters(
        q=q,
        consultant_id=consultant_id,
        tag_id=tag_id,
        source_channel_id=source_channel_id,
        last_visit_type=last_visit_type,
        has_allergy=has_allergy,
        phone_verified=phone_verified,
        member_level_id=member_level_id,
        deal_statuses=tags.deal_statuses,
        activities=tags.activities,
        has_arrears=has_arrears,
    )
    ids = queries.customer_list_ids(request.scope, filters, _current_store(request))
    page = list(ids[offset : offset + limit])
    return {"count": ids.count(), "items": queries.customers_in_order(page)}


@router.post("/customers", response={201: CustomerOut})
def create_customer(request, data: CustomerIn):
    policy.require(request.scope, "customer.create")
    store_id = data.store_id or request.scope.current_store_id
    if store_id is None:
        raise BusinessError(
            "store_required", _("请选择归属门店"), fields={"store_id": [_("请选择归属门店")]}
        )
    store = get_store(request.scope, store_id)
    payload = data.dict(exclude={"store_id", "tag_ids"})
    kwargs = {ID_FIELDS.get(k, k): v for k, v in payload.items()}
    customer = services.create_customer(
        store.org, store=store, by=request.auth, tags=data.tag_ids, **kwargs
    )
    return Status(201, _detail(request, customer.pk))


@router.get("/customers/lookup", response=PhoneLookupOut)
def lookup_phone(request, phone: str):
    """Chain-wide: is this full mobile number already a customer, and who owns them?"""
    policy.require(request.scope, "customer.lookup_phone")
    return queries.lookup_phone(request.scope, phone)


@router.get("/customers/{customer_id}", response=CustomerOut)
def get_customer(request, customer_id: int):
    return _detail(request, customer_id)


@router.patch("/customers/{customer_id}", response=CustomerOut)
def update_customer(request, customer_id: int, data: CustomerPatch):
    customer = queries.get_customer(request.scope, customer_id)
    changes = {ID_FIELDS.get(k, k): v for k, v in data.dict(exclude_unset=True).items()}
    services.update_customer(customer, by=request.auth, **changes)
    return _detail(request, customer_id)


@router.post("/customers/{customer_id}/team", response=CustomerOut)
def assign_team(request, customer_id: int, data: TeamIn):
    """Reassign the "1+1" team: responsible consultant and doctor."""
    customer = queries.get_customer(request.scope, customer_id)
    services.assign_team(
        customer, consultant=data.consultant_id, doctor=data.doctor_id, by=request.auth
    )
    return _detail(request, customer_id)


@router.post("/customers/{customer_id}/unmask", response=UnmaskOut)
def unmask(request, customer_id: int, data: UnmaskIn):
    """The full phone or ID number (logged); 403 without the unmask permission."""
    customer = queries.get_customer(request.scope, customer_id)
    value = services.unmask_customer(customer, by=request.auth, field=data.field)
    return {"field": data.field, "value": value}


@router.post("/customers/{customer_id}/phone-verifications", response={201: VerificationOut})
def send_verification(request, customer_id: int):
    """Text a verification code to the customer (the code itself is never returned)."""
    customer = queries.get_customer(request.scope, customer_id)
    return Status(201, services.send_phone_verification(customer, by=request.auth))


@router.post("/customers/{customer_id}/phone-verifications/confirm", response=CustomerOut)
def confirm_verification(request, customer_id: int, data: VerificationConfirmIn):
    customer = queries.get_customer(request.scope, customer_id)
    services.confirm_phone_verification(customer, data.code, by=request.auth)
    return _detail(request, customer_id)


@router.get("/customers/{customer_id}/consents", response=list[ConsentOut])
def list_consents(request, customer_id: int):
    customer = queries.get_customer(request.scope, customer_id)
    return list(queries.consents_of(customer))


@router.post("/customers/{customer_id}/consents", response={201: ConsentOut})
def record_consent(request, customer_id: int, data: ConsentIn):
    customer = queries.get_customer(request.scope, customer_id)
    return Status(201, services.record_consent(customer, by=request.auth, **data.dict()))


@router.post("/consents/{consent_id}/withdraw", response=ConsentOut)
def withdraw_consent(request, consent_id: int):
    consent = queries.get_consent(request.scope, consent_id)
    return services.withdraw_consent(consent, by=request.auth)


@router.put("/customers/{customer_id}/tags", response=list[TagOut])
def set_tags(request, customer_id: int, data: CustomerTagsIn):
    customer = queries.get_customer(request.scope, customer_id)
    return services.set_customer_tags(customer, data.tag_ids, by=request.auth)


@router.get("/tags", response=list[TagOut])
def list_tags(request):
    return list(queries.tags_for(request.scope))


@router.post("/tags", response={201: TagOut})
def create_tag(request, data: TagIn):
    return Status(201, services.create_tag(request.auth.org, by=request.auth, **data.dict()))


@router.patch("/tags/{tag_id}", response=TagOut)
def update_tag(request, tag_id: int, data: TagPatch):
    tag = queries.get_tag(request.scope, tag_id)
    return services.update_tag(tag, by=request.auth, **data.dict(exclude_unset=True))


@router.delete("/tags/{tag_id}", response={204: None})
def delete_tag(request, tag_id: int):
    """Delete a tag; it is taken off every customer who had it."""
    tag = queries.get_tag(request.scope, tag_id)
    services.delete_tag(tag, by=request.auth)
    return Status(204, None)


@router.get("/channels", response=list[ChannelOut])
def list_channels(request, active: bool | None = None):
    return list(queries.channels_for(request.scope, active_only=bool(active)))


@router.post("/channels", response={201: ChannelOut})
def create_channel(request, data: ChannelIn):
    return Status(201, services.create_channel(request.auth.org, by=request.auth, **data.dict()))


@router.patch("/channels/{int:channel_id}", response=ChannelOut)
def update_channel(request, channel_id: int, data: ChannelPatch):
    channel = queries.get_channel(request.scope, channel_id)
    return services.update_channel(channel, by=request.auth, **data.dict(exclude_unset=True))


@router.get("/consent-documents", response=list[ConsentDocumentOut])
def list_consent_documents(request):
    return list(queries.consent_documents_for(request.scope))


@router.post("/consent-documents", response={201: ConsentDocumentOut})
def create_consent_document(request, data: ConsentDocumentIn):
    """Publish a new version; it replaces the current one of that kind."""
    return Status(
        201, services.create_consent_document(request.auth.org, by=request.auth, **data.dict())
    )


@router.get("/customers/{customer_id}/level-changes", response=list[LevelChangeOut])
def list_level_changes(request, customer_id: int):
    """The customer's membership level history (why a level went up or down)."""
    customer = queries.get_customer(request.scope, customer_id)
    return list(membership.level_history(customer, limit=100))


@router.get("/membership-levels", response=list[MembershipLevelOut])
def list_membership_levels(request):
    """The chain's membership levels (会员等级), by rank."""
    return list(membership.levels_for(request.scope))


@router.post("/membership-levels", response={201: MembershipLevelOut})
def create_membership_level(request, data: MembershipLevelIn):
    """HQ: a new level; customers are re-levelled from their rolling spend at once."""
    level = membership.create_level(request.auth.org, by=request.auth, **data.dict())
    return Status(201, level)


@router.patch("/membership-levels/{level_id}", response=MembershipLevelOut)
def update_membership_level(request, level_id: int, data: MembershipLevelPatch):
    """HQ: rename, move the threshold or rank, deactivate (is_active=false)."""
    level = membership.get_level(request.scope, level_id)
    return membership.update_level(level, by=request.auth, **data.dict(exclude_unset=True))


@router.get("/membership-program", response=MembershipProgramOut)
def get_membership_program(request):
    policy.require(request.scope, "membership.view")
    return membership.program_of(request.scope.org_id)


@router.put("/membership-program", response=MembershipProgramOut)
def put_membership_program(request, data: MembershipProgramIn):
    """HQ: the rolling-spend window in months (1–120)."""
    return membership.set_program(
        request.auth.org, window_months=data.window_months, by=request.auth
    )


@router.get("/member-activity-settings", response=ActivitySettingsOut)
def get_member_activity_settings(request):
    """The chain's member-activity thresholds in days (会员活跃度)."""
    policy.require(request.scope, "membership.view")
    return activity.settings_of(request.scope.org_id)


@router.put("/member-activity-settings", response=ActivitySettingsOut)
def put_member_activity_settings(request, data: ActivitySettingsIn):
    """HQ: the thresholds (1–3650 days, new < sleeping < deep sleep); customers are
    re-classified at once."""
    return activity.set_settings(request.auth.org, by=request.auth, **data.dict())
