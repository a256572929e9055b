"""Business actions on customers: create and edit (with the chain-wide duplicate check), the
"1+1" team, tags, channels, phone verification by SMS code, consents and unmasking."""

import hashlib
import hmac
import re
import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, TextField, Value, When
from django.db.models.functions import Replace
from django.utils import timezone
from django.utils.translation import gettext as _

from yanzhi.core import audit, events
from yanzhi.core.errors import BusinessError
from yanzhi.core.money import to_money
from yanzhi.core.search import SURNAME_READINGS, name_initials, name_pinyin
from yanzhi.core.sms import queue_sms
from yanzhi.core.timeutil import store_today
from yanzhi.core.validators import (
    id_card_birth_date,
    id_card_gender,
    mask_id_card,
    mask_phone,
    normalize_id_card,
    normalize_mobile,
    validate_cn_mobile,
    validate_id_card,
)
from yanzhi.customers import activity, copies
from yanzhi.customers.membership import active_levels, level_for_spend
from yanzhi.customers.models import (
    LIST_FILTER_COLUMNS,
    Consent,
    ConsentDocument,
    Customer,
    CustomerStoreLink,
    CustomerSummary,
    PhoneVerification,
    SourceChannel,
    Tag,
    tag_key,
    tag_keys_of,
)
from yanzhi.customers.tags import TagState
from yanzhi.org import policy
from yanzhi.org.models import Organization, Staff, Store

# Fields of a customer the audit log records (search keys are derived, not recorded).
CUSTOMER_AUDIT_FIELDS = [
    "store_id",
    "member_no",
    "name",
    "salutation",
    "gender",
    "birth_date",
    "phone",
    "phone_verified_at",
    "id_card",
    "source_channel_id",
    "referrer_id",
    "consultant_id",
    "online_consultant_id",
    "doctor_id",
    "allergies",
    "notes",
    "marketing_consent",
]
# What update_customer may change; the team goes through the customer.assign permission.
PROFILE_FIELDS = {
    "name",
    "salutation",
    "gender",
    "birth_date",
    "phone",
    "id_card",
    "source_channel",
    "referrer",
    "allergies",
    "notes",
    "marketing_consent",
}
TEAM_FIELDS = {"consultant", "online_consultant", "doctor"}
TEAM_ROLES = {
    "consultant": policy.CONSULTANT,
    "online_consultant": policy.ONLINE,
    "doctor": policy.DOCTOR,
}

VERIFICATION_TTL = timedelta(minutes=5)
VERIFICATION_RESEND_AFTER = timedelta(seconds=60)
VERIFICATION_MAX_ATTEMPTS = 5
MEMBER_NO_START = 10000001
HEX_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


# --- helpers --------------------------------------------------------------------------------------
def _require(by: Staff, action: str) -> None:
    if by is None or by.role not in policy.ACTIONS[action]:
        raise BusinessError("forbidden", _("您的角色无权执行此操作"), status=403)


def _field_error(code: str, field: str, message) -> BusinessError:
    return BusinessError(code, message, fields={field: [message]})


def _audit_snapshot(customer: Customer) -> dict:
    """The audited fields; phone and ID numbers are kept masked even in the audit log."""
    data = audit.snapshot(customer, CUSTOMER_AUDIT_FIELDS)
    data["phone"] = mask_phone(customer.phone)
    data["id_card"] = mask_id_card(customer.id_card)
    return data


def _resolve(model, value, org_id: int, field: str):
    """Accept an instance or a primary key; anything outside the chain is an invalid choice."""
    if value in (None, "", 0):
        return None
    pk = value.pk if isinstance(value, model) else value
    obj = model.objects.filter(org_id=org_id, pk=pk).first()
    if obj is None:
        raise _field_error("invalid_choice", field, _("所选项目不存在或不属于本机构"))
    return obj


def surname_of(name: str) -> str:
    name = (name or "").strip()
    compound = [s for s in SURNAME_READINGS if len(s) == 2]
    return next((s for s in compound if name.startswith(s)), name[:1])


def default_salutation(name: str, gender: str) -> str:
    """王女士 / 王先生; the full name when the gender is unknown."""
    if gender == Customer.Gender.FEMALE:
        return _("%(surname)s女士") % {"surname": surname_of(name)}
    if gender == Customer.Gender.MALE:
        return _("%(surname)s先生") % {"surname": surname_of(name)}
    return (name or "").strip()


def _owner_description(customer: Customer) -> str:
    owner = customer.consultant or customer.online_consultant
    return _("该手机号(%(phone)s)已是%(store)s%(owner)s的客户") % {
        "phone": mask_phone(customer.phone),
        "store": customer.store.name,
        "owner": owner.name if owner else _("(未分配咨询师)"),
    }


def _check_duplicates(org_id: int, *, phone: str, id_card: str, exclude_pk=None) -> None:
    """全网搜索: a phone or ID number belongs to one customer in the whole chain."""
    existing = (
        Customer.objects.filter(org_id=org_id, phone=phone)
        .exclude(pk=exclude_pk)
        .select_related("store", "consultant", "online_consultant")
        .first()
    )
    if existing is not None:
        message = _owner_description(existing)
        raise BusinessError("duplicate_phone", message, fields={"phone": [message]})
    if id_card:
        other = (
            Customer.objects.filter(org_id=org_id, id_card=id_card)
            .exclude(pk=exclude_pk)
            .select_related("store", "consultant", "online_consultant")
            .first()
        )
        if other is not None:
            message = _("该身份证号已登记为%(store)s的客户%(member)s") % {
                "store": other.store.name,
                "member": other.member_no,
            }
            raise BusinessError("duplicate_id_card", message, fields={"id_card": [message]})


