"""The scope walk: every page and every API operation, as every role, against records outside
the role's scope ("foreign worlds" full of unique markers). Nothing foreign may be returned and
nothing foreign may change.

The walk is generic: HTML routes come from the URL resolver, API operations from the OpenAPI
schema. Path parameters are filled by the resource the route names (RESOURCE_BY_SEGMENT /
RESOURCE_BY_NAME); a route the walker cannot fill fails the test, so a new URL or endpoint is
covered the day it is added (or the developer is told which mapping to add). Query parameters a
page reads are recorded by a test middleware and then filled with foreign ids one at a time.

Adding an app to the walk (sales, treatments …):
1. Write a world builder `build_<app>(w, site)` next to `build_catalog` / `build_stock`: create one
   record of every kind the app stores, in `site.store` of `site.org`, through the app's services
   where they exist. Register each row with `w.add(obj)` (store- or owner-scoped: foreign to
   every viewer who cannot see the world's customer) or `w.add_org(obj)` (chain master data:
   foreign only to other chains), put the pk a route needs in `w.ids[resource]`, and put unique
   text (names, codes, notes with `site.secret`) in `w.markers` / `w.org_markers`. Add the builder
   to WORLD_BUILDERS. The snapshot needs no table list: it reads every model, keeping the rows
   registered with `w.add` and every row with a foreign key to one of them.
2. Map the app's path segments and parameter names to those resources in RESOURCE_BY_SEGMENT and
   RESOURCE_BY_NAME (the walk fails and names the missing parameter otherwise); chain-level
   resources go into ORG_LEVEL.
3. Disclosures across stores that the product wants (a transfer target in another store …) go
   into SAME_CHAIN_DISCLOSURES with the markers they may show, never as a blanket skip.
4. Give `test_the_walk_covers_every_route_and_would_see_a_leak` one assertion that an own-scope
   marker of the new kind is found, so the new markers are proven to be checkable.
"""

import functools
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass, field
from datetime import time as dtime
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from PIL import Image

from yanzhi.core.models import AuditLog, SmsMessage
from yanzhi.core.validators import mask_phone

pytestmark = pytest.mark.django_db

VIEWERS = [
    "store_a_front_desk",
    "store_a_consultant",
    "store_a_online_consultant",
    "store_a_doctor",
    "store_a_nurse",
    "store_a_service",
    "store_a_cashier",
    "store_a_manager",
    "hq_admin",
    "other_chain_admin",
]

# HTML routes the walk does not visit, each with its reason.
SKIPPED_ROUTE_PREFIXES = {
    "static/": "static files",
    "i18n/": "language switch (no records)",
    "api/": "walked through the OpenAPI schema instead",
}
SKIPPED_ROUTE_NAMES = {
    "org:login": "signing in (no records; the walk is signed in already)",
    "org:logout": "signing out would end the walk's session",
}

# A path parameter is filled from the segment just before it (…/customers/<pk>/) or, failing
# that, from its own name (<customer_id>). Add a row here when a new resource gets a URL.
RESOURCE_BY_SEGMENT = {
    "customers": "customer",
    "appointments": "appointment",
    "visits": "visit",
    "consultations": "consultation",
    "diagnoses": "diagnosis",
    "medical-records": "medical_record",
    "photos": "photo",
    "consents": "consent",
    "tags": "tag",
    "channels": "channel",
    "consent-documents": "consent_document",
    "staff": "staff",
    "groups": "staff_group",
    "staff-groups": "staff_group",
    "stores": "store",
    "rooms": "room",
    "shift-types": "shift_type",
    "roster": "roster_entry",
    "entries": "roster_entry",
    "departments": "department",
    "api-tokens": "api_token",
    # catalogue
    "items": "item",
    "store/items": "store_item",  # /catalog/store/items/<pk>/price/ (two segments win)
    "store-items": "store_item",
    "categories": "category",
    "promotions": "promotion",
    # stock and period closing
    "warehouses": "warehouse",
    "counts": "stock_count",
    "stock-counts": "stock_count",
    "receipts": "stock_receipt",
    "stock-receipts": "stock_receipt",
    "transfers": "stock_transfer",
    "stock-transfers": "stock_transfer",
    "period-closings": "period_close",
    # sales
    "orders": "order",
    "orders/<int:pk>": "order_action",  # /orders/<pk>/<action>/ (submit | reverse)
    "cards": "card",
    "coupons": "coupon",
    "deposits": "deposit",
    "approvals": "approval",
    "approvals/<int:pk>": "approval_action",  # /approvals/<pk>/<decision>/ (approve | reject)
    "discount-approvals": "approval",
    "discount-limits": "store",
    # treatments
    "entitlements": "entitlement",
    "courses": "entitlement",
    "executions": "execution",
    "lots": "execution_lot",
    # messaging
    "messages": "message",
    # membership
    "membership-levels": "membership_level",
    # follow-ups
    "followups/tasks": "followup_task",
    "followup-tasks": "followup_task",
    "followups/rules": "followup_rule",
    "followup-rules": "followup_rule",
    # insight
    "segments": "segment",
    # marketing
    "channel-costs": "channel_cost",
    "vouchers": "voucher_redemption",
    "voucher-redemptions": "voucher_redemption",
}
# Parameter names (path, query, form and JSON body) that carry the id of a resource.
RESOURCE_BY_NAME = {
    "customer": "customer",
    "customer_id": "customer",
    "referrer": "customer",
    "referrer_id": "customer",
    "appointment": "appointment",
    "appointment_id": "appointment",
    "visit": "visit",
    "visit_id": "visit",
    "consultation_id": "consultation",
    "diagnosis_id": "diagnosis",
    "record_id": "medical_record",
    "medical_record_id": "medical_record",
    "photo_id": "photo",
    "consent": "consent",
    "consent_id": "consent",
    "tag": "tag",
    "tag_id": "tag",
    "tags": "tag",
    "tag_ids": "tag",
    "channel": "channel",
    "channel_id": "channel",
    "source_channel": "channel",
    "source_channel_id": "channel",
    "document": "consent_document",
    "document_id": "consent_document",
    "staff": "staff",
    "staff_id": "staff",
    "staff_ids": "staff",
    "members": "staff",
    "member_ids": "staff",
    "leader": "staff",
    "leader_id": "staff",
    "actor": "staff",
    "actor_id": "staff",
    "doctor": "doctor",
    "doctor_id": "doctor",
    "consultant": "consultant",
    "consultant_id": "consultant",
    "online_consultant": "consultant",
    "online_consultant_id": "consultant",
    "group": "staff_group",
    "group_id": "staff_group",
    "store": "store",
    "store_id": "store",
    "stores": "store",
    "store_ids": "store",
    "room": "room",
    "room_id": "room",
    "shift_type": "shift_type",
    "shift_type_id": "shift_type",
    "entry_id": "roster_entry",
    "department": "department",
    "department_id": "department",
    "department_ids": "department",
    "token_id": "api_token",
    # catalogue
    "item": "item",
    "item_id": "item",
    "item_ids": "item",
    "card_service": "item",
    "card_service_id": "item",
    "material": "item",
    "material_id": "item",
    "lines-0-item": "item",
    "store_item": "store_item",
    "store_item_id": "store_item",
    "promotion": "promotion",
    "promotion_id": "promotion",
    "category": "category",
    "category_id": "category",
    "parent": "category",
    "parent_id": "category",
    # stock and period closing
    "warehouse": "warehouse",
    "warehouse_id": "warehouse",
    "from_warehouse": "warehouse",
    "from_warehouse_id": "warehouse",
    "to_warehouse": "warehouse",
    "to_warehouse_id": "warehouse",
    "count_id": "stock_count",
    "receipt_id": "stock_receipt",
    "transfer_id": "stock_transfer",
    "period_close_id": "period_close",
    # sales
    "order": "order",
    "order_id": "order",
    "line_id": "order_line",
    "card": "card",
    "card_id": "card",
    "coupon": "coupon",
    "coupon_id": "coupon",
    "deposit": "deposit",
    "deposit_id": "deposit",
    "approval_id": "approval",
    "source": "card",  # the pay panel's card / coupon / deposit of a payment line
    "sales_channel": "channel",
    "sales_channel_id": "channel",
    # treatments
    "entitlement": "entitlement",
    "entitlement_id": "entitlement",
    "execution_id": "execution",
    "assistant": "doctor",
    "assistant_id": "doctor",
    "lot": "execution_lot",
    "lot_no": "execution_lot",
    # membership
    "level": "membership_level",
    "level_id": "membership_level",
    "member_level_id": "membership_level",
    "member_level_ids": "membership_level",
    "member_level": "membership_level",
    # follow-ups
    "task_id": "followup_task",
    "rule_id": "followup_rule",
    "owner_id": "staff",
    "template_id": "advice_template",
    # insight
    "segment_id": "segment",
    # marketing
    "cost_id": "channel_cost",
    "redemption_id": "voucher_redemption",
    "customer_ids": "customer",
    # searches: the foreign customer's name, and the full phone number
    "q": "customer_search",
    "rq": "customer_search",
    "phone": "customer_phone",
}
# Resources that belong to the whole chain (visible to all its stores by design): foreign only
# to viewers of another chain.
ORG_LEVEL = {"tag", "channel", "consent_document", "department", "category", "membership_level"}

# Markers of another store of the same chain that a page may show by design, per route pattern:
# a transfer (调拨) may send stock to any active warehouse of the chain, so the transfer form
# lists them by name (yanzhi.inventory.queries.transfer_targets).
SAME_CHAIN_DISCLOSURES = {
    "/inventory/transfers/new/": {"warehouse name", "pharmacy name"},
}

