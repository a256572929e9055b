"""Course business actions: granting courses (called by sales when an order is paid), executing
a session (执行划扣), the customer's confirmation, refunds of unused sessions, extension and
expiry. Each is one transaction; remaining sessions change only by a guarded UPDATE plus a
ledger row, and the customer's open-course count is kept in the same transaction."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count, F, IntegerField, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from yanzhi.catalog.models import Item
from yanzhi.core import audit, events
from yanzhi.core.errors import BusinessError, NotFound
from yanzhi.core.money import to_money
from yanzhi.core.scope import Scope
from yanzhi.core.timeutil import store_today
from yanzhi.customers import services as customer_services
from yanzhi.customers.models import Customer
from yanzhi.customers.queries import customers_for, visible_customers
from yanzhi.inventory import services as inventory
from yanzhi.inventory.queries import default_warehouse
from yanzhi.org import policy
from yanzhi.org.models import Staff, Store
from yanzhi.org.services import ensure_period_open
from yanzhi.treatments.models import (
    Entitlement,
    EntitlementLedger,
    Execution,
    ExecutionMaterial,
)
from yanzhi.visits import services as visit_services
from yanzhi.visits.models import Visit

MAX_SESSIONS = 1000


# --- helpers ------------------------------------------------------------------------------------
def _scope(by: Staff, action: str | None = None) -> Scope:
    scope = policy.scope_for(by)
    if action:
        policy.require(scope, action)
    return scope


def _field_error(code: str, field: str, message, *, status: int = 422) -> BusinessError:
    return BusinessError(code, message, fields={field: [message]}, status=status)


def _sessions(value, *, field: str = "sessions") -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    sessions = value if isinstance(value, int) and not isinstance(value, bool) else None
    if sessions is None or sessions < 1 or sessions > MAX_SESSIONS:
        raise _field_error("invalid_sessions", field, _("次数必须是大于0的整数"))
    return sessions


def _require_customer_in_scope(scope: Scope, customer_id: int) -> None:
    if not customers_for(scope).filter(pk=customer_id).exists():
        raise NotFound()


def _write_ledger(
    entitlement_pk: int, delta: int, *, reason: str, by, reference="", after: int | None = None
) -> int:
    """Append the ledger row of a change already applied; returns the balance after it (read
    back unless the caller knows it, as for a course just created)."""
    if after is None:
        after = Entitlement.objects.filter(pk=entitlement_pk).values_list(
            "remaining_sessions", flat=True
        )[0]
    EntitlementLedger.objects.create(
        entitlement_id=entitlement_pk,
        delta=delta,
        remaining_after=after,
        reason=reason,
        reference=reference[:50],
        by=by,
    )
    return after


def open_course_count(customer_id: int) -> Coalesce:
    """An expression counting the customer's open courses (active, with sessions left), for
    the summary's UPDATE: counted inside the statement that stores it."""
    open_courses = (
        Entitlement.objects.filter(
            customer_id=customer_id, status=Entitlement.Status.ACTIVE, remaining_sessions__gt=0
        )
        .order_by()
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(open_courses, output_field=IntegerField()), 0)


def _refresh_open_courses(customer_id: int) -> None:
    """The summary's open-course count. The caller has locked the summary row
    (`lock_summary`) at the start of its transaction."""
    customer_services.set_open_course_count(customer_id, open_course_count(customer_id))


def _snapshot(entitlement: Entitlement) -> dict:
    return audit.snapshot(
        entitlement, ["remaining_sessions", "total_sessions", "status", "expires_on"]
    )


# --- granting (called by sales when an order is paid) -------------------------------------------
def grant_entitlement(
    *,
    customer: Customer,
    store: Store,
    item: Item,
    sessions: int,
    unit_value_amount,
    source_kind: str,
    source_line_id: int | None = None,
    expires_on: date | None = None,
    by: Staff,
    counted_by_caller: bool = False,
) -> Entitlement:
    """Open a course of `sessions` sessions of a service item for a customer (a paid service
    line, a package component, a session card, or a gift). The caller checks its own permission.
    `counted_by_caller`: the caller holds the customer's summary lock and stores the open-course
    count itself afterwards (`open_course_count`; a payment writes the summary once)."""
    if not (customer.org_id == store.org_id == item.org_id == by.org_id):
        raise NotFound()
    if item.kind != Item.Kind.SERVICE:
        message = _("%(item)s 不是服务项目,不能开通疗程") % {"item": item.name}
        raise _field_error("not_a_service", "item_id", message)
    sessions = _sessions(sessions)
    try:
        value = to_money(Decimal(str(unit_value_amount)))
    except (InvalidOperation, ValueError):
        value = None
    if value is None or value < 0:
        raise _field_error("invalid_amount", "unit_value_amount", _("每次价值不能为负数"))
    if source_kind not in Entitlement.SourceKind.values:
        raise _field_error("invalid_source_kind", "source_kind", _("无效的疗程来源"))
    return _open_course(
        customer=customer,
        store=store,
        item=item,
        sessions=sessions,
        value=value,
        source_kind=source_kind,
        source_line_id=source_line_id,
        expires_on=expires_on,
        by=by,
        counted_by_caller=counted_by_caller,
    )


