"""Every write of insight: the chain's scoring settings, recomputing the scores, saved segments
and the campaigns run from them (follow-up tasks through yanzhi.followups, SMS through the
outbox of yanzhi.core.sms — never sent inside the request)."""

import string
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from yanzhi.core import audit
from yanzhi.core.errors import BusinessError, NotFound
from yanzhi.core.sms import queue_sms, salutation
from yanzhi.core.validators import MOBILE_RE
from yanzhi.followups.models import Channel
from yanzhi.followups.services import create_campaign_tasks
from yanzhi.insight import scoring, segments
from yanzhi.insight.models import InsightSettings, Segment, SegmentCampaign
from yanzhi.org import policy
from yanzhi.org.models import Organization, Staff, Store

SETTINGS_FIELDS = [
    "spend_weight",
    "frequency_weight",
    "ticket_weight",
    "class_a_percent",
    "class_b_percent",
]
SEGMENT_FIELDS = ["name", "store_id", "definition"]
MAX_NAME = 50
MAX_SMS_TEXT = 300
SMS_PLACEHOLDERS = {"称呼"}
SMS_PURPOSE = "segment_campaign"
MOBILE_REGEX = MOBILE_RE.pattern


def _invalid(fields: dict) -> BusinessError:
    first = next(iter(fields.values()))[0]
    return BusinessError("invalid", first, fields=fields, status=422)


def _own_org(org: Organization, scope) -> None:
    if org.pk != scope.org_id:
        raise NotFound()


# --- settings and scores --------------------------------------------------------------------------
def _percent(fields: dict, name: str, value) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        fields[name] = [_("请填写0到100之间的整数")]
        return 0
    if not 0 <= number <= 100:
        fields[name] = [_("请填写0到100之间的整数")]
    return number


@transaction.atomic
def set_insight_settings(
    org: Organization,
    *,
    spend_weight,
    frequency_weight,
    ticket_weight,
    class_a_percent,
    class_b_percent,
    by: Staff,
) -> InsightSettings:
    """HQ sets the value-score weights (whole percentages adding up to 100) and the A/B class
    shares (A ≥ 1 %, A + B ≤ 100 %); the scores are recomputed at once."""
    scope = policy.scope_for(by)
    policy.require(scope, "insight.configure")
    _own_org(org, scope)
    fields: dict = {}
    values = {
        name: _percent(fields, name, value)
        for name, value in (
            ("spend_weight", spend_weight),
            ("frequency_weight", frequency_weight),
            ("ticket_weight", ticket_weight),
            ("class_a_percent", class_a_percent),
            ("class_b_percent", class_b_percent),
        )
    }
    weights = ("spend_weight", "frequency_weight", "ticket_weight")
    if not fields and sum(values[w] for w in weights) != 100:
        fields["spend_weight"] = [_("三项权重之和须为100")]
    if "class_a_percent" not in fields and values["class_a_percent"] < 1:
        fields["class_a_percent"] = [_("A类占比至少为1%")]
    if not fields and values["class_a_percent"] + values["class_b_percent"] > 100:
        fields["class_b_percent"] = [_("A类与B类占比之和不能超过100%")]
    if fields:
        raise _invalid(fields)
    row, created = InsightSettings.objects.select_for_update().get_or_create(org=org)
    before = audit.snapshot(row, SETTINGS_FIELDS)
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    old, new = audit.changed(before, audit.snapshot(row, SETTINGS_FIELDS))
    if new or created:
        audit.record(by, "insight_settings.updated", row, before=old, after=new)
        scoring.refresh_scores(org)
    return row


@transaction.atomic
def recompute_scores(org: Organization, *, by: Staff) -> int:
    """Recompute the chain's scores now (重新计算) rather than wait for the morning job."""
    scope = policy.scope_for(by)
    policy.require(scope, "insight.refresh")
    _own_org(org, scope)
    count = scoring.refresh_scores(org)
    audit.record(by, "insight_scores.recomputed", org, after={"customers": count})
    return count


