"""Who may do what: the role × action table and the data scope of each role.

docs/access-policy.md is this module written out as a table; keep the two in step
(tests/test_policy_doc.py compares them).
"""

from django.utils.translation import gettext as _

from yanzhi.core.errors import BusinessError
from yanzhi.core.scope import Scope

R = (
    "front_desk",
    "consultant",
    "online_consultant",
    "doctor",
    "nurse",
    "customer_service",
    "cashier",
    "store_manager",
    "hq",
)
FRONT_DESK, CONSULTANT, ONLINE, DOCTOR, NURSE, SERVICE, CASHIER, MANAGER, HQ = R
ALL_ROLES = frozenset(R)
SELLERS = frozenset({CONSULTANT, ONLINE})

# action -> roles allowed to perform it (on records inside their scope).
ACTIONS: dict[str, frozenset[str]] = {
    "customer.view": ALL_ROLES,
    "customer.lookup_phone": ALL_ROLES,
    "customer.create": frozenset({FRONT_DESK, CONSULTANT, ONLINE, SERVICE, MANAGER, HQ}),
    "customer.edit": frozenset({FRONT_DESK, CONSULTANT, ONLINE, SERVICE, MANAGER, HQ}),
    "customer.assign": frozenset({FRONT_DESK, MANAGER, HQ}),
    "customer.verify_phone": frozenset({FRONT_DESK, CONSULTANT, ONLINE, SERVICE, MANAGER}),
    "customer.consent": frozenset({FRONT_DESK, CONSULTANT, DOCTOR, NURSE, MANAGER}),
    "tag.manage": frozenset({MANAGER, HQ}),
    "tag.apply": frozenset({FRONT_DESK, CONSULTANT, ONLINE, SERVICE, DOCTOR, NURSE, MANAGER, HQ}),
    "channel.manage": frozenset({MANAGER, HQ}),
    "consent_document.manage": frozenset({HQ}),
    "appointment.view": ALL_ROLES,
    "appointment.book": frozenset({FRONT_DESK, CONSULTANT, ONLINE, SERVICE, MANAGER, HQ}),
    "appointment.cancel": frozenset({FRONT_DESK, CONSULTANT, ONLINE, SERVICE, MANAGER, HQ}),
    "roster.view": ALL_ROLES,
    "roster.manage": frozenset({MANAGER, HQ}),
    "visit.view": ALL_ROLES,
    "visit.register": frozenset({FRONT_DESK, CONSULTANT, MANAGER}),
    "visit.triage": frozenset({FRONT_DESK, MANAGER}),
    "visit.stage": frozenset({FRONT_DESK, CONSULTANT, DOCTOR, NURSE, MANAGER}),
    "consultation.view": frozenset({CONSULTANT, ONLINE, DOCTOR, MANAGER, HQ}),
    "consultation.write": frozenset({CONSULTANT, ONLINE, MANAGER}),
    "diagnosis.view": frozenset({CONSULTANT, ONLINE, DOCTOR, NURSE, MANAGER, HQ}),
    "diagnosis.write": frozenset({DOCTOR}),
    "medical_record.view": frozenset({DOCTOR, NURSE, CONSULTANT, MANAGER, HQ}),
    "medical_record.write": frozenset({DOCTOR}),
    "photo.view": frozenset({DOCTOR, NURSE, CONSULTANT, MANAGER, HQ}),
    "photo.upload": frozenset({DOCTOR, NURSE, CONSULTANT}),
    "store.settings": frozenset({MANAGER, HQ}),
    "org.settings": frozenset({HQ}),
    "staff.view": frozenset({MANAGER, HQ}),
    "staff.manage": frozenset({MANAGER, HQ}),
    "audit.view": frozenset({MANAGER, HQ}),
    "catalog.view": ALL_ROLES,
    "catalog.manage": frozenset({HQ}),
    "catalog.assign": frozenset({HQ}),
    "catalog.price": frozenset({MANAGER, HQ}),
    "inventory.view": frozenset({DOCTOR, NURSE, CASHIER, MANAGER, HQ}),
    "inventory.manage": frozenset({MANAGER, HQ}),
    "period.close": frozenset({MANAGER, HQ}),
    "treatment.view": frozenset({CONSULTANT, ONLINE, DOCTOR, NURSE, CASHIER, MANAGER, HQ}),
    "treatment.execute": frozenset({DOCTOR, NURSE}),
    "treatment.extend": frozenset({MANAGER, HQ}),
    "order.view": frozenset({FRONT_DESK, CONSULTANT, ONLINE, SERVICE, CASHIER, MANAGER, HQ}),
    "order.open": frozenset({FRONT_DESK, CONSULTANT, ONLINE, CASHIER, MANAGER}),
    "order.pay": frozenset({FRONT_DESK, CASHIER, MANAGER}),
    "order.refund": frozenset({MANAGER, HQ}),
    "deposit.take": frozenset({FRONT_DESK, CASHIER, MANAGER}),
    "coupon.issue": frozenset({SERVICE, MANAGER, HQ}),
    "card.extend": frozenset({MANAGER, HQ}),
    "deal.configure": frozenset({HQ}),
    "approval.configure": frozenset({HQ}),
    "prepaid.view": frozenset({MANAGER, HQ}),
    "message.view": frozenset({FRONT_DESK, CONSULTANT, ONLINE, SERVICE, MANAGER, HQ}),
    "message.retry": frozenset({MANAGER, HQ}),
    "schedule.view": frozenset({MANAGER, HQ}),
    "membership.view": frozenset({MANAGER, HQ}),
    "membership.configure": frozenset({HQ}),
    "followup.view": ALL_ROLES,
    "followup.complete": ALL_ROLES,
    "followup.manage_rules": frozenset({MANAGER, HQ}),
    "followup.manage_advice": frozenset({HQ}),
    "followup.stats": frozenset({MANAGER, HQ}),
    "followup.campaign": frozenset({CONSULTANT, ONLINE, SERVICE, MANAGER, HQ}),
    "report.view": frozenset({CONSULTANT, ONLINE, DOCTOR, CASHIER, MANAGER, HQ}),
    "report.visits": frozenset({CONSULTANT, ONLINE, MANAGER, HQ}),
    "report.sales": frozenset({CONSULTANT, ONLINE, MANAGER, HQ}),
    "report.performance": frozenset({CONSULTANT, ONLINE, MANAGER, HQ}),
    "report.doctors": frozenset({DOCTOR, MANAGER, HQ}),
    "report.durations": frozenset({MANAGER, HQ}),
    "report.finance": frozenset({CASHIER, MANAGER, HQ}),
    "report.home": frozenset({MANAGER, HQ}),
    "report.configure": frozenset({HQ}),
    "promotion.view": frozenset({FRONT_DESK, CONSULTANT, ONLINE, CASHIER, MANAGER, HQ}),
    "promotion.manage": frozenset({MANAGER, HQ}),
    "promotion.report": frozenset({CONSULTANT, ONLINE, MANAGER, HQ}),
    "insight.view": frozenset({CONSULTANT, ONLINE, MANAGER, HQ}),
    "insight.refresh": frozenset({MANAGER, HQ}),
    "insight.configure": frozenset({HQ}),
    "segment.view": frozenset({CONSULTANT, ONLINE, SERVICE, MANAGER, HQ}),
    "segment.manage": frozenset({MANAGER, HQ}),
    "segment.campaign": frozenset({SERVICE, MANAGER, HQ}),
    "repurchase.view": frozenset({CONSULTANT, ONLINE, SERVICE, MANAGER, HQ}),
    "channel.view": frozenset({MANAGER, HQ}),
    "channel.manage_costs": frozenset({MANAGER, HQ}),
    "voucher.view": frozenset({FRONT_DESK, CASHIER, MANAGER, HQ}),
    "voucher.verify": frozenset({FRONT_DESK, CASHIER, MANAGER}),
    "voucher.reverse": frozenset({MANAGER, HQ}),
}