# Checked input only; inside a payment it is part of that change (no savepoint of its own).
@transaction.atomic(savepoint=False)
def _open_course(
    *,
    customer,
    store,
    item,
    sessions,
    value,
    source_kind,
    source_line_id,
    expires_on,
    by,
    counted_by_caller,
) -> Entitlement:
    if not counted_by_caller:
        customer_services.lock_summary(customer.pk)
    entitlement = Entitlement.objects.create(
        org_id=customer.org_id,
        store=store,
        customer=customer,
        item=item,
        source_line_id=source_line_id,
        source_kind=source_kind,
        total_sessions=sessions,
        remaining_sessions=sessions,
        unit_value_amount=value,
        expires_on=expires_on,
    )
    reference = f"order_line:{source_line_id}" if source_line_id else ""
    _write_ledger(
        entitlement.pk,
        sessions,
        reason=EntitlementLedger.Reason.GRANTED,
        by=by,
        reference=reference,
        after=sessions,
    )
    if not counted_by_caller:
        _refresh_open_courses(customer.pk)
    audit.record(by, "entitlement.granted", entitlement, after=audit.snapshot(entitlement))
    return entitlement


# --- refunds (called by sales' refund) ---------------------------------------------------------
def refundable_sessions(source_line_id: int) -> int:
    """Sessions still unused on the courses an order line created (what may be refunded)."""
    return sum(
        Entitlement.objects.filter(
            source_line_id=source_line_id, status=Entitlement.Status.ACTIVE
        ).values_list("remaining_sessions", flat=True)
    )


@transaction.atomic
def revoke_sessions(*, source_line_id: int, sessions: int, by: Staff, reason="refund") -> Decimal:
    """Take back unused sessions of an order line's courses (a refund), oldest course first.
    A used session cannot be refunded. Returns their money value (sessions × unit value)."""
    sessions = _sessions(sessions)
    courses = Entitlement.objects.filter(
        source_line_id=source_line_id, org_id=by.org_id, status=Entitlement.Status.ACTIVE
    ).order_by("pk")
    customer_ids = sorted(set(courses.values_list("customer_id", flat=True)))
    for customer_id in customer_ids:
        customer_services.lock_summary(customer_id)
    locked = list(courses.select_for_update())
    if sum(e.remaining_sessions for e in locked) < sessions:
        message = _("已使用的疗程次数不能退款")
        raise BusinessError("sessions_used", message, fields={"sessions": [message]}, status=409)
    value, left = Decimal("0.00"), sessions
    for entitlement in locked:
        take = min(left, entitlement.remaining_sessions)
        if take == 0:
            continue
        before = _snapshot(entitlement)
        updated = Entitlement.objects.filter(
            pk=entitlement.pk, remaining_sessions__gte=take
        ).update(remaining_sessions=F("remaining_sessions") - take)
        if not updated:  # cannot happen under the row lock; refuse rather than overdraw
            raise BusinessError("sessions_used", _("已使用的疗程次数不能退款"), status=409)
        after = _write_ledger(
            entitlement.pk,
            -take,
            reason=EntitlementLedger.Reason.REVOKED,
            by=by,
            reference=f"order_line:{source_line_id}",
        )
        if after == 0:
            Entitlement.objects.filter(pk=entitlement.pk).update(status=Entitlement.Status.REVOKED)
        entitlement.refresh_from_db()
        audit.record(
            by,
            "entitlement.revoked",
            entitlement,
            before=before,
            after=_snapshot(entitlement),
            note=str(reason),
        )
        value += take * entitlement.unit_value_amount
        left -= take
    for customer_id in customer_ids:
        _refresh_open_courses(customer_id)
    return to_money(value)