# --- segments -------------------------------------------------------------------------------------
def _check_segment(scope, *, name: str, store: Store | None, definition) -> tuple[str, dict]:
    fields: dict = {}
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        fields["name"] = [_("请填写客群名称(不超过50字)")]
    if store is None and not scope.chain_wide:
        fields["store_id"] = [_("只有总部可以建立全连锁客群,请选择门店")]
    elif store is not None and (store.org_id != scope.org_id or not scope.covers_store(store.pk)):
        raise NotFound()
    try:
        parsed = segments.definition_from(definition, org_id=scope.org_id)
    except BusinessError as error:
        fields.update(error.fields)
        parsed = None
    if fields:
        raise _invalid(fields)
    return name, parsed.as_dict()


@transaction.atomic
def create_segment(
    org: Organization, *, name: str, store: Store | None, definition: dict, by: Staff
) -> Segment:
    """Save a segment of one store (a manager: their store) or of the chain (HQ)."""
    scope = policy.scope_for(by)
    policy.require(scope, "segment.manage")
    _own_org(org, scope)
    name, clean = _check_segment(scope, name=name, store=store, definition=definition)
    segment = Segment.objects.create(
        org=org, store=store, name=name, definition=clean, created_by=by
    )
    audit.record(by, "segment.created", segment, after=audit.snapshot(segment, SEGMENT_FIELDS))
    return segment


def _may_manage(scope, segment: Segment) -> None:
    policy.require(scope, "segment.manage")
    if segment.org_id != scope.org_id:
        raise NotFound()
    if segment.store_id is None and not scope.chain_wide:
        raise BusinessError("forbidden", _("全连锁客群只有总部可以修改"), status=403)
    if segment.store_id is not None and not scope.covers_store(segment.store_id):
        raise NotFound()


@transaction.atomic
def update_segment(
    segment: Segment, *, name: str, store: Store | None, definition: dict, by: Staff
) -> Segment:
    """Rename a segment, move it to another store (or the chain) or change its conditions."""
    scope = policy.scope_for(by)
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    _may_manage(scope, segment)
    name, clean = _check_segment(scope, name=name, store=store, definition=definition)
    before = audit.snapshot(segment, SEGMENT_FIELDS)
    segment.name, segment.store, segment.definition = name, store, clean
    segment.save()
    old, new = audit.changed(before, audit.snapshot(segment, SEGMENT_FIELDS))
    if new:
        audit.record(by, "segment.updated", segment, before=old, after=new)
    return segment


@transaction.atomic
def delete_segment(segment: Segment, *, by: Staff) -> None:
    """Delete a saved segment with its campaign history (tasks and messages stay)."""
    scope = policy.scope_for(by)
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    _may_manage(scope, segment)
    audit.record(by, "segment.deleted", segment, before=audit.snapshot(segment, SEGMENT_FIELDS))
    segment.delete()


def members_of(segment: Segment, scope):
    """The segment's members inside the scope (a QuerySet; paginate it)."""
    definition = segments.definition_from(segment.definition, org_id=segment.org_id)
    return segments.members(scope, definition, store_id=segment.store_id)


# --- campaigns ------------------------------------------------------------------------------------
@transaction.atomic
def run_followup_campaign(
    segment: Segment,
    *,
    title: str,
    owner_role: str,
    channel: str = Channel.CALL,
    script: str = "",
    due_on: date | None = None,
    by: Staff,
) -> SegmentCampaign:
    """One follow-up task per member (专项回访), each in the member's own store, owned by the
    role chosen; cause "segment-campaign:<run id>". Only members whose home store the runner
    covers get a task (a store's staff do not create work in another store)."""
    scope = policy.scope_for(by)
    policy.require(scope, "segment.campaign")
    if segment.org_id != scope.org_id:
        raise NotFound()
    members = members_of(segment, scope).order_by()
    if not scope.chain_wide:
        members = members.filter(store_id__in=scope.store_ids)
    store_ids = sorted(set(members.values_list("store_id", flat=True)))
    if not store_ids:
        message = _("客群中没有可以生成回访任务的客户")
        raise BusinessError("empty_segment", message, fields={"segment": [message]}, status=422)
    run = SegmentCampaign.objects.create(
        org_id=segment.org_id,
        segment=segment,
        kind=SegmentCampaign.Kind.FOLLOWUP,
        title=(title or "").strip()[:100],
        text=script or "",
        by=by,
    )
    created = 0
    for store in Store.objects.filter(pk__in=store_ids).order_by("pk"):
        created += create_campaign_tasks(
            store,
            customers=members.filter(store_id=store.pk),
            cause=run.cause,
            title=title,
            owner_role=owner_role,
            channel=channel,
            script=script,
            due_on=due_on,
            by=by,
        )
    run.member_count = members.count()
    run.created_count = created
    run.save(update_fields=["member_count", "created_count"])
    audit.record(
        by,
        "segment.campaign_run",
        segment,
        after={"kind": run.kind, "run": run.pk, "members": run.member_count, "tasks": created},
    )
    return run