# Plausible values for form / body fields that carry no id, so a request reaches the service.
PLAUSIBLE = {
    "purpose": "consultation",
    "method": "paper",
    "kind": "medical",
    "stage": "escorted",
    "visit_type": "first",
    "outcome": "think_over",
    "gender": "female",
    "start": "10:00",
    "starts_at": "10:00",
    "end": "11:00",
    "ends_at": "11:00",
    "opens_at": "09:00",
    "closes_at": "21:00",
    "color": "#123456",
    "text": "walker text",
    "findings": "walker findings",
    "chief_complaint": "walker complaint",
    "diagnosis": "walker diagnosis",
    "name": "walker",
    "reason": "walker",
    "note": "walker",
    "quantity": "1",
    # one line of a stock document formset (its item is filled with the foreign item)
    "lines-TOTAL_FORMS": "1",
    "lines-INITIAL_FORMS": "0",
    "lines-0-quantity": "1",
}

# Same-chain disclosures the product asks for, when the request carried the customer's FULL phone
# number: any staff member may look up whether it is a customer of the chain (and who owns them),
# and a walk-in customer of another store is found by full phone to register the arrival
# (yanzhi.visits.queries.arrival_customer). Pattern -> (markers allowed, action the role needs).
IDENTITY = {"customer name", "full phone", "masked phone", "member no", "allergies"}
ALLOWED_BY_FULL_PHONE = {
    "/customers/phone-check/": ({"masked phone"}, None),
    "/api/v1/customers/lookup": ({"masked phone"}, None),
    "/visits/new/": (IDENTITY, "visit.register"),
    "/api/v1/visit-type-proposal": (IDENTITY, "visit.register"),
}
# A request that carries the phone may echo it back (the search box keeps what was typed).
REFLECTED_WITH_PHONE = {"full phone", "masked phone"}
# Likewise the lot search (批号追溯) keeps the lot number that was typed; what the lot finds (the
# customers treated with it) is still checked through their names and the execution's markers.
REFLECTED_WITH_LOT = {"execution lot number"}

# References to a customer of another store that the product allows inside one chain: a new
# customer may name any customer of the chain as referrer (found by full phone, shown masked).
SAME_CHAIN_REFERENCES = {("customers.customer", "referrer")}

ACCESSED_KEYS: set[str] = set()
LOG = open(os.environ["SCOPE_WALK_LOG"], "a") if os.environ.get("SCOPE_WALK_LOG") else None  # noqa: SIM115


class _RecordingQueryDict(QueryDict):
    def __getitem__(self, key):
        ACCESSED_KEYS.add(key)
        return super().__getitem__(key)

    def getlist(self, key, default=None):
        ACCESSED_KEYS.add(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        ACCESSED_KEYS.add(key)
        return super().__contains__(key)


def record_query_keys(get_response):
    """Test middleware: remember which query (and form) keys a page reads."""

    def middleware(request):
        query = request.GET.copy()
        query.__class__ = _RecordingQueryDict
        query._mutable = False
        request.GET = query
        if request.method == "POST" and not request.path.startswith("/api/"):
            form = request.POST.copy()
            form.__class__ = _RecordingQueryDict
            form._mutable = False
            request.POST = form
        return get_response(request)

    return middleware


# --- the worlds ----------------------------------------------------------------------------------
def png_bytes(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (seed % 256, 40, 200)).save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class World:
    label: str
    org_id: int
    ids: dict = field(default_factory=dict)  # resource -> pk (or a search string)
    markers: dict = field(default_factory=dict)  # marker description -> text
    org_markers: dict = field(default_factory=dict)  # chain-level markers (tags, channels …)
    file_bytes: bytes = b""
    objects: set = field(default_factory=set)  # (model label, pk) of every row of the world
    stock_items: list = field(default_factory=list)  # the world's stock-tracked catalogue items
    org_objects: set = field(default_factory=set)  # … of its chain-level rows

    def add(self, obj):
        self.objects.add((obj._meta.label_lower, obj.pk))
        return obj

    def add_org(self, obj):
        self.org_objects.add((obj._meta.label_lower, obj.pk))
        return obj

    def objects_for(self, viewer) -> set:
        if viewer.org_id != self.org_id:
            return self.objects | self.org_objects
        return set(self.objects)

    def foreign_resources(self, viewer) -> dict:
        if viewer.org_id != self.org_id:
            return dict(self.ids)
        return {k: v for k, v in self.ids.items() if k not in ORG_LEVEL}

    def foreign_markers(self, viewer) -> dict:
        if viewer.org_id != self.org_id:
            return {**self.markers, **self.org_markers}
        return dict(self.markers)


def build_world(label, cn, *, store, consultant, phone, org_level, store_level, staff_level):
    """One customer with every kind of record, plus (optionally) the store's rooms, shifts,
    staff and the chain's tags, channels, departments and consent document."""
    from yanzhi.clinical.models import (
        Consultation,
        Diagnosis,
        MedicalRecord,
        MedicalRecordAddendum,
        Photo,
    )
    from yanzhi.customers.models import Consent, ConsentDocument, SourceChannel, Tag
    from yanzhi.customers.tests.factories import make_customer
    from yanzhi.org.models import Department, StaffGroup
    from yanzhi.org.services import create_api_token
    from yanzhi.org.tests.factories import make_staff
    from yanzhi.scheduling.models import Appointment, Room, RosterEntry, ShiftType
    from yanzhi.visits.models import Visit

    org = store.org
    w = World(label=label, org_id=org.pk)
    now = timezone.now()
    secret = f"SECRET-{label}"

    doctor = make_staff(org, "doctor", [store], name=f"外域医生{cn}", username=f"walk_doc_{label}")
    if staff_level:
        w.add(doctor)
        w.markers["doctor name"] = doctor.name
        w.ids["staff"] = doctor.pk
        w.ids["doctor"] = doctor.pk
        token, _key = create_api_token(doctor, name=f"{secret}-TOKEN", by=doctor)
        w.add(token)
        w.ids["api_token"] = token.pk
        w.markers["api token name"] = token.name
        group = w.add(
            StaffGroup.objects.create(org=org, store=store, name=f"外域小组{cn}", leader=doctor)
        )
        w.ids["staff_group"] = group.pk
        w.markers["group name"] = group.name
    w.ids["consultant"] = consultant.pk
    if store_level:
        w.add(store)
        w.ids["store"] = store.pk
        room = w.add(Room.objects.create(org=org, store=store, name=f"外域诊室{cn}"))
        w.ids["room"] = room.pk
        w.markers["room name"] = room.name
        shift = w.add(
            ShiftType.objects.create(
                org=org,
                store=store,
                name=f"外域班次{cn}",
                starts_at=dtime(9, 0),
                ends_at=dtime(18, 0),
            )
        )
        w.ids["shift_type"] = shift.pk
        w.markers["shift type name"] = shift.name
        entry = w.add(
            RosterEntry.objects.create(
                org=org,
                store=store,
                staff=doctor,
                day=timezone.localdate(),
                shift_type=shift,
                starts_at=shift.starts_at,
                ends_at=shift.ends_at,
            )
        )
        w.ids["roster_entry"] = entry.pk
    else:
        room = None

    if org_level:
        w.add_org(org)
        tag = w.add_org(Tag.objects.create(org=org, name=f"外域标签{cn}", color="#abcdef"))
        channel = w.add_org(SourceChannel.objects.create(org=org, name=f"外域渠道{cn}"))
        department = w.add_org(Department.objects.create(org=org, name=f"外域科室{cn}"))
        document = w.add_org(
            ConsentDocument.objects.create(
                org=org, kind="medical", version=1, title=f"外域同意书{cn}", body=f"{secret}-DOC"
            )
        )
        w.ids |= {
            "tag": tag.pk,
            "channel": channel.pk,
            "department": department.pk,
            "consent_document": document.pk,
        }
        w.org_markers |= {
            "tag name": tag.name,
            "channel name": channel.name,
            "department name": department.name,
            "consent document": document.body,
        }
    else:
        tag = Tag.objects.get(org=org, name__startswith="外域标签")
        channel = SourceChannel.objects.get(org=org, name__startswith="外域渠道")
        document = ConsentDocument.objects.get(org=org, kind="medical", is_current=True)

    customer = w.add(
        make_customer(
            store,
            name=f"外域客户{cn}",
            phone=phone,
            consultant=consultant,
            doctor=doctor,
            notes=f"{secret}-CUSTOMER-NOTES",
            allergies=f"{secret}-ALLERGY",
            source_channel=channel,
        )
    )
    customer.tags.add(tag)
    w.add(customer.summary)
    w.ids["customer"] = customer.pk
    # searches: by the phone's tail (a search that must stay in scope) and by the full number
    w.ids["customer_search"] = [
        ("customer_phone_tail", customer.phone[-4:]),
        ("customer_phone", customer.phone),
    ]
    w.ids["customer_phone"] = customer.phone
    w.markers |= {
        "customer name": customer.name,
        "full phone": customer.phone,
        "masked phone": mask_phone(customer.phone),
        "member no": customer.member_no,
        "customer notes": customer.notes,
        "allergies": customer.allergies,
    }
    consent = w.add(
        Consent.objects.create(
            org=org,
            customer=customer,
            document=document,
            kind="medical",
            granted_at=now,
            recorded_by=consultant,
            note=f"{secret}-CONSENT",
        )
    )
    w.ids["consent"] = consent.pk
    w.markers["consent note"] = consent.note
    appointment = w.add(
        Appointment.objects.create(
            org=org,
            store=store,
            customer=customer,
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=1, hours=1),
            doctor=doctor,
            consultant=consultant,
            room=room,
            items=f"{secret}-APPT-ITEMS",
            note=f"{secret}-APPT-NOTE",
            booked_by=consultant,
        )
    )
    w.ids["appointment"] = appointment.pk
    w.markers |= {"appointment items": appointment.items, "appointment note": appointment.note}
    visit = w.add(
        Visit.objects.create(
            org=org,
            store=store,
            customer=customer,
            day=timezone.localdate(),
            visit_type="first",
            proposed_visit_type="first",
            consultant=consultant,
            doctor=doctor,
            arrived_at=now,
            registered_by=consultant,
            note=f"{secret}-VISIT-NOTE",
        )
    )
    w.ids["visit"] = visit.pk
    w.markers["visit note"] = visit.note
    consultation = w.add(
        Consultation.objects.create(
            org=org,
            store=store,
            customer=customer,
            visit=visit,
            consultant=consultant,
            demands=f"{secret}-CONSULT-DEMANDS",
            notes=f"{secret}-CONSULT-NOTES",
        )
    )
    w.ids["consultation"] = consultation.pk
    w.markers |= {
        "consultation demands": consultation.demands,
        "consultation notes": consultation.notes,
    }
    diagnosis = w.add(
        Diagnosis.objects.create(
            org=org,
            store=store,
            customer=customer,
            visit=visit,
            doctor=doctor,
            findings=f"{secret}-DIAG-FINDINGS",
            plan_items=f"{secret}-DIAG-PLAN",
        )
    )
    w.ids["diagnosis"] = diagnosis.pk
    w.markers |= {"diagnosis findings": diagnosis.findings, "treatment plan": diagnosis.plan_items}
    draft = w.add(
        MedicalRecord.objects.create(
            org=org,
            store=store,
            customer=customer,
            visit=visit,
            doctor=doctor,
            consent=consent,
            chief_complaint=f"{secret}-MR-COMPLAINT",
            diagnosis=f"{secret}-MR-DIAGNOSIS",
        )
    )
    signed = w.add(
        MedicalRecord.objects.create(
            org=org,
            store=store,
            customer=customer,
            visit=visit,
            doctor=doctor,
            consent=consent,
            status="signed",
            signed_at=now,
            chief_complaint=f"{secret}-MR2-COMPLAINT",
            diagnosis=f"{secret}-MR2-DIAGNOSIS",
        )
    )
    addendum = w.add(
        MedicalRecordAddendum.objects.create(
            record=signed, doctor=doctor, text=f"{secret}-MR-ADDENDUM"
        )
    )
    w.ids["medical_record"] = draft.pk
    w.markers |= {
        "medical record complaint": draft.chief_complaint,
        "medical record diagnosis": draft.diagnosis,
        "signed record complaint": signed.chief_complaint,
        "addendum": addendum.text,
    }
    data = png_bytes(len(label) * 37 + ord(cn))
    w.file_bytes = data
    photo = Photo(
        org=org,
        store=store,
        customer=customer,
        visit=visit,
        consent=consent,
        kind="before",
        content_type="image/png",
        size_bytes=len(data),
        width=4,
        height=3,
        sha256=hashlib.sha256(data).hexdigest(),
        note=f"{secret}-PHOTO-NOTE",
        uploaded_by=doctor,
    )
    photo.file.save(f"walk-{label}.png", ContentFile(data), save=False)
    photo.save()
    w.add(photo)
    w.ids["photo"] = photo.pk
    w.markers |= {"photo note": photo.note, "photo sha256": photo.sha256}
    return w