# --- execution ----------------------------------------------------------------------------------
def _execution_store(scope: Scope, entitlement: Entitlement, visit, store) -> Store:
    """Where the session is performed: the visit's store, else the given or current store."""
    if visit is not None:
        return visit.store
    if store is not None:
        return store
    if scope.current_store_id:
        return Store.objects.get(pk=scope.current_store_id)
    return entitlement.store


def _material_lines(store: Store, materials) -> dict[int, tuple]:
    """Materials the nurse actually used (item, quantity[, lot_no]) grouped by the store's
    default warehouse for each item's kind."""
    grouped: dict[int, tuple] = {}
    for n, line in enumerate(materials):
        item, quantity, *rest = line
        lot_no = rest[0] if rest else ""
        warehouse = default_warehouse(store, item.kind)
        if warehouse is None:
            message = _("%(store)s 没有可用的仓库或药房") % {"store": store.name}
            raise _field_error("no_warehouse", f"materials.{n}.item_id", message, status=409)
        entry = grouped.setdefault(warehouse.pk, (warehouse, []))
        entry[1].append(inventory.StockLine(item, quantity, lot_no or ""))
    return grouped


CLINICAL_ROLES = (Staff.Role.DOCTOR, Staff.Role.NURSE)


def _check_assistant(assistant: Staff | None, *, store: Store, by: Staff) -> None:
    """An assistant (配台) is another active doctor or nurse of the executing store."""
    if assistant is None:
        return
    if assistant.pk == by.pk:
        raise _field_error("invalid_assistant", "assistant_id", _("配台人员不能是执行人本人"))
    if not (
        assistant.org_id == store.org_id
        and assistant.is_active
        and assistant.role in CLINICAL_ROLES
        and assistant.stores.filter(pk=store.pk).exists()
    ):
        raise _field_error(
            "invalid_assistant", "assistant_id", _("配台人员须为本门店在职的医生或护士")
        )


