"""/api/v1 endpoints of insight: the overview and RFM table at the caller's granularity, scores,
scoring settings, saved segments, their members and campaigns. Same services and scoped queries
as the pages."""

from ninja import Query, Router, Status

from yanzhi.insight import queries, scoring, services
from yanzhi.insight.schemas import (
    CampaignIn,
    CampaignOut,
    CampaignPage,
    FigureRowOut,
    MemberPage,
    OverviewOut,
    RecomputeOut,
    ScoreOut,
    SegmentIn,
    SegmentOut,
    SegmentPage,
    SettingsIn,
    SettingsOut,
    SmsReachOut,
)
from yanzhi.org import policy
from yanzhi.org.models import Organization
from yanzhi.org.queries import get_store

router = Router(tags=["insight"])


def _page(qs, limit: int, offset: int) -> dict:
    return {"count": qs.count(), "items": list(qs[offset : offset + limit])}


def _store_id(request, store_id: int | None) -> int | None:
    return get_store(request.scope, store_id).pk if store_id else None


def _org(request) -> Organization:
    return Organization.objects.get(pk=request.scope.org_id)


# --- overview and scores --------------------------------------------------------------------------
@router.get("/insight/overview", response=OverviewOut, summary="Customer insight overview")
def insight_overview(request, store_id: int | None = None):
    """RFM segments, value pyramid, growth types, age bands with typical items and departments,
    for the caller's customers (HQ: the chain or `store_id`; a consultant: their own)."""
    policy.require(request.scope, "insight.view")
    settings = scoring.settings_of(request.scope.org_id)
    return queries.overview(
        request.scope,
        store_id=_store_id(request, store_id),
        today=scoring.as_of_day(_org(request)),
        computed_on=settings.scores_computed_on,
        computed_at=settings.scores_computed_at,
    )


@router.get("/insight/rfm", response=list[FigureRowOut], summary="RFM segment table")
def insight_rfm(request, store_id: int | None = None):
    policy.require(request.scope, "insight.view")
    scores = queries.scores_for(request.scope)
    if store_id:
        scores = scores.filter(store_id=_store_id(request, store_id))
    return queries.rfm_table(scores)


@router.get("/insight/scores/{customer_id}", response=ScoreOut, summary="One customer's score")
def insight_score(request, customer_id: int):
    policy.require(request.scope, "insight.view")
    return queries.get_score(request.scope, customer_id)


@router.post("/insight/recompute", response=RecomputeOut, summary="Recompute the scores now")
def insight_recompute(request):
    return {"customers": services.recompute_scores(_org(request), by=request.auth)}


@router.get("/insight/settings", response=SettingsOut)
def get_insight_settings(request):
    policy.require(request.scope, "insight.view")
    return scoring.settings_of(request.scope.org_id)


@router.put("/insight/settings", response=SettingsOut)
def put_insight_settings(request, data: SettingsIn):
    return services.set_insight_settings(_org(request), by=request.auth, **data.dict())


# --- segments -------------------------------------------------------------------------------------
def _segment_args(request, data: SegmentIn) -> dict:
    store = get_store(request.scope, data.store_id) if data.store_id else None
    return {"name": data.name, "store": store, "definition": data.definition.dict()}


@router.get("/segments", response=SegmentPage, summary="Saved segments (客群)")
def list_segments(request, limit: int = Query(50, ge=1, le=100), offset: int = Query(0, ge=0)):
    policy.require(request.scope, "segment.view")
    return _page(queries.segments_for(request.scope), limit, offset)


@router.post("/segments", response={201: SegmentOut})
def create_segment(request, data: SegmentIn):
    segment = services.create_segment(
        _org(request), by=request.auth, **_segment_args(request, data)
    )
    return Status(201, queries.get_segment(request.scope, segment.pk))


@router.get("/segments/{segment_id}", response=SegmentOut)
def get_segment(request, segment_id: int):
    policy.require(request.scope, "segment.view")
    return queries.get_segment(request.scope, segment_id)


@router.put("/segments/{segment_id}", response=SegmentOut)
def update_segment(request, segment_id: int, data: SegmentIn):
    segment = queries.get_segment(request.scope, segment_id)
    services.update_segment(segment, by=request.auth, **_segment_args(request, data))
    return queries.get_segment(request.scope, segment_id)


@router.delete("/segments/{segment_id}", response={204: None})
def delete_segment(request, segment_id: int):
    segment = queries.get_segment(request.scope, segment_id)
    services.delete_segment(segment, by=request.auth)
    return Status(204, None)


@router.get("/segments/{segment_id}/members", response=MemberPage)
def segment_members(
    request,
    segment_id: int,
    limit: int = Query(50, ge=1, le=100),
    offset: int = Query(0, ge=0),
):
    """The members inside the caller's scope, best value score first."""
    policy.require(request.scope, "segment.view")
    segment = queries.get_segment(request.scope, segment_id)
    return _page(services.members_of(segment, request.scope), limit, offset)


@router.get("/segments/{segment_id}/sms-reach", response=SmsReachOut)
def segment_sms_reach(request, segment_id: int):
    """How many members an SMS campaign would reach, and how many it skips, before sending."""
    policy.require(request.scope, "segment.campaign")
    segment = queries.get_segment(request.scope, segment_id)
    return services.sms_reach(segment, request.scope)


@router.get("/segments/{segment_id}/campaigns", response=CampaignPage)
def segment_campaigns(
    request,
    segment_id: int,
    limit: int = Query(50, ge=1, le=100),
    offset: int = Query(0, ge=0),
):
    policy.require(request.scope, "segment.view")
    segment = queries.get_segment(request.scope, segment_id)
    return _page(queries.campaigns_of(segment), limit, offset)


@router.post("/segments/{segment_id}/campaigns", response={201: CampaignOut})
def run_campaign(request, segment_id: int, data: CampaignIn):
    """`kind` "followup": one task per member in their own store; "sms": one message per member
    with marketing consent and a valid mobile, queued for the worker."""
    segment = queries.get_segment(request.scope, segment_id)
    if data.kind == "sms":
        run = services.run_sms_campaign(segment, title=data.title, text=data.text, by=request.auth)
    else:
        run = services.run_followup_campaign(
            segment,
            title=data.title,
            owner_role=data.owner_role,
            channel=data.channel,
            script=data.script,
            due_on=data.due_on,
            by=request.auth,
        )
    return Status(201, run)