@dataclass
class Site:
    """Where a world lives, for the per-app world builders."""

    label: str
    cn: str  # one Chinese character that tells the worlds apart in marker names
    store: object
    hq: object  # an HQ user of the world's chain (master data is created by HQ)
    org_level: bool  # build the chain's master data (foreign only to other chains)
    store_level: bool  # build the store's own records (foreign to other stores' roles)

    @property
    def org(self):
        return self.store.org

    @property
    def secret(self):
        return f"SECRET-{self.label}"


def build_catalog(w: World, site: Site):
    """A category (chain master data) and items of every kind — a device service (热玛吉-like)
    with its stocked consumable, a drug, a package and a session card — assigned ONLY to the
    world's store: in another chain they are foreign to everyone; in the viewer's chain they are
    foreign to the roles of the other stores (a store sees only items assigned to it), not to HQ.
    """
    from yanzhi.catalog import services as catalog
    from yanzhi.catalog.models import Category, StoreItem
    from yanzhi.org.models import Department

    if not site.store_level:
        return
    org, cn, hq, code = site.org, site.cn, site.hq, f"WALK{site.label}"
    if site.org_level:
        category = w.add_org(catalog.create_category(org, name=f"外域分类{cn}", by=hq))
        w.ids["category"] = category.pk
        w.org_markers["category name"] = category.name
    else:
        category = Category.objects.filter(org=org).first()
    department = Department.objects.filter(org=org).first()

    def item(kind, suffix, name, **fields):
        obj = w.add(
            catalog.create_item(
                org,
                kind=kind,
                code=f"{code}-{suffix}",
                name=name,
                price_amount="9876.54",
                category=category,
                department=department,
                description=f"{site.secret}-{suffix}-DESCRIPTION",
                by=hq,
                **fields,
            )
        )
        w.markers[f"{kind} item name"] = obj.name
        w.markers[f"{kind} item code"] = obj.code
        w.markers[f"{kind} item description"] = obj.description
        if obj.material_no:
            w.markers[f"{kind} material no"] = obj.material_no
        return obj

    tip = item(
        "product",
        "TIP",
        f"外域热玛吉探头{cn}",
        material_no=f"{code}-MAT-TIP",
        track_stock=True,
    )
    device = item(
        "service", "SVC", f"外域热玛吉{cn}", materials=[(tip, "1")], spec=f"{site.secret}-SPEC"
    )
    drug = item("drug", "DRUG", f"外域玻尿酸{cn}", material_no=f"{code}-MAT-DRUG", track_stock=True)
    package = item("package", "PKG", f"外域套餐{cn}", components=[(device, 1), (tip, 2), (drug, 1)])
    card = item(
        "card",
        "CARD",
        f"外域次卡{cn}",
        card_type="sessions",
        card_sessions=5,
        card_service=device,
        valid_days=365,
    )
    items = [tip, device, drug, package, card]
    catalog.assign_items(
        org,
        item_ids=[i.pk for i in items],
        store_ids=[site.store.pk],
        free_pricing=True,
        by=hq,
    )
    assignments = StoreItem.objects.filter(store=site.store, item__in=items)
    for assignment in assignments:
        w.add(assignment)
    w.ids["item"] = device.pk
    w.ids["store_item"] = assignments.get(item=device).pk
    for obj in [*device.materials.all(), *package.components.all()]:
        w.add(obj)
    w.stock_items = [i for i in items if i.track_stock]


def build_stock(w: World, site: Site):
    """The store's warehouse and pharmacy, stock received, transferred and counted (the ledger
    and the three kinds of document), and a closed month (关账) — all store-scoped."""
    from decimal import Decimal

    from yanzhi.core.timeutil import first_of_month, store_today
    from yanzhi.inventory import services as inventory
    from yanzhi.inventory.models import StockLevel, StockMove
    from yanzhi.org import services as org_services
    from yanzhi.org.tests.factories import make_staff

    if not site.store_level:
        return
    store, cn, secret = site.store, site.cn, site.secret
    manager = w.add(
        make_staff(
            site.org, "store_manager", [store], name=f"外域店长{cn}", username=f"walk_mgr_{w.label}"
        )
    )
    w.markers["store manager name"] = manager.name
    warehouse = w.add(
        inventory.create_warehouse(store, name=f"外域仓库{cn}", kind="warehouse", by=manager)
    )
    pharmacy = w.add(
        inventory.create_warehouse(store, name=f"外域药房{cn}", kind="pharmacy", by=manager)
    )
    w.ids["warehouse"] = warehouse.pk
    w.markers |= {"warehouse name": warehouse.name, "pharmacy name": pharmacy.name}
    today = store_today(store)
    receipt = w.add(
        inventory.receive_stock(
            warehouse,
            lines=[
                inventory.ReceiptLine(item, Decimal(10), f"{secret}-LOT", None, Decimal("12.34"))
                for item in w.stock_items
            ],
            by=manager,
            business_date=today,
            note=f"{secret}-RECEIPT-NOTE",
        )
    )
    transfer = w.add(
        inventory.transfer_stock(
            warehouse,
            pharmacy,
            lines=[inventory.StockLine(w.stock_items[0], Decimal(2), f"{secret}-LOT")],
            by=manager,
            business_date=today,
            note=f"{secret}-TRANSFER-NOTE",
        )
    )
    count = w.add(
        inventory.count_stock(
            warehouse,
            counted={w.stock_items[0]: Decimal(7)},
            by=manager,
            business_date=today,
            note=f"{secret}-COUNT-NOTE",
        )
    )
    w.ids |= {
        "stock_receipt": receipt.pk,
        "stock_transfer": transfer.pk,
        "stock_count": count.pk,
    }
    w.markers |= {
        "lot number": f"{secret}-LOT",
        "receipt note": receipt.note,
        "transfer note": transfer.note,
        "count note": count.note,
    }
    for obj in [*transfer.lines.all(), *count.lines.all()]:
        w.add(obj)
    for obj in StockLevel.objects.filter(warehouse__in=[warehouse, pharmacy]):
        w.add(obj)
    for obj in StockMove.objects.filter(warehouse__in=[warehouse, pharmacy]):
        w.add(obj)
    last_month = first_of_month(first_of_month(today) - timedelta(days=1))
    closed = w.add(org_services.close_period(store, month=last_month, by=manager))
    w.ids["period_close"] = closed.pk