@transaction.atomic
@audit.batched()
def execute_session(
    entitlement: Entitlement,
    *,
    by: Staff,
    sessions: int = 1,
    visit: Visit | None = None,
    store: Store | None = None,
    business_date: date | None = None,
    assistant: Staff | None = None,
    device: str = "",
    energy: str = "",
    dose: str = "",
    injection_sites: str = "",
    lot_no: str = "",
    notes: str = "",
    materials=None,
) -> Execution:
    """Perform sessions of a course (执行划扣): a nurse or doctor, on an active, unexpired course
    of a customer in their scope, with sessions left. Deducts the sessions (guarded), consumes the
    service's materials (or `materials`, what was actually used) from the store's stock, records
    the parameters and lot number, and marks the visit's treatment stage."""
    scope = _scope(by, "treatment.execute")
    sessions = _sessions(sessions)
    if visit is not None and (
        visit.customer_id != entitlement.customer_id or not scope.covers_store(visit.store_id)
    ):
        raise _field_error("invalid_visit", "visit_id", _("到访记录与该客户不符"))
    store = _execution_store(scope, entitlement, visit, store)
    if store.org_id != scope.org_id or not scope.covers_store(store.pk):
        raise NotFound()
    _check_assistant(assistant, store=store, by=by)
    today = store_today(store)
    business_date = business_date or today
    if business_date > today:
        raise _field_error("future_date", "business_date", _("业务日期不能晚于今天"))
    ensure_period_open(store.pk, business_date, org_id=store.org_id)

    customer_services.hold_summary(entitlement.customer_id)
    # read whole under its lock, and only if its customer is in the caller's scope
    entitlement = (
        Entitlement.objects.filter(visible_customers(scope), org_id=scope.org_id, pk=entitlement.pk)
        .select_for_update(of=("self",))
        .select_related("customer", "item")
        .first()
    )
    if entitlement is None:
        raise NotFound()
    if entitlement.status == Entitlement.Status.EXHAUSTED:
        message = _("该疗程剩余次数不足")
        raise BusinessError("no_sessions_left", message, fields={"sessions": [message]}, status=409)
    if entitlement.status != Entitlement.Status.ACTIVE:
        message = _("该疗程状态为“%(status)s”,不能执行") % {
            "status": entitlement.get_status_display()
        }
        raise BusinessError("entitlement_not_active", message, status=409)
    if entitlement.expires_on is not None and entitlement.expires_on < today:
        message = _("该疗程已于 %(day)s 过期") % {"day": entitlement.expires_on.isoformat()}
        raise BusinessError("entitlement_expired", message, status=409)
    before = _snapshot(entitlement)
    # The guarded update: never below zero, whatever runs concurrently.
    updated = Entitlement.objects.filter(
        pk=entitlement.pk, remaining_sessions__gte=sessions
    ).update(remaining_sessions=F("remaining_sessions") - sessions)
    if not updated:
        message = _("该疗程剩余次数不足")
        raise BusinessError("no_sessions_left", message, fields={"sessions": [message]}, status=409)

    execution = Execution.objects.create(
        org_id=entitlement.org_id,
        store=store,
        customer=entitlement.customer,
        entitlement=entitlement,
        item=entitlement.item,
        sessions=sessions,
        performed_by=by,
        assistant=assistant,
        visit=visit,
        # whom it counts for, fixed now (docs/reports.md, "Attribution")
        consultant_id=entitlement.customer.consultant_id,
        online_consultant_id=entitlement.customer.online_consultant_id,
        value_amount=to_money(sessions * entitlement.unit_value_amount),
        device=device.strip()[:100],
        energy=energy.strip()[:100],
        dose=dose.strip()[:100],
        injection_sites=injection_sites.strip()[:200],
        lot_no=lot_no.strip()[:40],
        notes=notes.strip(),
        business_date=business_date,
    )
    # the row is locked: what is left is what was there less what the guarded update took
    after = entitlement.remaining_sessions - sessions
    _write_ledger(
        entitlement.pk,
        -sessions,
        reason=EntitlementLedger.Reason.EXECUTED,
        by=by,
        reference=execution.reference,
        after=after,
    )
    entitlement.remaining_sessions = after
    if after == 0:
        Entitlement.objects.filter(pk=entitlement.pk).update(status=Entitlement.Status.EXHAUSTED)
        entitlement.status = Entitlement.Status.EXHAUSTED

    # Materials: the stock service refuses a shortage (block policy) and this whole transaction,
    # sessions included, rolls back.
    if materials is None:
        moves = inventory.consume_materials(
            store,
            service=entitlement.item,
            sessions=sessions,
            by=by,
            business_date=business_date,
            reference=execution.reference,
        )
    else:
        moves = []
        for _pk, (warehouse, lines) in sorted(_material_lines(store, materials).items()):
            moves += inventory.consume_stock(
                warehouse,
                lines=lines,
                by=by,
                business_date=business_date,
                reference=execution.reference,
            )
    places = Decimal(1).scaleb(-ExecutionMaterial._meta.get_field("quantity").decimal_places)
    # the moves carry their item and warehouse: the API answers with these rows as written
    execution.written_materials = ExecutionMaterial.objects.bulk_create(
        ExecutionMaterial(
            execution=execution,
            item=move.item,
            quantity=(-move.delta).quantize(places),
            warehouse=move.warehouse,
            lot_no=move.lot_no,
        )
        for move in moves
    )
    execution.stock_warnings = [move for move in moves if move.went_negative]

    if (
        visit is not None
        and visit.treated_at is None
        and visit.post_care_at is None
        and visit.left_at is None
    ):
        visit_services.record_stage(visit, stage="treated", by=by)
    if after == 0:
        # the course was open (active, sessions left) and stays so unless this used it up
        _refresh_open_courses(entitlement.customer_id)
    audit.record(
        by,
        "entitlement.executed",
        entitlement,
        before=before,
        after=_snapshot(entitlement),
        note=execution.reference,
    )
    audit.record(by, "execution.created", execution, after=audit.snapshot(execution))
    events.emit(
        "execution.done",
        execution_id=execution.pk,
        org_id=execution.org_id,
        store_id=store.pk,
        customer_id=execution.customer_id,
        item_id=execution.item_id,
        department_id=entitlement.item.department_id,
        executed_at=execution.created_at,
        performed_by_id=by.pk,
        assistant_id=execution.assistant_id,
        source_line_id=entitlement.source_line_id,
    )
    return execution