def _clean_identity(data: dict, *, today: date) -> dict:
    """Normalise and validate phone, ID card, name, gender and birth date; derive from the ID."""
    errors: dict[str, list] = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("请填写姓名")]
    elif len(name) > 50:
        errors["name"] = [_("姓名不能超过50个字")]
    phone = normalize_mobile(data.get("phone") or "")
    try:
        validate_cn_mobile(phone)
    except ValidationError as exc:
        errors["phone"] = list(exc.messages)
    id_card = normalize_id_card(data.get("id_card") or "")
    gender = data.get("gender") or Customer.Gender.UNKNOWN
    if gender not in Customer.Gender.values:
        errors["gender"] = [_("未知的性别")]
    birth_date = data.get("birth_date")
    if birth_date is not None and birth_date > today:
        errors["birth_date"] = [_("出生日期不能晚于今天")]
    if id_card:
        try:
            validate_id_card(id_card, today=today)
        except ValidationError as exc:
            errors["id_card"] = list(exc.messages)
        else:
            id_birth, id_gender = id_card_birth_date(id_card), id_card_gender(id_card)
            if birth_date is None:
                birth_date = id_birth
            elif birth_date != id_birth:
                errors.setdefault("birth_date", []).append(_("出生日期与身份证号不一致"))
            if gender == Customer.Gender.UNKNOWN:
                gender = id_gender
            elif gender != id_gender:
                errors.setdefault("gender", []).append(_("性别与身份证号不一致"))
    if errors:
        first = next(iter(errors.values()))[0]
        raise BusinessError("invalid_input", first, fields=errors)
    return {
        "name": name,
        "phone": phone,
        "id_card": id_card,
        "gender": gender,
        "birth_date": birth_date,
    }


def _check_team_member(staff: Staff | None, field: str, store: Store) -> None:
    """The "1+1" team: right role, same chain, working in the customer's store."""
    if staff is None:
        return
    if staff.role != TEAM_ROLES[field] or not staff.is_active:
        messages = {
            "consultant": _("责任咨询师必须是在职的咨询师"),
            "online_consultant": _("网电咨询师必须是在职的网电咨询师"),
            "doctor": _("责任医生必须是在职的医生"),
        }
        raise _field_error("invalid_team", field, messages[field])
    if staff.org_id != store.org_id or not staff.stores.filter(pk=store.pk).exists():
        raise _field_error("invalid_team", field, _("所选员工不在该门店工作"))


def _search_keys(customer: Customer) -> None:
    customer.phone_tail = customer.phone[-4:]
    customer.name_pinyin = name_pinyin(customer.name)[:120]
    customer.name_initials = name_initials(customer.name)[:30]
    customer.name_rest = customer.name[1:][:49]


def link_copies(customer: Customer) -> dict:
    """What a store link copies from its customer: the search keys (CustomerStoreLink.
    SEARCH_KEYS) and what the customer list filters on (LIST_FACTS)."""
    return {
        **{key: getattr(customer, key) for key in CustomerStoreLink.SEARCH_KEYS},
        "member_level_id": customer.member_level_id,
        "source_channel_id": customer.source_channel_id,
        "consultant_id": customer.consultant_id,
        "online_consultant_id": customer.online_consultant_id,
        "phone_verified": customer.phone_verified_at is not None,
        "has_allergy": customer.allergies != "",
        "tag_keys": customer.tag_keys,
    }


def mirror_link_copies(customer: Customer, before: dict) -> None:
    """After the customer's save, in its transaction (the customer row locked): its store
    links copy what changed of link_copies (`before`: as they stood before the change), so a
    store's search finds the new name and its list filters by the new level or consultant."""
    changed = {key: value for key, value in link_copies(customer).items() if before[key] != value}
    if changed:
        CustomerStoreLink.objects.filter(customer_id=customer.pk).update(**changed)


def _next_member_no(org_id: int) -> str:
    """The chain's next member number: 8 digits, counting up from 10000001."""
    last = (
        Customer.objects.filter(org_id=org_id, member_no__regex=r"^[0-9]{8}$")
        .order_by("-member_no")
        .values_list("member_no", flat=True)
        .first()
    )
    return str(max(MEMBER_NO_START, int(last) + 1) if last else MEMBER_NO_START)


def _check_referrer(referrer: Customer | None, customer: Customer | None = None) -> None:
    if referrer is not None and customer is not None and referrer.pk == customer.pk:
        raise _field_error("invalid_referrer", "referrer", _("推荐人不能是客户本人"))


# --- customers --------------------------------------------------------------------------------------
def ensure_summary(customer: Customer) -> CustomerSummary:
    summary, _created = CustomerSummary.objects.get_or_create(
        customer=customer, defaults={"org_id": customer.org_id, "store_id": customer.store_id}
    )
    return summary