def build_sales(w: World, site: Site):
    """Sales of the world's customer, in the world's store: a deal definition (chain master
    data), a paid order (a service line with a course and a stored-value card line) with a
    payment under an idempotency key and arrears left, the stored-value card it issued (with its
    ledger row), an e-coupon, a held deposit and a pending order — all customer-scoped."""
    from decimal import Decimal

    from yanzhi.catalog import services as catalog
    from yanzhi.catalog.models import Item, StoreItem
    from yanzhi.customers.models import Customer
    from yanzhi.org.models import Department
    from yanzhi.org.tests.factories import make_staff
    from yanzhi.sales import services as sales
    from yanzhi.sales.models import PaymentRequest
    from yanzhi.sales.services import PaymentLine

    org, store, cn, hq, secret = site.org, site.store, site.cn, site.hq, site.secret
    customer = Customer.objects.get(pk=w.ids["customer"])
    consultant = customer.consultant
    if site.org_level:
        definition = w.add_org(
            sales.set_deal_definition(
                org,
                order_types=[f"{secret}-DEALTYPE"],
                min_amount="1.00",
                kinds=["service", "card"],
                by=hq,
            )
        )
        w.org_markers["deal definition order type"] = definition.order_types[0]
    # the items sold: the world's service where it has one (the catalogue's device service with
    # its stocked consumable, or the OWN world's item); otherwise (another consultant's customer
    # in the viewer's store) a plain service of that store, foreign only to another chain
    department = Department.objects.filter(org=org).first()
    code = f"WALK{site.label}"
    if "item" in w.ids:
        service = Item.objects.get(pk=w.ids["item"])
    else:
        service = catalog.create_item(
            org,
            kind="service",
            code=f"{code}-PLAIN",
            name=f"本店光子嫩肤{cn}",
            price_amount="1200.00",
            department=department,
            by=hq,
        )
        catalog.assign_items(org, item_ids=[service.pk], store_ids=[store.pk], by=hq)
    card_item = catalog.create_item(
        org,
        kind="card",
        code=f"{code}-SV",
        name=f"外域储值卡{cn}" if site.store_level else f"本店储值卡{cn}",
        price_amount="5000.00",
        card_type="stored_value",
        card_value_amount="5500.00",
        department=department,
        by=hq,
    )
    catalog.assign_items(org, item_ids=[card_item.pk], store_ids=[store.pk], by=hq)
    if site.store_level:
        w.add(card_item)
        w.add(StoreItem.objects.get(store=store, item=card_item))
        w.markers["stored-value card item name"] = card_item.name
    else:  # sold in the viewer's own store: foreign only to another chain
        for obj in (service, card_item):
            w.add_org(obj)
            w.org_markers[f"{obj.kind} item of the store"] = obj.name
    cashier = make_staff(
        org, "cashier", [store], name=f"外域收银{cn}", username=f"walk_cashier_{w.label}"
    )
    if site.store_level:
        w.add(cashier)
        w.markers["cashier name"] = cashier.name

    order = sales.open_order(
        customer,
        store=store,
        by=consultant,
        lines=[(service.pk, 2, 0), (card_item.pk, 1, 0)],
        note=f"{secret}-ORDER-NOTE",
    )
    order = sales.submit_order(order, by=consultant)
    key = f"{secret}-PAYKEY"
    order = sales.pay_order(
        order,
        payments=[PaymentLine("wechat", order.payable_amount - Decimal("100.00"))],
        idempotency_key=key,
        by=cashier,
    )
    w.add(order)
    for obj in [*order.lines.all(), *order.payments.all()]:
        w.add(obj)
    w.add(PaymentRequest.objects.get(org=org, key=key))
    card = w.add(customer.stored_value_cards.get())
    for row in card.ledger.all():
        w.add(row)
    service_line = order.lines.get(item=service)
    w.ids |= {"order": order.pk, "order_line": service_line.pk, "card": card.pk}
    w.markers |= {
        "order note": order.note,
        "order no": order.order_no,
        "card no": card.card_no,
    }
    pending = sales.open_order(
        customer,
        store=store,
        by=consultant,
        lines=[(service.pk, 1, 0)],
        note=f"{secret}-PENDING-NOTE",
    )
    pending = w.add(sales.submit_order(pending, by=consultant))
    for obj in pending.lines.all():
        w.add(obj)
    w.markers |= {"pending order note": pending.note, "pending order no": pending.order_no}
    coupon = w.add(
        sales.issue_coupon(
            customer,
            value_amount="88.00",
            expires_on=timezone.localdate() + timedelta(days=30),
            code=f"{secret}-CPN",
            by=hq,
        )
    )
    w.ids["coupon"] = coupon.pk
    w.markers["coupon code"] = coupon.code
    amount = {"B": "4321.01", "A2": "4321.02", "X": "4321.03", "OWN": "4321.04"}[site.label]
    deposit = w.add(
        sales.take_deposit(customer, store=store, amount=amount, method="cash", by=cashier)
    )
    w.ids["deposit"] = deposit.pk
    w.markers["deposit amount"] = amount
    w.markers["deposit amount (yuan)"] = f"¥{Decimal(amount):,.2f}"  # as the pages show it
    w.ids["order_action"] = "reverse"  # /orders/<pk>/<action>/ (submit | reverse)
    # a discount above the store's limit, waiting for approval (HQ, the world's only approver)
    store.discount_limit_percent = Decimal("5")
    store.save(update_fields=["discount_limit_percent"])
    price = sales.price_lines(store, [(service.pk, 1, 0)])[0].unit_price_amount
    third_off = (price / 3).quantize(Decimal("0.01"))
    discounted = sales.open_order(
        customer, store=store, by=consultant, lines=[(service.pk, 1, third_off)]
    )
    discounted = w.add(
        sales.submit_order(discounted, by=consultant, approval_reason=f"{secret}-APPROVAL-WHY")
    )
    for obj in discounted.lines.all():
        w.add(obj)
    approval = w.add(discounted.approvals.get())
    w.ids |= {"approval": approval.pk, "approval_action": "approve"}
    w.markers["approval reason"] = approval.reason


def build_treatments(w: World, site: Site):
    """The course the paid order granted (with its ledger) and one execution (执行划扣) of it by
    the world's doctor, with a marker lot number, device and notes (it consumes the device's
    stocked tip where the world has stock) — all customer-scoped."""
    from yanzhi.org.models import Staff
    from yanzhi.treatments import services as treatments
    from yanzhi.treatments.models import Entitlement

    secret = site.secret
    entitlement = w.add(
        Entitlement.objects.get(customer_id=w.ids["customer"], source_line_id=w.ids["order_line"])
    )
    doctor = Staff.objects.get(username=f"walk_doc_{w.label}")
    execution = w.add(
        treatments.execute_session(
            entitlement,
            by=doctor,
            store=site.store,
            device=f"{secret}-DEVICE",
            lot_no=f"{secret}-EXLOT",
            notes=f"{secret}-EXEC-NOTES",
        )
    )
    for obj in [*entitlement.ledger.all(), *execution.materials.all()]:
        w.add(obj)
    w.ids |= {
        "entitlement": entitlement.pk,
        "execution": execution.pk,
        "execution_lot": execution.lot_no,
    }
    w.markers |= {
        "execution lot number": execution.lot_no,
        "execution device": execution.device,
        "execution notes": execution.notes,
    }


def build_messaging(w: World, site: Site):
    """A failed SMS to the world's customer (retryable by a manager), with a marker text."""
    message = SmsMessage.objects.create(
        org_id=site.store.org_id,
        customer_id=w.ids["customer"],
        phone="13800000000",
        text=f"【颜值】{site.secret}-SMS-TEXT",
        purpose="walk",
        status=SmsMessage.Status.FAILED,
        error_code="RequestLimitExceeded",
        attempt_count=5,
    )
    w.ids["message"] = message.pk
    w.markers["sms text"] = message.text


def build_followups(w: World, site: Site):
    """A follow-up task for the world's customer, owned by the world's consultant, with marker
    notes and script (customer-scoped); where the site builds store records, a store rule with a
    marker name; where it builds chain master data, a medical-advice template with a marker text
    for the world's service item (foreign only to other chains)."""
    from datetime import timedelta

    from yanzhi.customers.models import Customer
    from yanzhi.followups import services as followups
    from yanzhi.followups.models import FollowupTask

    secret = site.secret
    customer = Customer.objects.get(pk=w.ids["customer"])
    task = w.add(
        FollowupTask.objects.create(
            org_id=site.org.pk,
            store=site.store,
            customer=customer,
            kind="executed",
            cause=f"walk:{site.label}",
            title="术后24小时",
            channel="call",
            owner_role="consultant",
            owner=customer.consultant,
            script=f"{secret}-FU-SCRIPT",
            notes=f"{secret}-FU-NOTES",
            due_at=timezone.now() + timedelta(hours=1),
        )
    )
    w.ids["followup_task"] = task.pk
    w.markers |= {"follow-up notes": task.notes, "follow-up script": task.script}
    if site.store_level:
        rule = w.add(
            followups.create_rule(
                site.org,
                by=site.hq,
                name=f"{secret}-FU-RULE",
                trigger="birthday",
                store=site.store,
                nodes=[followups.NodeIn(0, "days", "consultant", "call", f"{secret}-NODE")],
            )
        )
        for node in rule.nodes.all():
            w.add(node)
        w.ids["followup_rule"] = rule.pk
        w.markers |= {"follow-up rule name": rule.name}
    if site.org_level and "item" in w.ids:
        from yanzhi.catalog.models import Item

        item = Item.objects.get(pk=w.ids["item"])
        if item.kind == "service":
            template = w.add_org(
                followups.save_advice_template(
                    site.org, item=item, text=f"{secret}-ADVICE", by=site.hq
                )
            )
            w.ids["advice_template"] = template.pk
            w.org_markers |= {"advice text": template.text}