@transaction.atomic
def confirm_execution(execution: Execution, *, method: str, by: Staff) -> Execution:
    """The customer confirms the execution (签字确认), once."""
    scope = _scope(by, "treatment.execute")
    _require_customer_in_scope(scope, execution.customer_id)
    if method not in Execution.ConfirmationMethod.values:
        raise _field_error("invalid_method", "method", _("请选择确认方式"))
    execution = Execution.objects.select_for_update().get(pk=execution.pk)
    if execution.customer_confirmed_at is not None:
        raise BusinessError("already_confirmed", _("客户已确认过该次执行"), status=409)
    execution.customer_confirmed_at = timezone.now()
    execution.confirmation_method = method
    execution.save(update_fields=["customer_confirmed_at", "confirmation_method"])
    audit.record(
        by,
        "execution.confirmed",
        execution,
        after={"method": method, "at": execution.customer_confirmed_at.isoformat()},
    )
    return execution


# --- extension and expiry -----------------------------------------------------------------------
@transaction.atomic
def extend_entitlement(
    entitlement: Entitlement, *, new_expires_on: date, reason: str, by: Staff
) -> Entitlement:
    """Move a course's expiry date later (延期), with a reason. A course the expiry run has
    already closed gets back the sessions that expiry took (an 'adjusted' ledger row)."""
    scope = _scope(by, "treatment.extend")
    _require_customer_in_scope(scope, entitlement.customer_id)
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason_required", "reason", _("请填写延期原因"))
    if not isinstance(new_expires_on, date):
        raise _field_error("invalid_date", "new_expires_on", _("请填写新的有效期"))
    customer_services.lock_summary(entitlement.customer_id)
    entitlement = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
    if entitlement.status not in (Entitlement.Status.ACTIVE, Entitlement.Status.EXPIRED):
        message = _("该疗程状态为“%(status)s”,不能延期") % {
            "status": entitlement.get_status_display()
        }
        raise BusinessError("entitlement_not_extendable", message, status=409)
    current = entitlement.expires_on
    if new_expires_on < store_today(entitlement.store) or (current and new_expires_on <= current):
        raise _field_error("invalid_date", "new_expires_on", _("新的有效期必须晚于原有效期和今天"))
    before = _snapshot(entitlement)
    if entitlement.status == Entitlement.Status.EXPIRED:
        expired = (
            entitlement.ledger.filter(reason=EntitlementLedger.Reason.EXPIRED)
            .order_by("-id")
            .first()
        )
        restore = -expired.delta if expired else 0
        if restore:
            Entitlement.objects.filter(pk=entitlement.pk).update(
                remaining_sessions=F("remaining_sessions") + restore
            )
            _write_ledger(
                entitlement.pk,
                restore,
                reason=EntitlementLedger.Reason.ADJUSTED,
                by=by,
                reference="extension",
            )
        entitlement.status = Entitlement.Status.ACTIVE if restore else Entitlement.Status.EXHAUSTED
    entitlement.refresh_from_db(fields=["remaining_sessions"])
    entitlement.expires_on = new_expires_on
    entitlement.save(update_fields=["expires_on", "status"])
    _refresh_open_courses(entitlement.customer_id)
    audit.record(
        by,
        "entitlement.extended",
        entitlement,
        before=before,
        after=_snapshot(entitlement),
        note=reason,
    )
    return entitlement


@transaction.atomic
def expire_entitlements(store: Store, *, day: date) -> int:
    """Close the courses sold by `store` whose expiry date is before `day`: their unused
    sessions are zeroed by an 'expired' ledger row (docs/decisions.md). Running it again
    changes nothing. Returns how many courses expired."""
    due = Entitlement.objects.filter(
        store=store, status=Entitlement.Status.ACTIVE, expires_on__lt=day
    ).order_by("customer_id", "pk")
    customer_ids = sorted(set(due.values_list("customer_id", flat=True)))
    for customer_id in customer_ids:
        customer_services.lock_summary(customer_id)
    count = 0
    for entitlement in due.select_for_update():
        before = _snapshot(entitlement)
        left = entitlement.remaining_sessions
        if left:
            Entitlement.objects.filter(pk=entitlement.pk, remaining_sessions=left).update(
                remaining_sessions=0
            )
            _write_ledger(
                entitlement.pk,
                -left,
                reason=EntitlementLedger.Reason.EXPIRED,
                by=None,
                reference=f"expiry:{day.isoformat()}",
            )
        Entitlement.objects.filter(pk=entitlement.pk).update(status=Entitlement.Status.EXPIRED)
        entitlement.refresh_from_db()
        audit.record(
            None, "entitlement.expired", entitlement, before=before, after=_snapshot(entitlement)
        )
        count += 1
    for customer_id in customer_ids:
        _refresh_open_courses(customer_id)
    return count