@transaction.atomic
def create_customer(
    org: Organization,
    *,
    store: Store,
    by: Staff,
    name: str,
    phone: str,
    id_card: str = "",
    gender: str = Customer.Gender.UNKNOWN,
    birth_date: date | None = None,
    salutation: str = "",
    source_channel=None,
    referrer=None,
    consultant=None,
    online_consultant=None,
    doctor=None,
    allergies: str = "",
    notes: str = "",
    tags=(),
    marketing_consent: bool = False,
) -> Customer:
    """Register a customer: the phone (and ID number) must be new to the whole chain."""
    _require(by, "customer.create")
    if store.org_id != org.pk or by.org_id != org.pk:
        raise _field_error("invalid_store", "store", _("门店不属于本机构"))
    if by.role != policy.HQ and not by.stores.filter(pk=store.pk).exists():
        raise _field_error("invalid_store", "store", _("您不在该门店工作"))
    today = store_today(store)
    identity = _clean_identity(
        {
            "name": name,
            "phone": phone,
            "id_card": id_card,
            "gender": gender,
            "birth_date": birth_date,
        },
        today=today,
    )
    channel = _resolve(SourceChannel, source_channel, org.pk, "source_channel")
    if channel is not None and not channel.is_active:
        raise _field_error("invalid_choice", "source_channel", _("该渠道已停用"))
    referrer = _resolve(Customer, referrer, org.pk, "referrer")
    team = {
        "consultant": _resolve(Staff, consultant, org.pk, "consultant"),
        "online_consultant": _resolve(Staff, online_consultant, org.pk, "online_consultant"),
        "doctor": _resolve(Staff, doctor, org.pk, "doctor"),
    }
    # A consultant's new customer is theirs; otherwise it would drop out of their own scope.
    if by.role == policy.CONSULTANT and team["consultant"] is None:
        team["consultant"] = by
    if by.role == policy.ONLINE and team["online_consultant"] is None:
        team["online_consultant"] = by
    for field, member in team.items():
        _check_team_member(member, field, store)
    tag_objs = [_resolve(Tag, t, org.pk, "tags") for t in tags]
    _check_duplicates(org.pk, phone=identity["phone"], id_card=identity["id_card"])
    customer = Customer(
        org=org,
        store=store,
        salutation=(salutation or "").strip()[:30]
        or default_salutation(identity["name"], identity["gender"]),
        source_channel=channel,
        referrer=referrer,
        allergies=(allergies or "").strip()[:300],
        notes=notes or "",
        marketing_consent=bool(marketing_consent),
        created_by=by,
        **identity,
        **team,
    )
    # A new customer has spent nothing yet: the level a zero spend reaches (often 普通会员).
    customer.member_level = level_for_spend(active_levels(org.pk), Decimal("0.00"))
    customer.member_level_since = timezone.now() if customer.member_level else None
    customer.tag_keys = tag_keys_of(t.pk for t in tag_objs)
    _search_keys(customer)
    for _attempt in range(5):
        customer.member_no = _next_member_no(org.pk)
        try:
            with transaction.atomic():
                customer.save()
            break
        except IntegrityError:
            # Someone else took the phone or the member number in the meantime.
            customer.pk = None
            _check_duplicates(org.pk, phone=identity["phone"], id_card=identity["id_card"])
    else:
        raise BusinessError("busy", _("系统繁忙,请重试"), status=409)
    ensure_summary(customer)
    if tag_objs:
        customer.tags.set(tag_objs)
    after = _audit_snapshot(customer)
    after["tag_ids"] = sorted(t.pk for t in tag_objs)
    audit.record(by, "customer.created", customer, after=after)
    events.emit(
        "customer.created",
        customer_id=customer.pk,
        org_id=org.pk,
        store_id=store.pk,
        created_at=customer.created_at,
    )
    if marketing_consent:
        _grant_marketing(customer, by=by)
    return customer