# Per-app builders run for every world after the front office's `build_world`, in import-layer
# order (a later app may use what an earlier one built, e.g. stock of the catalogue's items);
# treatments runs after sales because the course it executes is granted by the paid order.
def build_membership(w: World, site: Site):
    """A membership level (chain master data) with a ¥1 threshold: the world's customer reaches it
    when build_sales takes their payment, which writes their level-change history row; and the
    chain's member-activity thresholds (chain master data too)."""
    from yanzhi.customers import membership

    if not site.org_level:
        return
    level = w.add_org(
        membership.create_level(
            site.org, name=f"{site.secret}-LEVEL", min_spend_amount="1.00", rank=1, by=site.hq
        )
    )
    w.ids["membership_level"] = level.pk
    w.org_markers["membership level name"] = level.name
    # The chain's member-activity thresholds (会员活跃度): another chain's PUT must not move them.
    from yanzhi.customers import activity

    w.add_org(
        activity.set_settings(
            site.org, new_member_days=77, sleeping_days=177, deep_sleep_days=377, by=site.hq
        )
    )


def build_reports(w: World, site: Site):
    """The chain's report settings (项次 weights, stage targets; chain master data): another
    chain's PUT must not move them. The reports themselves read what the other builders made,
    so the walk's markers (customer, staff and item names) cover them."""
    from yanzhi.reports.services import update_report_settings

    if not site.org_level:
        return
    w.add_org(update_report_settings(site.org, by=site.hq, deal_weight="1.25"))


def build_promotions(w: World, site: Site):
    """A promotion (活动) in the world's store — its service item at a promotional price, one per
    customer — and a paid order of the world's customer under it. Store-scoped: foreign to the
    roles of other stores and chains (and to whoever cannot see the world's customer's order)."""
    from yanzhi.catalog.models import Item
    from yanzhi.catalog.promotion_services import create_promotion
    from yanzhi.core.timeutil import store_today
    from yanzhi.customers.models import Customer
    from yanzhi.org.tests.factories import make_staff
    from yanzhi.sales import services as sales
    from yanzhi.sales.services import PaymentLine

    if not site.store_level or "item" not in w.ids:
        return
    org, store, cn, hq, secret = site.org, site.store, site.cn, site.hq, site.secret
    today = store_today(store)
    item = Item.objects.get(pk=w.ids["item"])
    promotion = w.add(
        create_promotion(
            org,
            name=f"外域活动{cn}",
            start_date=today - timedelta(days=1),
            end_date=today + timedelta(days=30),
            store_ids=[store.pk],
            items=[(item.pk, "1.00", 5)],
            description=f"{secret}-PROMOTION",
            by=hq,
        )
    )
    w.ids["promotion"] = promotion.pk
    w.markers["promotion name"] = promotion.name
    customer = Customer.objects.get(pk=w.ids["customer"])
    order = sales.open_order(
        customer,
        store=store,
        by=customer.consultant,
        lines=[(item.pk, 1, 0, promotion.pk)],
        note=f"{secret}-PROMOTION-ORDER",
    )
    order = sales.submit_order(order, by=customer.consultant)
    cashier = make_staff(
        org, "cashier", [store], name=f"活动收银{cn}", username=f"walk_promo_cashier_{w.label}"
    )
    order = w.add(sales.pay_order(order, payments=[PaymentLine("cash", "1.00")], by=cashier))
    for obj in [*order.lines.all(), *order.payments.all()]:
        w.add(obj)
    w.markers["promotion order note"] = order.note


def build_insight(w: World, site: Site):
    """The chain's scores (the world's customer gets a score row), and where the site builds
    store records, a segment of the store with a marker name and a campaign run with a marker
    title; the chain's insight settings are chain master data."""
    from yanzhi.insight import services as insight
    from yanzhi.insight.models import SegmentCampaign
    from yanzhi.insight.scoring import refresh_scores

    refresh_scores(site.org)
    if site.org_level:
        settings = insight.set_insight_settings(
            site.org,
            spend_weight=40,
            frequency_weight=40,
            ticket_weight=20,
            class_a_percent=25,
            class_b_percent=25,
            by=site.hq,
        )
        w.add_org(settings)
    if site.store_level:
        segment = w.add(
            insight.create_segment(
                site.org,
                name=f"{site.secret}-SEGMENT",
                store=site.store,
                definition={"deal_statuses": ["none", "first", "repeat"]},
                by=site.hq,
            )
        )
        w.ids["segment"] = segment.pk
        run = w.add(
            SegmentCampaign.objects.create(
                org=site.org, segment=segment, kind="sms", title=f"{site.secret}-CAMPAIGN",
                by=site.hq,
            )
        )  # fmt: skip
        w.markers |= {"segment name": segment.name, "campaign title": run.title}


def build_marketing(w: World, site: Site):
    """A voucher verified for the world's customer in the world's store (customer-scoped, with
    a marker code); where the site builds store records, that store's channel cost with a marker
    note; where it builds chain master data, a chain-wide channel cost (foreign to other
    chains)."""
    from datetime import date

    from yanzhi.catalog.models import Item, StoreItem
    from yanzhi.customers.models import Customer, SourceChannel
    from yanzhi.marketing.models import ChannelCost, VoucherRedemption

    customer = Customer.objects.get(pk=w.ids["customer"])
    channel = SourceChannel.objects.filter(org=site.org).order_by("pk").first()
    if channel is None:
        channel = w.add_org(SourceChannel.objects.create(org=site.org, name=f"{site.secret}-CH"))
    # an item sold in the world's store (the verify service only takes those)
    assigned = StoreItem.objects.filter(store=site.store).values("item_id")
    item = Item.objects.filter(org=site.org, pk__in=assigned).order_by("pk").first()
    redemption = w.add(
        VoucherRedemption.objects.create(
            org_id=site.org.pk,
            store=site.store,
            channel=channel,
            code=f"{site.secret}-VOUCHER",
            item=item,
            settlement_amount="123.00",
            customer=customer,
            verified_by=customer.consultant,
            verified_at=timezone.now(),
            business_date=timezone.localdate(),
        )
    )
    w.ids["voucher_redemption"] = redemption.pk
    w.markers["voucher code"] = redemption.code
    month = timezone.localdate().replace(day=1)
    if site.store_level:
        cost = w.add(
            ChannelCost.objects.create(
                org_id=site.org.pk,
                store=site.store,
                channel=channel,
                month=month,
                amount="4321.00",
                note=f"{site.secret}-COST",
            )
        )
        w.ids["channel_cost"] = cost.pk
        w.markers["channel cost note"] = cost.note
    if site.org_level:
        w.add_org(
            ChannelCost.objects.create(
                org_id=site.org.pk,
                store=None,
                channel=channel,
                month=date(month.year, month.month, 1),
                amount="765.00",
                note=f"{site.secret}-CHAINCOST",
            )
        )
        w.org_markers["chain channel cost note"] = f"{site.secret}-CHAINCOST"


WORLD_BUILDERS = [
    build_membership,
    build_catalog,
    build_stock,
    build_sales,
    build_treatments,
    build_messaging,
    build_followups,
    build_reports,
    build_promotions,
    build_insight,
    build_marketing,
]


@pytest.fixture
def worlds(
    chain,
    store_a,
    store_b,
    other_chain,
    store_a_consultant,
    store_a_consultant_2,
    store_b_consultant,
    hq_admin,
    other_chain_admin,
):
    x_store = other_chain.stores.get()
    from yanzhi.org.tests.factories import make_staff

    x_consultant = make_staff(
        other_chain, "consultant", [x_store], name="外域咨询师丁", username="walk_x_consultant"
    )
    b = build_world(
        "B",
        "乙",
        store=store_b,
        consultant=store_b_consultant,
        phone="18612342001",
        org_level=True,
        store_level=True,
        staff_level=True,
    )
    b.add(store_b_consultant)
    a2 = build_world(
        "A2",
        "丙",
        store=store_a,
        consultant=store_a_consultant_2,
        phone="18712342002",
        org_level=False,
        store_level=False,
        staff_level=False,
    )
    x = build_world(
        "X",
        "丁",
        store=x_store,
        consultant=x_consultant,
        phone="18812342003",
        org_level=True,
        store_level=True,
        staff_level=True,
    )
    x.add(x_consultant)
    x.markers["consultant name"] = x_consultant.name
    own = build_world(
        "OWN",
        "甲",
        store=store_a,
        consultant=store_a_consultant,
        phone="18912342004",
        org_level=False,
        store_level=False,
        staff_level=False,
    )
    sites = {
        "B": Site("B", "乙", store_b, hq_admin, org_level=True, store_level=True),
        "A2": Site("A2", "丙", store_a, hq_admin, org_level=False, store_level=False),
        "X": Site("X", "丁", x_store, other_chain_admin, org_level=True, store_level=True),
    }
    result = {"B": b, "A2": a2, "X": x, "OWN": own}
    for builder in WORLD_BUILDERS:
        for label, site in sites.items():
            builder(result[label], site)
    build_own_item(own, Site("OWN", "甲", store_a, hq_admin, org_level=False, store_level=False))
    return result