# Roles that may see unmasked phone/ID numbers by default (each account can be changed).
UNMASK_BY_DEFAULT = frozenset({CONSULTANT, ONLINE, SERVICE, MANAGER, HQ})


def can(scope: Scope, action: str) -> bool:
    return scope.role in ACTIONS[action]


def require(scope: Scope, action: str) -> None:
    if not can(scope, action):
        raise BusinessError("forbidden", _("您的角色无权执行此操作"), status=403)


def scope_for(staff, *, current_store_id: int | None = None) -> Scope:
    """The data scope of a staff member, from their role, stores and group. The signed-in
    staff member of a request comes with them prefetched (`org.backends.StaffBackend`), so the
    middleware, the API authentication and the service a request calls compute it without a
    query each."""
    store_ids = None if staff.role == HQ else tuple(sorted(s.pk for s in staff.stores.all()))
    owner_ids = None
    if staff.role in SELLERS:
        # A consultant sees their own customers; a group leader also their members' customers.
        members = {staff.pk}
        for group in staff.led_groups.all():
            members.update(m.pk for m in group.members.all())
        owner_ids = tuple(sorted(members))
    if current_store_id is not None and store_ids is not None and current_store_id not in store_ids:
        current_store_id = None
    if current_store_id is None and store_ids:
        current_store_id = store_ids[0]
    return Scope(
        org_id=staff.org_id,
        staff_id=staff.pk,
        role=staff.role,
        store_ids=store_ids,
        owner_ids=owner_ids,
        can_unmask=staff.can_unmask,
        current_store_id=current_store_id,
    )