@transaction.atomic
def update_customer(customer: Customer, *, by: Staff, **changes) -> Customer:
    """Edit a profile with the same rules as creating; a new phone must be verified again."""
    _require(by, "customer.edit")
    unknown = set(changes) - PROFILE_FIELDS - TEAM_FIELDS
    if unknown:
        raise BusinessError(
            "invalid_field", _("未知字段:%(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    customer = (
        Customer.objects.select_for_update(of=("self",)).select_related("store").get(pk=customer.pk)
    )
    before = _audit_snapshot(customer)
    channel_before = customer.source_channel_id
    copies_before = link_copies(customer)
    today = store_today(customer.store)
    data = {
        f: changes.get(f, getattr(customer, f))
        for f in ("name", "phone", "id_card", "gender", "birth_date")
    }
    new_id = normalize_id_card(changes.get("id_card", customer.id_card) or "")
    if new_id and new_id != customer.id_card:
        # A new ID number decides birth date and gender unless they are given with it.
        if "birth_date" not in changes:
            data["birth_date"] = None
        if "gender" not in changes:
            data["gender"] = Customer.Gender.UNKNOWN
    identity = _clean_identity(data, today=today)
    if "source_channel" in changes:
        channel = _resolve(
            SourceChannel, changes["source_channel"], customer.org_id, "source_channel"
        )
        if (
            channel is not None
            and not channel.is_active
            and channel.pk != customer.source_channel_id
        ):
            raise _field_error("invalid_choice", "source_channel", _("该渠道已停用"))
        customer.source_channel = channel
    if "referrer" in changes:
        referrer = _resolve(Customer, changes["referrer"], customer.org_id, "referrer")
        _check_referrer(referrer, customer)
        customer.referrer = referrer
    team_changes = {f: changes[f] for f in TEAM_FIELDS & set(changes)}
    if team_changes:
        _apply_team(customer, team_changes, by=by)
    _check_duplicates(
        customer.org_id,
        phone=identity["phone"],
        id_card=identity["id_card"],
        exclude_pk=customer.pk,
    )
    if identity["phone"] != customer.phone:
        customer.phone_verified_at = None
    for field, value in identity.items():
        setattr(customer, field, value)
    if "salutation" in changes:
        customer.salutation = (changes["salutation"] or "").strip()[:30] or default_salutation(
            customer.name, customer.gender
        )
    if "allergies" in changes:
        customer.allergies = (changes["allergies"] or "").strip()[:300]
    if "notes" in changes:
        customer.notes = changes["notes"] or ""
    marketing_changed = "marketing_consent" in changes and bool(
        changes["marketing_consent"]
    ) != bool(customer.marketing_consent)
    if marketing_changed:
        customer.marketing_consent = bool(changes["marketing_consent"])
    _search_keys(customer)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        _check_duplicates(
            customer.org_id,
            phone=identity["phone"],
            id_card=identity["id_card"],
            exclude_pk=customer.pk,
        )
        raise
    mirror_link_copies(customer, copies_before)
    old, new = audit.changed(before, _audit_snapshot(customer))
    if new:
        audit.record(by, "customer.updated", customer, before=old, after=new)
    if customer.source_channel_id != channel_before:
        # Visits, orders and payments carry the customer's channel for the channel statistics.
        events.emit(
            "customer.channel_changed",
            customer_id=customer.pk,
            org_id=customer.org_id,
            channel_id=customer.source_channel_id,
        )
    if marketing_changed:
        if customer.marketing_consent:
            _grant_marketing(customer, by=by)
        else:
            _withdraw_marketing(customer, by=by)
    return customer


def _apply_team(customer: Customer, team: dict, *, by: Staff) -> None:
    resolved = {f: _resolve(Staff, v, customer.org_id, f) for f, v in team.items()}
    if all(getattr(customer, f"{f}_id") == (s.pk if s else None) for f, s in resolved.items()):
        return
    _require(by, "customer.assign")
    for field, member in resolved.items():
        _check_team_member(member, field, customer.store)
        setattr(customer, field, member)


@transaction.atomic
def assign_team(
    customer: Customer, *, consultant=None, doctor=None, by: Staff, online_consultant=...
) -> Customer:
    """Reassign the "1+1" team (responsible consultant and doctor)."""
    _require(by, "customer.assign")
    customer = (
        Customer.objects.select_for_update(of=("self",)).select_related("store").get(pk=customer.pk)
    )
    before = _audit_snapshot(customer)
    copies_before = link_copies(customer)
    team = {"consultant": consultant, "doctor": doctor}
    if online_consultant is not ...:
        team["online_consultant"] = online_consultant
    _apply_team(customer, team, by=by)
    customer.save()
    mirror_link_copies(customer, copies_before)
    old, new = audit.changed(before, _audit_snapshot(customer))
    if new:
        audit.record(by, "customer.team_assigned", customer, before=old, after=new)
    return customer


def link_customer_to_store(customer: Customer, *, store_id: int) -> None:
    """Let another store's staff serve this customer (booked or arrived there); the link
    carries the customer's search keys and list facts (link_copies)."""
    if store_id == customer.store_id:
        return
    if CustomerStoreLink.objects.filter(customer_id=customer.pk, store_id=store_id).exists():
        return
    _create_store_link(customer, store_id)


@transaction.atomic
def _create_store_link(customer: Customer, store_id: int) -> None:
    # The tag facts come from the locked summary: a payment or visit committing meanwhile
    # (which copies its facts to the links it sees) cannot leave this link behind. The summary
    # is locked before the customer, as everywhere.
    facts = link_tag_facts(lock_summary(customer.pk))
    # The copies come from the locked row, not from the caller's instance: a rename committing
    # meanwhile (update_customer rewrites the links it sees) cannot leave this link behind.
    # NO KEY UPDATE waits for update_customer's lock but not for the foreign-key checks of
    # rows pointing at the customer.
    locked = (
        Customer.objects.select_for_update(no_key=True)
        .only(*CustomerStoreLink.SEARCH_KEYS, *LIST_FILTER_COLUMNS, "created_at")
        .get(pk=customer.pk)
    )
    CustomerStoreLink.objects.get_or_create(
        customer=customer,
        store_id=store_id,
        defaults={
            "org_id": customer.org_id,
            "customer_created_at": locked.created_at,
            **link_copies(locked),
            **facts,
        },
    )


def link_tag_facts(summary: CustomerSummary | None) -> dict:
    """What a customer's store links copy from the summary (none: a customer imported without
    one, with the facts the tag filters count them by: 非会员, 未成交)."""
    return TagState.of(summary).as_dict()


def mirror_tag_facts(summary: CustomerSummary, before: dict) -> None:
    """After the summary's save, in its transaction: the customer's store links copy its tag
    facts when they differ from `before` (link_tag_facts of the row as locked, which is what
    the links hold: check_balances "store_links"). Most visits and payments change none, and
    the UPDATE of a customer's links cost a statement even when there were none."""
    facts = link_tag_facts(summary)
    if facts != before:
        CustomerStoreLink.objects.filter(customer_id=summary.customer_id).update(**facts)


def repair_customer_copies() -> tuple[int, int]:
    """Rewrite the list's copies that differ (customers.copies): first each such customer's
    tag_keys from its tags, then each such link's copies from its customer, each row locked
    as the services lock it. For copies left behind by a write that bypassed the services
    (or by the previous release while a migration backfilled them); returns the numbers of
    customers and links rewritten."""
    customers = 0
    for pk in copies.stale_tag_key_ids():
        with transaction.atomic():
            customer = Customer.objects.select_for_update().get(pk=pk)
            customer.tag_keys = tag_keys_of(customer.tags.values_list("pk", flat=True))
            customer.save(update_fields=["tag_keys", "updated_at"])
            customers += 1
    links = 0
    for pk in copies.stale_link_ids():
        with transaction.atomic():
            link = CustomerStoreLink.objects.get(pk=pk)
            customer = Customer.objects.select_for_update().get(pk=link.customer_id)
            CustomerStoreLink.objects.filter(pk=pk).update(**link_copies(customer))
            links += 1
    return customers, links


# One statement for every link at once (a rebuild of the summaries, a generated chain):
# PostgreSQL and SQLite (3.33+) both take UPDATE … FROM.
_MIRROR_ALL = """
UPDATE customers_customerstorelink SET activity = s.activity,
    last_visit_type = s.last_visit_type, deal_count = s.deal_count,
    has_arrears = (s.arrears_amount > 0)
FROM customers_customersummary s
WHERE s.customer_id = customers_customerstorelink.customer_id{condition}
"""


def mirror_all_tag_facts(org_id: int | None = None) -> int:
    """Every store link (of one chain) copies its customer's tag facts; returns rows updated."""
    condition, params = "", []
    if org_id is not None:
        condition, params = " AND customers_customerstorelink.org_id = %s", [org_id]
    with connection.cursor() as cursor:
        cursor.execute(_MIRROR_ALL.format(condition=condition), params)
        return cursor.rowcount


def _locked_summary(customer_id: int) -> CustomerSummary | None:
    """The customer's summary row, locked until the end of the caller's transaction (only the
    row itself: its store is read along, not locked)."""
    return (
        CustomerSummary.objects.select_for_update(of=("self",))
        .select_related("store")
        .filter(customer_id=customer_id)
        .first()
    )


def _keep_day_start(summary: CustomerSummary) -> list[str]:
    """Before the first change of a store day to a customer's tag facts (a visit, a deal, a
    payment), keep them as they stood when the day began (customers.tags.tag_state), so offers
    aimed at yesterday's state (沉睡会员 …) still reach the customer who walks in today. Sets
    the fields on `summary` (read before the change) and returns their names for the save."""
    today = store_today(summary.store)
    if summary.day_start_on == today:
        return []
    summary.day_start_on, summary.day_start_tags = today, TagState.of(summary).as_dict()
    return ["day_start_on", "day_start_tags"]


def note_visit(
    *, customer_id: int, arrived_at, visit_type: str, locked: CustomerSummary | None = None
) -> None:
    """Keep the summary's visit facts current; called inside the arrival transaction. One
    locked read (none when the caller passes the row it locked with `lock_summary` and has not
    changed since) and one write: the row stays locked to the end of the transaction, so facts
    computed here cannot race another arrival or payment of the same customer."""
    summary = locked or _locked_summary(customer_id)
    if summary is None:
        return
    before = link_tag_facts(summary)
    fields = _keep_day_start(summary)
    summary.visit_count += 1
    if summary.first_visit_at is None or arrived_at < summary.first_visit_at:
        summary.first_visit_at = arrived_at
    if summary.last_visit_at is None or arrived_at >= summary.last_visit_at:
        summary.last_visit_at, summary.last_visit_type = arrived_at, visit_type
    if summary.last_active_at is None or arrived_at > summary.last_active_at:
        summary.last_active_at = arrived_at
    fields += ["visit_count", "first_visit_at", "last_visit_at", "last_visit_type"]
    fields += ["last_active_at", "updated_at"]
    fields += activity.reclassify(summary)  # a visit wakes a sleeping member
    summary.save(update_fields=fields)
    mirror_tag_facts(summary, before)


def set_open_course_count(customer_id: int, count) -> None:
    """Keep the summary's open-course count (active courses with sessions left) current; the
    treatments app calls it inside the transaction that changed a course, after locking the
    summary row (`lock_summary`), so concurrent changes of one customer's courses serialise.
    `count` is a number or an expression counting them in the same statement."""
    CustomerSummary.objects.filter(customer_id=customer_id).update(
        open_course_count=count, updated_at=timezone.now()
    )


def set_last_visit_type(customer_id: int, visit_type: str) -> None:
    """The last visit's type was corrected (a confirmed type, a back-dated arrival); its
    store links follow."""
    CustomerSummary.objects.filter(customer_id=customer_id).update(last_visit_type=visit_type)
    CustomerStoreLink.objects.filter(customer_id=customer_id).update(last_visit_type=visit_type)


def lock_summary(customer_id: int) -> CustomerSummary | None:
    """Lock a customer's summary row until the end of the caller's transaction; the row (with
    its store, read along, not locked: note_visit and note_money may take it from here)."""
    return _locked_summary(customer_id)


def hold_summary(customer_id: int) -> None:
    """Lock a customer's summary row until the end of the caller's transaction without reading
    it: the caller serialises on it (courses changing their count) and writes it, if at all,
    with an UPDATE of its own."""
    CustomerSummary.objects.select_for_update().filter(customer_id=customer_id).values_list(
        "customer_id", flat=True
    ).first()


def _count_deal(summary: CustomerSummary, dealt_at) -> list[str]:
    summary.deal_count += 1
    # The first two deal times, in time order (a deal is normally the latest, but keep them
    # right if one is noted out of order).
    first, second = summary.first_deal_at, summary.second_deal_at
    if first is None or dealt_at < first:
        first, second = dealt_at, first
    elif second is None or dealt_at < second:
        second = dealt_at
    summary.first_deal_at, summary.second_deal_at = first, second
    if summary.last_deal_at is None or dealt_at >= summary.last_deal_at:
        summary.last_deal_at = dealt_at
    return ["deal_count", "first_deal_at", "second_deal_at", "last_deal_at"]


def note_deal(*, customer_id: int, dealt_at) -> None:
    """A deal order of the customer (counted once, at its first payment); called inside the
    payment transaction. The deal status 未成交/首次成交/多次成交 follows from deal_count."""
    note_money(customer_id=customer_id, dealt_at=dealt_at)


def note_money(
    *,
    customer_id: int,
    spend_delta=0,
    arrears_delta=0,
    paid_at=None,
    dealt_at=None,
    locked: CustomerSummary | None = None,
    open_course_count=None,
) -> int | None:
    """Move the customer's total spend and arrears by signed deltas (payments, refunds), and
    count a deal (`dealt_at`, the order's first payment); called inside the sales transaction,
    one locked read (none when the caller passes the row it locked with `lock_summary`) and one
    write. `paid_at` (a payment, not a refund) is consumption: it counts for member activity.
    `open_course_count` (an expression counting them: courses were opened) is stored in the
    same write. Returns the customer's number of deals (None: no summary)."""
    summary = locked or _locked_summary(customer_id)
    if summary is None:
        return None
    before = link_tag_facts(summary)
    fields = _keep_day_start(summary)
    summary.total_spend_amount = to_money(summary.total_spend_amount + spend_delta)
    summary.arrears_amount = to_money(summary.arrears_amount + arrears_delta)
    fields += ["total_spend_amount", "arrears_amount", "updated_at"]
    if paid_at is not None and (summary.last_active_at is None or summary.last_active_at < paid_at):
        summary.last_active_at = paid_at
        fields.append("last_active_at")
    if dealt_at is not None:
        fields += _count_deal(summary, dealt_at)
    if paid_at is not None or dealt_at is not None:
        fields += activity.reclassify(summary)  # 非会员 → 新会员; consumption wakes a sleeper
    if open_course_count is not None:
        summary.open_course_count = open_course_count
        fields.append("open_course_count")
    summary.save(update_fields=fields)
    if open_course_count is not None:
        del summary.open_course_count  # the count is in the row; read again if asked for
    mirror_tag_facts(summary, before)
    return summary.deal_count


def deal_status(summary: CustomerSummary | None) -> str:
    """未成交 / 首次成交 / 多次成交, from the number of deal orders."""
    count = summary.deal_count if summary is not None else 0
    if count == 0:
        return _("未成交")
    return _("首次成交") if count == 1 else _("多次成交")


@transaction.atomic
def unmask_customer(customer: Customer, *, by: Staff, field: str) -> str:
    """The full phone or ID number, for staff allowed to see it; every reveal is logged."""
    if field not in ("phone", "id_card"):
        raise _field_error("invalid_field", "field", _("只能查看手机号或身份证号"))
    if not by.can_unmask:
        raise BusinessError("forbidden", _("您没有查看完整号码的权限"), status=403)
    action = "customer.unmasked_phone" if field == "phone" else "customer.unmasked_id_card"
    audit.record_read(by, action, customer)
    return getattr(customer, field)


# --- tags -----------------------------------------------------------------------------------------
def _clean_tag(org_id: int, name: str, color: str, exclude_pk=None) -> tuple[str, str]:
    name = (name or "").strip()
    if not name or len(name) > 30:
        raise _field_error("invalid_input", "name", _("标签名称应为1到30个字"))
    if not HEX_COLOR_RE.match(color or ""):
        raise _field_error("invalid_color", "color", _("颜色应为#RRGGBB格式,如#d63384"))
    if Tag.objects.filter(org_id=org_id, name=name).exclude(pk=exclude_pk).exists():
        raise _field_error("duplicate_tag", "name", _("已有同名标签"))
    return name, color.lower()


@transaction.atomic
def create_tag(org: Organization, *, name: str, color: str, by: Staff) -> Tag:
    """A static tag with the clinic's colour; names are unique in the chain."""
    _require(by, "tag.manage")
    name, color = _clean_tag(org.pk, name, color)
    tag = Tag.objects.create(org=org, name=name, color=color)
    audit.record(by, "tag.created", tag, after={"name": name, "color": color})
    return tag


@transaction.atomic
def update_tag(tag: Tag, *, by: Staff, name: str | None = None, color: str | None = None) -> Tag:
    _require(by, "tag.manage")
    tag = Tag.objects.select_for_update().get(pk=tag.pk)
    before = audit.snapshot(tag, ["name", "color"])
    tag.name, tag.color = _clean_tag(
        tag.org_id,
        tag.name if name is None else name,
        tag.color if color is None else color,
        exclude_pk=tag.pk,
    )
    tag.save()
    old, new = audit.changed(before, audit.snapshot(tag, ["name", "color"]))
    if new:
        audit.record(by, "tag.updated", tag, before=old, after=new)
    return tag


@transaction.atomic
def delete_tag(tag: Tag, *, by: Staff) -> int:
    """Delete a tag and take it off every customer; returns how many customers had it."""
    _require(by, "tag.manage")
    count = tag.customers.count()
    audit.record(
        by,
        "tag.deleted",
        tag,
        before={"name": tag.name, "color": tag.color, "customer_count": count},
    )
    # the tag's key off its customers' tag_keys and their links' copies
    key = tag_key(tag.pk)
    without = Case(
        When(tag_keys=key, then=Value("")),
        default=Replace("tag_keys", Value(key), Value(",")),
        output_field=TextField(),
    )
    CustomerStoreLink.objects.filter(customer__tags=tag).update(tag_keys=without)
    Customer.objects.filter(tags=tag).update(tag_keys=without)
    tag.customers.clear()
    tag.delete()
    return count


@transaction.atomic
def set_customer_tags(customer: Customer, tag_ids, *, by: Staff) -> list[Tag]:
    """Replace a customer's static tags with tags of the same chain."""
    _require(by, "tag.apply")
    wanted = {int(t) for t in tag_ids}
    tags = list(Tag.objects.filter(org_id=customer.org_id, pk__in=wanted))
    if len(tags) != len(wanted):
        raise _field_error("invalid_choice", "tags", _("所选标签不存在"))
    # the row locked, as by every change a store link copies (link_copies)
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    copies_before = link_copies(locked)
    before = sorted(customer.tags.values_list("pk", flat=True))
    customer.tags.set(tags)
    after = sorted(t.pk for t in tags)
    locked.tag_keys = customer.tag_keys = tag_keys_of(after)
    if locked.tag_keys != copies_before["tag_keys"]:
        locked.save(update_fields=["tag_keys", "updated_at"])
        mirror_link_copies(locked, copies_before)
    if before != after:
        audit.record(
            by,
            "customer.tags_changed",
            customer,
            before={"tag_ids": before},
            after={"tag_ids": after},
        )
    return tags


# --- source channels -----------------------------------------------------------------------------
def _clean_channel(org_id: int, name: str, kind: str, exclude_pk=None) -> tuple[str, str]:
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise _field_error("invalid_input", "name", _("渠道名称应为1到50个字"))
    if kind not in SourceChannel.Kind.values:
        raise _field_error("invalid_choice", "kind", _("未知的渠道类型"))
    if SourceChannel.objects.filter(org_id=org_id, name=name).exclude(pk=exclude_pk).exists():
        raise _field_error("duplicate_channel", "name", _("已有同名渠道"))
    return name, kind


@transaction.atomic
def create_channel(
    org: Organization, *, name: str, kind: str = SourceChannel.Kind.OTHER, by: Staff
) -> SourceChannel:
    """A source channel (拓客渠道) of the chain."""
    _require(by, "channel.manage")
    name, kind = _clean_channel(org.pk, name, kind)
    channel = SourceChannel.objects.create(org=org, name=name, kind=kind)
    audit.record(by, "channel.created", channel, after={"name": name, "kind": kind})
    return channel


@transaction.atomic
def update_channel(
    channel: SourceChannel,
    *,
    by: Staff,
    name: str | None = None,
    kind: str | None = None,
    is_active: bool | None = None,
) -> SourceChannel:
    _require(by, "channel.manage")
    channel = SourceChannel.objects.select_for_update().get(pk=channel.pk)
    fields = ["name", "kind", "is_active"]
    before = audit.snapshot(channel, fields)
    channel.name, channel.kind = _clean_channel(
        channel.org_id,
        channel.name if name is None else name,
        channel.kind if kind is None else kind,
        exclude_pk=channel.pk,
    )
    if is_active is not None:
        channel.is_active = bool(is_active)
    channel.save()
    old, new = audit.changed(before, audit.snapshot(channel, fields))
    if new:
        audit.record(by, "channel.updated", channel, before=old, after=new)
    return channel


# --- phone verification ----------------------------------------------------------------------------
def _code_hash(verification_key: str, code: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{verification_key}:{code}".encode(), hashlib.sha256
    ).hexdigest()


@transaction.atomic
def send_phone_verification(customer: Customer, *, by: Staff) -> PhoneVerification:
    """Text a 6-digit code to the customer's phone; valid 5 minutes, resent after 60 s at most."""
    _require(by, "customer.verify_phone")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    now = timezone.now()
    last = PhoneVerification.objects.filter(customer=customer).order_by("-sent_at", "-id").first()
    if last is not None and now - last.sent_at < VERIFICATION_RESEND_AFTER:
        wait = int((VERIFICATION_RESEND_AFTER - (now - last.sent_at)).total_seconds()) + 1
        raise BusinessError(
            "resend_too_soon", _("验证码已发送,请%(s)d秒后再重新发送") % {"s": wait}, status=429
        )
    code = f"{secrets.randbelow(10**6):06d}"
    nonce = secrets.token_hex(8)
    verification = PhoneVerification.objects.create(
        org_id=customer.org_id,
        customer=customer,
        phone=customer.phone,
        code_hash=f"{nonce}${_code_hash(nonce, code)}",
        expires_at=now + VERIFICATION_TTL,
        sent_by=by,
    )
    queue_sms(
        org_id=customer.org_id,
        customer_id=customer.pk,
        phone=customer.phone,
        purpose="phone_verification",
        template="phone_verification",
        values={
            "称呼": customer.salutation or customer.name,
            "验证码": code,
            "分钟": int(VERIFICATION_TTL.total_seconds() // 60),
        },
    )
    audit.record(by, "customer.phone_verification_sent", customer)
    return verification


def confirm_phone_verification(customer: Customer, code: str, *, by: Staff) -> Customer:
    """Check the code: at most 5 tries per code, before it expires; then the phone is verified.
    A wrong try is counted even though the call fails, so it commits before raising."""
    _require(by, "customer.verify_phone")
    error = None
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        verification = (
            PhoneVerification.objects.select_for_update()
            .filter(customer=customer, phone=customer.phone, verified_at=None)
            .order_by("-sent_at", "-id")
            .first()
        )
        now = timezone.now()
        code = (code or "").strip()
        if verification is None:
            error = BusinessError("no_code", _("请先发送验证码"))
        elif verification.expires_at <= now:
            error = BusinessError("code_expired", _("验证码已过期,请重新发送"))
        elif verification.attempt_count >= VERIFICATION_MAX_ATTEMPTS:
            error = BusinessError("too_many_attempts", _("验证码错误次数过多,请重新发送"))
        else:
            verification.attempt_count += 1
            nonce, _sep, digest = verification.code_hash.partition("$")
            if re.fullmatch(r"\d{6}", code) and hmac.compare_digest(
                digest, _code_hash(nonce, code)
            ):
                verification.verified_at = now
                copies_before = link_copies(customer)
                customer.phone_verified_at = now
                customer.save(update_fields=["phone_verified_at", "updated_at"])
                mirror_link_copies(customer, copies_before)
                audit.record(
                    by,
                    "customer.phone_verified",
                    customer,
                    before={"phone_verified_at": None},
                    after={"phone_verified_at": now.isoformat()},
                )
            else:
                left = VERIFICATION_MAX_ATTEMPTS - verification.attempt_count
                error = BusinessError(
                    "wrong_code",
                    _("验证码不正确,还可以再试%(n)d次") % {"n": left},
                    fields={"code": [_("验证码不正确")]},
                )
            verification.save(update_fields=["attempt_count", "verified_at"])
    if error is not None:
        raise error
    return customer


# --- consents -------------------------------------------------------------------------------------
@transaction.atomic
def create_consent_document(
    org: Organization, *, kind: str, title: str, body: str, by: Staff
) -> ConsentDocument:
    """Publish a new version of a consent text; it becomes the current one."""
    _require(by, "consent_document.manage")
    if kind not in ConsentDocument.Kind.values:
        raise _field_error("invalid_choice", "kind", _("未知的同意书类型"))
    title, body = (title or "").strip(), (body or "").strip()
    if not title or len(title) > 100:
        raise _field_error("invalid_input", "title", _("标题应为1到100个字"))
    if not body:
        raise _field_error("invalid_input", "body", _("请填写同意书正文"))
    Organization.objects.select_for_update().get(pk=org.pk)  # one new version at a time
    docs = ConsentDocument.objects.filter(org=org, kind=kind)
    last = docs.order_by("-version").first()
    docs.filter(is_current=True).update(is_current=False)
    document = ConsentDocument.objects.create(
        org=org,
        kind=kind,
        version=(last.version + 1) if last else 1,
        title=title,
        body=body,
        is_current=True,
    )
    audit.record(
        by,
        "consent_document.published",
        document,
        after={"kind": kind, "version": document.version, "title": title},
    )
    return document


def _current_document(org_id: int, kind: str) -> ConsentDocument | None:
    return ConsentDocument.objects.filter(org_id=org_id, kind=kind, is_current=True).first()


def _new_consent(customer, document, *, method, by, note="") -> Consent:
    consent = Consent.objects.create(
        org_id=customer.org_id,
        customer=customer,
        document=document,
        kind=document.kind,
        method=method,
        granted_at=timezone.now(),
        recorded_by=by,
        note=(note or "")[:200],
    )
    audit.record(
        by,
        "customer.consent_recorded",
        customer,
        after={"consent_id": consent.pk, "kind": document.kind, "version": document.version},
    )
    return consent


def _grant_marketing(customer: Customer, *, by: Staff) -> None:
    document = _current_document(customer.org_id, ConsentDocument.Kind.MARKETING)
    if (
        document is not None
        and not Consent.objects.filter(
            customer=customer, document=document, withdrawn_at=None
        ).exists()
    ):
        _new_consent(customer, document, method=Consent.Method.PAPER, by=by)


def _withdraw_marketing(customer: Customer, *, by: Staff) -> None:
    for consent in Consent.objects.filter(
        customer=customer, kind=ConsentDocument.Kind.MARKETING, withdrawn_at=None
    ):
        _mark_withdrawn(consent, by=by)


def _mark_withdrawn(consent: Consent, *, by: Staff) -> None:
    consent.withdrawn_at, consent.withdrawn_by = timezone.now(), by
    consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
    audit.record(
        by,
        "customer.consent_withdrawn",
        consent.customer,
        before={"consent_id": consent.pk, "kind": consent.kind},
    )


@transaction.atomic
def record_consent(
    customer: Customer, *, kind: str, method: str, by: Staff, note: str = ""
) -> Consent:
    """Record the customer's consent to the chain's current document of that kind."""
    _require(by, "customer.consent")
    if kind not in ConsentDocument.Kind.values:
        raise _field_error("invalid_choice", "kind", _("未知的同意书类型"))
    if method not in Consent.Method.values:
        raise _field_error("invalid_choice", "method", _("未知的签署方式"))
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    document = _current_document(customer.org_id, kind)
    if document is None:
        raise BusinessError("no_consent_document", _("本机构尚未配置该类知情同意书,请联系总部"))
    if Consent.objects.filter(customer=customer, document=document, withdrawn_at=None).exists():
        raise BusinessError("already_consented", _("客户已签署现行版本的同意书"))
    consent = _new_consent(customer, document, method=method, by=by, note=note)
    if kind == ConsentDocument.Kind.MARKETING and not customer.marketing_consent:
        customer.marketing_consent = True
        customer.save(update_fields=["marketing_consent", "updated_at"])
    return consent


@transaction.atomic
def withdraw_consent(consent: Consent, *, by: Staff) -> Consent:
    """The customer withdraws a consent; the row stays, marked withdrawn."""
    _require(by, "customer.consent")
    consent = (
        Consent.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=consent.pk)
    )
    if consent.withdrawn_at is not None:
        raise BusinessError("already_withdrawn", _("该同意已撤回"))
    _mark_withdrawn(consent, by=by)
    if consent.kind == ConsentDocument.Kind.MARKETING:
        customer = consent.customer
        still = Consent.objects.filter(
            customer=customer, kind=consent.kind, withdrawn_at=None
        ).exists()
        if not still and customer.marketing_consent:
            customer.marketing_consent = False
            customer.save(update_fields=["marketing_consent", "updated_at"])
    return consent