@pytest.fixture
def own_world(worlds, store_a, hq_admin):
    """The OWN world with sales and treatments too, for the sanity test only (the role walks do
    not visit it, so they do not pay for building it)."""
    own = worlds["OWN"]
    site = Site("OWN", "甲", store_a, hq_admin, org_level=False, store_level=False)
    build_sales(own, site)  # sells the own item (a service of the consultant's store)
    build_treatments(own, site)
    build_messaging(own, site)
    build_followups(own, Site("OWN", "甲", store_a, hq_admin, org_level=False, store_level=True))
    build_promotions(own, Site("OWN", "甲", store_a, hq_admin, org_level=False, store_level=True))
    build_insight(own, Site("OWN", "甲", store_a, hq_admin, org_level=False, store_level=True))
    return own


def build_own_item(w: World, site: Site):
    """For the sanity test: an item assigned to the consultant's own store (found by them)."""
    from yanzhi.catalog import services as catalog
    from yanzhi.org.models import Department

    item = catalog.create_item(
        site.org,
        kind="service",
        code="WALKOWN-SVC",
        name="本店水光针甲",
        price_amount="880.00",
        department=Department.objects.filter(org=site.org).first(),
        by=site.hq,
    )
    catalog.assign_items(site.org, item_ids=[item.pk], store_ids=[site.store.pk], by=site.hq)
    w.add(item)
    w.ids["item"] = item.pk
    w.markers |= {"service item name": item.name, "service item code": item.code}


def foreign_worlds_of(viewer, worlds) -> list[World]:
    """The worlds whose records this viewer may never see."""
    from yanzhi.customers.queries import customers_for
    from yanzhi.org.policy import scope_for

    visible = set(customers_for(scope_for(viewer)).values_list("pk", flat=True))
    result = []
    for w in (worlds["B"], worlds["A2"], worlds["X"]):
        if w.ids["customer"] not in visible:
            result.append(w)
    return result


# --- routes ---------------------------------------------------------------------------------------
PARAM_RE = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\{(?P<api>\w+)\}")


@dataclass(frozen=True)
class Route:
    kind: str  # "html" | "api"
    path: str  # with <…> or {…} placeholders
    method: str  # for api; html routes are walked with GET and POST
    name: str = ""
    query_params: tuple = ()
    body_schema: dict | None = None
    multipart: bool = False