@dataclass(frozen=True)
class SmsReach:
    """Who an SMS campaign reaches: members with marketing consent and a valid mobile."""

    members: int
    receiving: int
    no_consent: int
    invalid_phone: int


def sms_reach(segment: Segment, scope) -> SmsReach:
    """The counts shown before an SMS campaign is confirmed (one query)."""
    valid = Q(phone__regex=MOBILE_REGEX)
    counts = (
        members_of(segment, scope)
        .order_by()
        .aggregate(
            members=Count("pk"),
            no_consent=Count("pk", filter=Q(marketing_consent=False)),
            receiving=Count("pk", filter=Q(marketing_consent=True) & valid),
        )
    )
    return SmsReach(
        members=counts["members"],
        receiving=counts["receiving"],
        no_consent=counts["no_consent"],
        invalid_phone=counts["members"] - counts["no_consent"] - counts["receiving"],
    )


def _check_sms_text(text: str) -> str:
    text = (text or "").strip()
    message = None
    if not text or len(text) > MAX_SMS_TEXT:
        message = _("请填写短信内容(不超过300字)")
    else:
        try:
            names = {f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f}
        except ValueError:
            names = None
        if names is None or names - SMS_PLACEHOLDERS:
            message = _("短信内容只能使用占位符{称呼},花括号不能单独使用")
    if message:
        raise _invalid({"text": [message]})
    return text


@transaction.atomic
def run_sms_campaign(segment: Segment, *, title: str, text: str, by: Staff) -> SegmentCampaign:
    """Queue one SMS per member who consented to marketing and has a valid mobile, {称呼}
    filled per customer; the worker sends them after commit. Records who was skipped."""
    scope = policy.scope_for(by)
    policy.require(scope, "segment.campaign")
    if segment.org_id != scope.org_id:
        raise NotFound()
    text = _check_sms_text(text)
    title = (title or "").strip()
    if not title or len(title) > 100:
        raise _invalid({"title": [_("请填写活动主题(不超过100字)")]})
    reach = sms_reach(segment, scope)
    run = SegmentCampaign.objects.create(
        org_id=segment.org_id,
        segment=segment,
        kind=SegmentCampaign.Kind.SMS,
        title=title,
        text=text,
        member_count=reach.members,
        skipped_no_consent_count=reach.no_consent,
        skipped_invalid_phone_count=reach.invalid_phone,
        by=by,
    )
    receivers = (
        members_of(segment, scope)
        .filter(marketing_consent=True, phone__regex=MOBILE_REGEX)
        .select_related(None)
        .only("pk", "name", "gender", "salutation", "phone")
        .order_by("pk")
    )
    sent = 0
    for customer in receivers.iterator(chunk_size=1000):
        greeting = salutation(customer.name, customer.gender, customer.salutation)
        queue_sms(
            org_id=segment.org_id,
            phone=customer.phone,
            purpose=SMS_PURPOSE,
            text=text.replace("{称呼}", greeting),
            customer_id=customer.pk,
        )
        sent += 1
    run.created_count = sent
    run.save(update_fields=["created_count"])
    audit.record(
        by,
        "segment.campaign_run",
        segment,
        after={"kind": run.kind, "run": run.pk, "members": reach.members, "sms": sent},
    )
    return run