# The routes and the OpenAPI schema are the same for every test of the run: read them once (the
# schema takes about a second to build).
@functools.cache
def html_routes() -> tuple[Route, ...]:
    routes = []

    def walk(patterns, prefix, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace or namespace
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                path = prefix + str(p.pattern)
                name = f"{namespace}:{p.name}" if namespace else (p.name or "")
                if path.startswith(tuple(SKIPPED_ROUTE_PREFIXES)):
                    continue
                if name in SKIPPED_ROUTE_NAMES:
                    continue
                routes.append(Route("html", "/" + path, "GET+POST", name))

    walk(get_resolver().url_patterns, "", "")
    return tuple(routes)


@functools.cache
def api_operations() -> tuple[Route, ...]:
    from yanzhi.api import api

    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    operations = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            query = tuple(p["name"] for p in op.get("parameters", []) if p["in"] == "query")
            body, multipart = None, False
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = _resolve(content["application/json"]["schema"], components)
            elif "multipart/form-data" in content:
                body = _resolve(content["multipart/form-data"]["schema"], components)
                multipart = True
            operations.append(
                Route(
                    "api", path, method.upper(), op.get("operationId", ""), query, body, multipart
                )
            )
    return tuple(operations)


def _resolve(schema, components, depth=0):
    if depth > 6:
        return {}
    if "$ref" in schema:
        return _resolve(components[schema["$ref"].rsplit("/", 1)[-1]], components, depth + 1)
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(schema["allOf"][0], components, depth + 1)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return _resolve(options[0], components, depth + 1) if options else {}
    if schema.get("type") == "object" and "properties" in schema:
        return {
            **schema,
            "properties": {
                k: _resolve(v, components, depth + 1) for k, v in schema["properties"].items()
            },
        }
    if schema.get("type") == "array" and "items" in schema:
        return {**schema, "items": _resolve(schema["items"], components, depth + 1)}
    return schema


def resource_of_param(path: str, name: str) -> str:
    """The resource a path parameter names: from the segment before it, else from its name."""
    segments = [s for s in path.split("/") if s]
    for i, segment in enumerate(segments):
        if PARAM_RE.fullmatch(segment) and (
            PARAM_RE.fullmatch(segment).group("name") == name
            or PARAM_RE.fullmatch(segment).group("api") == name
        ):
            previous = segments[i - 1] if i else ""
            two = "/".join(segments[max(0, i - 2) : i])
            resource = (
                RESOURCE_BY_SEGMENT.get(two)
                or RESOURCE_BY_SEGMENT.get(previous)
                or RESOURCE_BY_NAME.get(name)
            )
            if resource is None:
                raise LookupError(
                    f"The scope walk cannot fill <{name}> in {path}: add the resource to "
                    f"RESOURCE_BY_SEGMENT or RESOURCE_BY_NAME in {__file__}"
                )
            return resource
    raise LookupError(f"<{name}> not found in {path}")


def path_params(path: str) -> list[str]:
    return [m.group("name") or m.group("api") for m in PARAM_RE.finditer(path)]


def fill_path(path: str, ids: dict) -> str | None:
    """The path with every parameter replaced by the world's id, or None when the world has no
    such (foreign) record for this viewer."""
    result = path
    for name in path_params(path):
        resource = resource_of_param(path, name)
        if resource not in ids:
            return None
        pattern = r"<(?:\w+:)?" + name + r">|\{" + name + r"\}"
        result = re.sub(pattern, str(ids[resource]), result)
    return result


def id_like(name: str) -> bool:
    return name.endswith(("_id", "_ids")) or name in RESOURCE_BY_NAME


def value_for(name: str, ids: dict, *, where: str):
    resource = RESOURCE_BY_NAME.get(name)
    if resource is None:
        raise LookupError(
            f"The scope walk does not know which resource '{name}' ({where}) carries: add it to "
            f"RESOURCE_BY_NAME in {__file__}"
        )
    return ids.get(resource)


def query_values(key: str, ids: dict, *, where: str):
    """(value, {what it carries}) for each foreign value to try in query parameter `key`."""
    if not id_like(key):
        return []
    value = value_for(key, ids, where=where)
    if value is None:
        return []
    if isinstance(value, list):  # a search: several (resource, value) variants
        return [(v, {resource}) for resource, v in value]
    return [(value, {RESOURCE_BY_NAME[key]})]


def body_for(schema: dict | None, ids: dict, *, where: str):
    """A plausible JSON body: ids from the foreign world, harmless values elsewhere."""
    if not schema:
        return {}
    body = {}
    for name, prop in schema.get("properties", {}).items():
        if id_like(name):
            value = value_for(name, ids, where=where)
            if value is None:
                continue
            body[name] = [value] if prop.get("type") == "array" else value
        elif prop.get("type") == "array" and prop.get("items", {}).get("type") == "object":
            line = body_for(prop["items"], ids, where=where)  # document lines, components …
            body[name] = [line] if line else []
        else:
            body[name] = _plain_value(name, prop)
    return body


def _plain_value(name, prop):
    today = timezone.localdate()
    if "enum" in prop:
        return PLAUSIBLE.get(name) if PLAUSIBLE.get(name) in prop["enum"] else prop["enum"][0]
    kind, fmt = prop.get("type"), prop.get("format")
    if kind == "string":
        if fmt == "date":
            return today.isoformat()
        if fmt == "date-time":
            return (timezone.now() + timedelta(days=2)).replace(microsecond=0).isoformat()
        if fmt == "time":
            return PLAUSIBLE.get(name, "10:00")
        if fmt == "binary":
            return None
        return PLAUSIBLE.get(name, "walker")
    if kind == "integer":
        return 1
    if kind == "number":
        return "1.00"
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return PLAUSIBLE.get(name, "walker")


# --- snapshots of the foreign worlds --------------------------------------------------------------
# Derived tables rebuilt for the whole chain by design, not records anyone edits: a store
# manager's 重新计算 (insight.refresh) re-ranks every customer of the chain and rebuilds the
# chain's purchase totals.
DERIVED_MODELS = {"insight.customerscore", "insight.banditemtotal", "insight.departmenttotal"}


def snapshot(objects: set, other_chain_objects: set = frozenset()) -> dict:
    """Every row that is, or points at, one of the given (model label, pk); audit rows about
    them; SMS to their customers; and the files under MEDIA_ROOT. References the product allows
    inside a chain (SAME_CHAIN_REFERENCES) count only when they point into another chain."""
    labels, other_chain = {}, {}
    for label, pk in objects:
        labels.setdefault(label, set()).add(pk)
    for label, pk in other_chain_objects:
        other_chain.setdefault(label, set()).add(pk)
    rows = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:  # raw SQL: the walk takes hundreds of snapshots
        for model in apps.get_models(include_auto_created=True):
            if model in (AuditLog, SmsMessage) or model._meta.app_label in (
                "sessions",
                "contenttypes",
            ):
                continue
            if model._meta.label_lower in DERIVED_MODELS:
                continue
            label = model._meta.label_lower
            fields = model._meta.concrete_fields
            names = [f.attname for f in fields]
            pk_index = names.index(model._meta.pk.attname)
            fks = [
                (
                    i,
                    (other_chain if (label, f.name) in SAME_CHAIN_REFERENCES else labels).get(
                        f.related_model._meta.label_lower, set()
                    ),
                )
                for i, f in enumerate(fields)
                if f.is_relation and f.related_model is not None
            ]
            own = labels.get(label, set())
            if not own and not any(targets for _i, targets in fks):
                continue
            columns = ", ".join(quote(f.column) for f in fields)
            cursor.execute(f"SELECT {columns} FROM {quote(model._meta.db_table)}")
            for values in cursor.fetchall():
                if values[pk_index] in own or any(values[i] in targets for i, targets in fks):
                    rows[(label, values[pk_index])] = dict(zip(names, values, strict=True))
    audit = {}
    for entry in AuditLog.objects.values_list("object_type", "object_id", "action"):
        object_type, object_id, action = entry
        if object_id.isdigit() and int(object_id) in labels.get(object_type, ()):
            audit.setdefault((object_type, object_id), []).append(action)
    customers = labels.get("customers.customer", set())
    sms = sorted(
        SmsMessage.objects.filter(customer_id__in=customers).values_list(
            "id", "status", "attempt_limit"
        )
    )
    return {"rows": rows, "audit": audit, "sms": sms, "files": media_files()}


def media_files() -> list[str]:
    media = Path(django_settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


WRITE_RE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


class WriteSpy:
    """Notes whether a request wrote to any table but the session table, so the walk takes the
    (costly) snapshot of the foreign worlds only after requests that wrote something. Installed
    on the test thread's connection, which the test client's requests use."""

    IGNORED = {"django_session"}
    READS = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SET ", "SHOW")

    def __init__(self):
        self.wrote = False

    def __call__(self, execute, sql, params, many, context):
        if not sql.lstrip()[:9].upper().startswith(self.READS):
            match = WRITE_RE.match(sql)
            if match is None or match.group(1) not in self.IGNORED:
                self.wrote = True
        return execute(sql, params, many, context)


def diff(before: dict, after: dict) -> list[str]:
    changes = []
    for key in sorted(set(before["rows"]) | set(after["rows"]), key=str):
        old, new = before["rows"].get(key), after["rows"].get(key)
        if old == new:
            continue
        if old is None:
            changes.append(f"new row {key[0]}#{key[1]}")
        elif new is None:
            changes.append(f"deleted row {key[0]}#{key[1]}")
        else:
            fields = sorted(k for k in old if old[k] != new.get(k))
            changes.append(f"changed {key[0]}#{key[1]} {fields}")
    for key in set(before["audit"]) | set(after["audit"]):
        old, new = before["audit"].get(key, []), after["audit"].get(key, [])
        if len(old) != len(new):
            added = list(new)
            for action in old:
                added.remove(action)
            changes.append(f"audit log about {key[0]}#{key[1]}: {added}")
    if before["sms"] != after["sms"]:
        changes.append("SMS queued to a foreign customer")
    if before["files"] != after["files"]:
        changes.append(
            f"files under MEDIA_ROOT changed: {sorted(set(after['files']) ^ set(before['files']))}"
        )
    return changes


# --- the walk -------------------------------------------------------------------------------------
def response_text(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    text = raw.decode("utf-8", "replace")
    if "json" in response.get("Content-Type", ""):
        try:
            text = json.dumps(json.loads(raw), ensure_ascii=False)
        except ValueError:
            pass
    return text, raw


@dataclass
class Walk:
    viewer: object
    worlds: list[World]
    html: Client
    api: Client
    mutate: bool = True
    violations: list = field(default_factory=list)
    foreign_objects: set = field(default_factory=set)
    other_chain_objects: set = field(default_factory=set)
    exercised: set = field(default_factory=set)
    requests: int = 0
    spy: WriteSpy = field(default_factory=WriteSpy)
    snapshots: int = 0

    def check(self, route, method, path, response, world, *, by_id, carried=frozenset()):
        self.requests += 1
        status = response.status_code
        if LOG is not None:
            LOG.write(f"{self.viewer.role}\t{method}\t{path}\t{world.label}\t{status}\n")
        who = f"{self.viewer.role}({self.viewer.username})"
        where = f"{who} {method} {path} [world {world.label}] -> {status}"
        text, raw = response_text(response)

        def can(action):
            from yanzhi.org.policy import ACTIONS

            return self.viewer.role in ACTIONS[action]

        if 200 <= status < 300:
            pattern = route.path
            allowed = set()
            if self.viewer.org_id == world.org_id:
                allowed |= SAME_CHAIN_DISCLOSURES.get(pattern, set())
            if "execution_lot" in carried:
                allowed |= REFLECTED_WITH_LOT
            if "customer_phone" in carried:
                allowed |= REFLECTED_WITH_PHONE
                markers, action = ALLOWED_BY_FULL_PHONE.get(pattern, (set(), None))
                if self.viewer.org_id == world.org_id and (action is None or can(action)):
                    allowed |= markers
            for what, marker in world.foreign_markers(self.viewer).items():
                if marker and marker in text and what not in allowed:
                    self.violations.append(f"{where}: leaked {what} ({marker!r})")
            if world.file_bytes and world.file_bytes in raw:
                self.violations.append(f"{where}: leaked the photo file's bytes")
        if method != "GET" and by_id and 200 <= status < 400:
            self.violations.append(f"{where}: a write on a foreign record succeeded")

    def after_write(self, method, path, baseline):
        if not self.spy.wrote:  # nothing but sessions was written: only files could differ
            files = media_files()
            if files == baseline["files"]:
                return baseline
        self.spy.wrote = False
        self.snapshots += 1
        now = snapshot(self.foreign_objects, self.other_chain_objects)
        changes = diff(baseline, now)
        who = f"{self.viewer.role}({self.viewer.username})"
        for change in changes:
            self.violations.append(f"{who} {method} {path}: changed a foreign world: {change}")
        return now

    # -- pages
    def walk_html(self, routes: tuple[Route, ...]):
        with connection.execute_wrapper(self.spy):
            self._walk_html(routes)

    def _walk_html(self, routes: tuple[Route, ...]):
        baseline = snapshot(self.foreign_objects, self.other_chain_objects)
        self.spy.wrote = False
        for route in routes:
            for world in self.worlds:
                ids = world.foreign_resources(self.viewer)
                path = fill_path(route.path, ids)
                if path is None:
                    continue
                by_id = bool(path_params(route.path))
                self.exercised.add(("html", route.path))
                ACCESSED_KEYS.clear()
                response = self.html.get(path)
                self.check(route, "GET", path, response, world, by_id=by_id)
                for key in sorted(ACCESSED_KEYS):
                    for value, carried in query_values(key, ids, where=f"query of {route.path}"):
                        response = self.html.get(path, {key: value})
                        url = f"{path}?{key}={value}"
                        self.check(route, "GET", url, response, world, by_id=by_id, carried=carried)
                if not self.mutate:
                    continue
                ACCESSED_KEYS.clear()
                form = self.form_for(ids)
                response = self.html.post(path, form, headers={"HX-Request": "true"})
                self.check(route, "POST", path, response, world, by_id=by_id)
                baseline = self.after_write("POST", path, baseline)
                # one foreign id at a time in the fields the form read, so an early 404 on one
                # field cannot hide a missing check on another
                for key in sorted(k for k in ACCESSED_KEYS if k in form and id_like(k)):
                    single = self.form_for(ids, only=key)
                    response = self.html.post(path, single, headers={"HX-Request": "true"})
                    self.check(route, "POST", f"{path} [{key}]", response, world, by_id=by_id)
                    baseline = self.after_write("POST", f"{path} [{key}]", baseline)

    def form_for(self, ids: dict, only: str | None = None) -> dict:
        """Form data with the foreign ids in every id field (or only in `only`), plausible
        values elsewhere (a fresh phone, username … so a create form can succeed)."""
        form = {}
        for name in RESOURCE_BY_NAME:
            resource = RESOURCE_BY_NAME[name]
            if resource in ids and resource not in ("customer_search", "customer_phone"):
                if only is None or name == only:
                    form[name] = ids[resource]
        for name, value in PLAUSIBLE.items():
            form.setdefault(name, value)
        self.requests += 1
        form["phone"] = f"135{self.viewer.pk:03d}{self.requests:05d}"[:11]
        form["mobile"] = form["phone"]
        form["username"] = f"walker{self.viewer.pk}x{self.requests}"
        form["password"] = form["new_password"] = form["confirm_password"] = "Walk-Passw0rd-2024!"
        form["day"] = timezone.localdate().isoformat()
        form["file"] = SimpleUploadedFile("walk.png", png_bytes(7), content_type="image/png")
        return form

    # -- API
    def walk_api(self, operations: tuple[Route, ...]):
        with connection.execute_wrapper(self.spy):
            self._walk_api(operations)

    def _walk_api(self, operations: tuple[Route, ...]):
        baseline = snapshot(self.foreign_objects, self.other_chain_objects)
        self.spy.wrote = False
        for op in operations:
            for world in self.worlds:
                ids = world.foreign_resources(self.viewer)
                path = fill_path(op.path, ids)
                if path is None:
                    continue
                by_id = bool(path_params(op.path))
                self.exercised.add(("api", op.method, op.path))
                url = path
                if op.method == "GET":
                    response = self.api.get(url)
                    self.check(op, "GET", url, response, world, by_id=by_id)
                    if role_refused(response):
                        continue  # the role may not use the endpoint at all: no query can help
                    for key in op.query_params:
                        where = f"query of {op.method} {op.path}"
                        for value, carried in query_values(key, ids, where=where):
                            response = self.api.get(url, {key: value})
                            full = f"{url}?{key}={value}"
                            self.check(
                                op, "GET", full, response, world, by_id=by_id, carried=carried
                            )
                    continue
                if not self.mutate:
                    continue
                where = f"body of {op.method} {op.path}"
                body = body_for(op.body_schema, ids, where=where)
                if op.multipart:
                    body = {k: v for k, v in body.items() if v is not None}
                    body["file"] = SimpleUploadedFile("walk.png", png_bytes(9), "image/png")
                    response = self.api.generic(op.method, url, **_multipart(body))
                else:
                    response = self.api.generic(
                        op.method, url, json.dumps(body), content_type="application/json"
                    )
                carried = {RESOURCE_BY_NAME.get(k) for k in body}
                self.check(op, op.method, url, response, world, by_id=by_id, carried=carried)
                baseline = self.after_write(op.method, url, baseline)


def role_refused(response) -> bool:
    """The API refused the ROLE (policy.require → 403 "forbidden"), which depends on the role
    alone, never on the query: trying foreign ids in the query cannot return anything more."""
    if response.status_code != 403:
        return False
    try:
        return json.loads(response.content).get("code") == "forbidden"
    except ValueError:
        return False


def _multipart(body):
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return {"data": encode_multipart(BOUNDARY, body), "content_type": MULTIPART_CONTENT}


def make_walk(viewer, world_list, client_for, *, mutate=True) -> Walk:
    from yanzhi.org.services import create_api_token

    _token, key = create_api_token(viewer, name="scope walk", by=viewer)
    return Walk(
        viewer=viewer,
        worlds=world_list,
        foreign_objects=set().union(*(w.objects_for(viewer) for w in world_list)),
        other_chain_objects=set().union(
            *(w.objects_for(viewer) for w in world_list if w.org_id != viewer.org_id)
        ),
        html=client_for(viewer),
        api=Client(HTTP_AUTHORIZATION=f"Bearer {key}"),
        mutate=mutate,
    )


@pytest.fixture
def recording(settings):
    settings.MIDDLEWARE = [f"{__name__}.record_query_keys", *settings.MIDDLEWARE]


# --- the tests ------------------------------------------------------------------------------------
@pytest.mark.parametrize("viewer_name", VIEWERS)
def test_no_role_sees_or_changes_a_record_outside_its_scope(
    viewer_name, request, worlds, client_for, recording
):
    # given every kind of record in worlds this viewer must not see
    viewer = request.getfixturevalue(viewer_name)
    foreign = foreign_worlds_of(viewer, worlds)
    assert foreign, "every viewer has at least one foreign world"
    walk = make_walk(viewer, foreign, client_for)
    routes, operations = html_routes(), api_operations()

    # when the viewer walks every page and every API operation with the foreign ids
    walk.walk_html(routes)
    walk.walk_api(operations)

    # then nothing foreign was returned or changed …
    assert not walk.violations, f"{len(walk.violations)} scope violations:\n" + "\n".join(
        walk.violations
    )
    # … and no route was silently skipped: every one was exercised at least once
    missing_html = {r.path for r in routes} - {e[1] for e in walk.exercised if e[0] == "html"}
    missing_api = {(o.method, o.path) for o in operations} - {
        (e[1], e[2]) for e in walk.exercised if e[0] == "api"
    }
    assert not missing_html, f"pages not walked: {sorted(missing_html)}"
    assert not missing_api, f"API operations not walked: {sorted(missing_api)}"


def test_the_walk_covers_every_route_and_would_see_a_leak(
    own_world, store_a_consultant, client_for, recording
):
    # given the walker's view of the site
    routes, operations = html_routes(), api_operations()
    resolver_count = _count_resolver_routes()
    from yanzhi.api import api

    schema_count = sum(len(ops) for ops in api.get_openapi_schema()["paths"].values())

    # then it walks everything the resolver and the schema have, except the listed skips …
    assert len(routes) == resolver_count - _count_skipped_routes()
    assert len(operations) == schema_count
    for route in [*routes, *operations]:
        for name in path_params(route.path):
            resource_of_param(route.path, name)  # fails loudly on an unmapped parameter

    # … it notices writes, so skipping the snapshot after a request that wrote nothing is safe …
    from yanzhi.customers.models import Tag

    spy = WriteSpy()
    with connection.execute_wrapper(spy):
        list(Tag.objects.all())
        assert not spy.wrote
        Tag.objects.filter(pk=-1).update(name="walker")
        assert spy.wrote

    # … and treating the consultant's OWN customer as foreign, the walk reports the markers
    own = own_world
    walk = make_walk(store_a_consultant, [own], client_for, mutate=False)
    walk.walk_html(routes)
    walk.walk_api(operations)
    found = "\n".join(walk.violations)
    customer = own.ids["customer"]
    assert f"GET /customers/{customer}/ [world OWN] -> 200: leaked customer name" in found
    assert f"GET /api/v1/customers/{customer} [world OWN] -> 200: leaked customer name" in found
    assert f"GET /consultations/{own.ids['consultation']}/ [world OWN] -> 200: leaked" in found
    assert f"GET /api/v1/medical-records/{own.ids['medical_record']} [world OWN] -> 200" in found
    assert f"GET /photos/{own.ids['photo']}/ [world OWN] -> 200: leaked the photo" in found
    assert "GET /api/v1/customers?q=2004 [world OWN] -> 200: leaked customer name" in found
    # … the catalogue item assigned to the consultant's store, on the page and the endpoint
    assert "GET /catalog/ [world OWN] -> 200: leaked service item name" in found
    assert "GET /api/v1/items [world OWN] -> 200: leaked service item name" in found
    assert f"GET /catalog/items/{own.ids['item']}/ [world OWN] -> 200: leaked service" in found
    # … the consultant's own customer's order, on its page and the endpoint, and its course's
    # execution, found by the lot search (批号追溯) on the page and the endpoint
    order, execution, lot = own.ids["order"], own.ids["execution"], own.ids["execution_lot"]
    assert f"GET /orders/{order}/ [world OWN] -> 200: leaked order no" in found
    assert f"GET /api/v1/orders/{order} [world OWN] -> 200: leaked order note" in found
    assert f"GET /customers/{customer}/orders/ [world OWN] -> 200: leaked coupon code" in found
    approval = own.ids["approval"]
    assert f"GET /approvals/{approval}/ [world OWN] -> 200: leaked approval reason" in found
    assert f"GET /api/v1/discount-approvals/{approval} [world OWN] -> 200: leaked approval" in found
    # … the customer's wallet: deposits, coupons and the card and coupon pages (延期)
    deposits = f"GET /customers/{customer}/deposits/ [world OWN] -> 200: leaked deposit amount"
    assert deposits in found
    assert f"GET /customers/{customer}/coupons/ [world OWN] -> 200: leaked coupon code" in found
    assert f"GET /cards/{own.ids['card']}/ [world OWN] -> 200: leaked card no" in found
    assert f"GET /coupons/{own.ids['coupon']}/ [world OWN] -> 200: leaked coupon code" in found
    assert f"GET /api/v1/executions/{execution} [world OWN] -> 200: leaked execution notes" in found
    assert f"GET /treatments/lots/?lot={lot} [world OWN] -> 200: leaked customer name" in found
    # … the promotion in the consultant's store, on its page and the endpoint
    promotion = own.ids["promotion"]
    assert f"GET /catalog/promotions/{promotion}/ [world OWN] -> 200: leaked promotion" in found
    assert f"GET /api/v1/promotions/{promotion} [world OWN] -> 200: leaked promotion" in found
    assert f"GET /api/v1/lots/{lot}/customers [world OWN] -> 200: leaked customer name" in found
    assert f"lot={lot} [world OWN] -> 200: leaked execution lot number" not in found  # echoed
    # … and the SMS record of the consultant's own customer, on the page and the endpoint
    assert "GET /messages/ [world OWN] -> 200: leaked sms text" in found
    assert f"GET /api/v1/messages/{own.ids['message']} [world OWN] -> 200: leaked sms text" in found
    # … the consultant's own follow-up task on the workbench, its page and the endpoint
    task = own.ids["followup_task"]
    assert "GET /followups/ [world OWN] -> 200: leaked customer name" in found
    assert f"GET /followups/tasks/{task}/ [world OWN] -> 200: leaked follow-up script" in found
    assert f"GET /api/v1/followup-tasks/{task} [world OWN] -> 200: leaked follow-up notes" in found
    assert "GET /api/v1/followup-rules [world OWN] -> 200: leaked follow-up rule name" in found
    # … the segment of the consultant's store, its campaign run, and their own scored customer
    segment = own.ids["segment"]
    assert "GET /segments/ [world OWN] -> 200: leaked segment name" in found
    assert f"GET /segments/{segment}/ [world OWN] -> 200: leaked campaign title" in found
    assert f"GET /api/v1/segments/{segment} [world OWN] -> 200: leaked segment name" in found
    assert "GET /insight/members/ [world OWN] -> 200: leaked customer name" in found
    # … the consultant's own customer's referral tree, on the page and the endpoint
    assert f"GET /customers/{customer}/referrals/ [world OWN] -> 200: leaked customer name" in found
    referrals = f"GET /api/v1/customers/{customer}/referrals [world OWN] -> 200: leaked customer"
    assert referrals in found


def _count_resolver_routes():
    count = 0

    def walk(patterns):
        nonlocal count
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns)
            else:
                count += 1

    walk(get_resolver().url_patterns)
    return count


def _count_skipped_routes():
    count = 0

    def walk(patterns, prefix, namespace):
        nonlocal count
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            else:
                path = prefix + str(p.pattern)
                name = f"{namespace}:{p.name}" if namespace else (p.name or "")
                if path.startswith(tuple(SKIPPED_ROUTE_PREFIXES)) or name in SKIPPED_ROUTE_NAMES:
                    count += 1

    walk(get_resolver().url_patterns, "", "")
    return count
