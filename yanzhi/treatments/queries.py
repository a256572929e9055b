"""Scoped reads of courses and executions. A course or execution is visible when its customer is
(`customers_for(scope)`); outside the scope it is a 404."""

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db.models import (
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from yanzhi.catalog.models import Item
from yanzhi.core.scope import Scope
from yanzhi.customers.models import Customer
from yanzhi.customers.queries import visible_customers
from yanzhi.inventory.models import StockLevel, Warehouse
from yanzhi.inventory.queries import default_warehouse
from yanzhi.inventory.services import material_lines
from yanzhi.treatments.models import (
    Entitlement,
    EntitlementLedger,
    Execution,
    ExecutionMaterial,
)

COURSE_HISTORY_LIMIT = 50


def entitlements_for(scope: Scope) -> QuerySet[Entitlement]:
    return Entitlement.objects.filter(visible_customers(scope), org_id=scope.org_id)


def get_entitlement(scope: Scope, pk: int) -> Entitlement:
    qs = entitlements_for(scope).select_related("customer", "item", "store")
    return get_object_or_404(qs, pk=pk)


def get_entitlement_to_execute(scope: Scope, pk: int) -> Entitlement:
    """The course in scope, for execute_session, which reads it whole under its lock."""
    qs = entitlements_for(scope).only("org_id", "customer_id", "store_id")
    return get_object_or_404(qs, pk=pk)


def executions_for(scope: Scope) -> QuerySet[Execution]:
    return Execution.objects.filter(visible_customers(scope), org_id=scope.org_id)


def execution_list(scope: Scope) -> QuerySet[Execution]:
    """Executions with what a list row shows, in one query."""
    return executions_for(scope).select_related(
        "customer", "store", "item", "performed_by", "assistant"
    )


def get_execution(scope: Scope, pk: int) -> Execution:
    materials = ExecutionMaterial.objects.select_related("item", "warehouse")
    qs = execution_list(scope).select_related("entitlement", "visit")
    return get_object_or_404(qs.prefetch_related(Prefetch("materials", queryset=materials)), pk=pk)


# What the API answers with an execution (treatments.schemas.ExecutionOut): its own row and
# the names it shows of the customer, store, item and staff. The pages' rows above join whole
# rows of seven tables.
EXECUTION_OUT_COLUMNS = (
    *(f.attname for f in Execution._meta.concrete_fields),
    "customer__name",
    "customer__phone",
    *(f"{relation}__name" for relation in ("store", "item", "performed_by", "assistant")),
)
EXECUTION_OUT_RELATED = ("customer", "store", "item", "performed_by", "assistant")


def execution_out_list(scope: Scope) -> QuerySet[Execution]:
    qs = executions_for(scope).select_related(*EXECUTION_OUT_RELATED)
    return qs.only(*EXECUTION_OUT_COLUMNS)


def _materials_out() -> Prefetch:
    materials = ExecutionMaterial.objects.select_related("item", "warehouse").only(
        "execution_id", "quantity", "lot_no", "item__name", "warehouse__name"
    )
    return Prefetch("materials", queryset=materials)


def get_execution_out(scope: Scope, pk: int) -> Execution:
    qs = execution_out_list(scope).prefetch_related(_materials_out())
    return get_object_or_404(qs, pk=pk)


def new_execution_out(execution: Execution) -> Execution:
    """The answer to the execution just written: the object the service made (its customer,
    store, item and staff at hand) with its materials, as written or else read."""
    if getattr(execution, "written_materials", None) is None:
        prefetch_related_objects([execution], _materials_out())
    return execution


def customer_courses(scope: Scope, customer: Customer) -> dict:
    """A customer's courses (open first) and their latest executions, in a fixed number of
    queries, for the 360° profile."""
    entitlements = list(
        entitlements_for(scope)
        .filter(customer=customer)
        .select_related("item", "store")
        .order_by("status", "expires_on", "-id")
    )
    executions = list(execution_list(scope).filter(customer=customer)[:COURSE_HISTORY_LIMIT])
    return {"entitlements": entitlements, "executions": executions}


def customers_treated_with_lot(scope: Scope, lot_no: str) -> QuerySet[Execution]:
    """Every execution that used a product lot (产品批号), with customer, date, store, item and
    performer, in one query: across the chain for HQ, within the viewer's scope otherwise."""
    lot_no = (lot_no or "").strip()
    return (
        (execution_list(scope).filter(lot_no__iexact=lot_no).order_by("-business_date", "-id"))
        if lot_no
        else Execution.objects.none()
    )


def executions_of_day(scope: Scope, *, store_id: int, day: date) -> QuerySet[Execution]:
    return execution_list(scope).filter(store_id=store_id, business_date=day)


class MaterialPreview(NamedTuple):
    item: Item
    quantity: Decimal
    warehouse: Warehouse | None
    on_hand: Decimal


def materials_preview(store, service: Item, *, sessions: int = 1) -> list[MaterialPreview]:
    """What executing `sessions` sessions would consume, with what the store has on hand."""
    lines = [line for line in material_lines(service, sessions=sessions) if line.item.track_stock]
    warehouses = {kind: default_warehouse(store, kind) for kind in {li.item.kind for li in lines}}
    on_hand = {
        (level.warehouse_id, level.item_id): level.quantity
        for level in StockLevel.objects.filter(
            warehouse__in=[w for w in warehouses.values() if w],
            item__in=[line.item for line in lines],
        )
    }
    return [
        MaterialPreview(
            line.item,
            line.quantity,
            warehouses[line.item.kind],
            on_hand.get(
                (getattr(warehouses[line.item.kind], "pk", None), line.item.pk), Decimal(0)
            ),
        )
        for line in lines
    ]


def ledger_mismatches(org_id: int | None = None) -> QuerySet[Entitlement]:
    """Courses whose remaining sessions differ from the sum of their ledger rows (one query)."""
    ledger_sum = (
        EntitlementLedger.objects.filter(entitlement_id=OuterRef("pk"))
        .order_by()
        .values("entitlement_id")
        .annotate(total=Sum("delta"))
        .values("total")
    )
    qs = Entitlement.objects.all() if org_id is None else Entitlement.objects.filter(org_id=org_id)
    return (
        qs.annotate(
            ledger_total=Coalesce(
                Subquery(ledger_sum, output_field=IntegerField()),
                Value(0),
                output_field=IntegerField(),
            )
        )
        .exclude(remaining_sessions=F("ledger_total"))
        .select_related("customer", "item")
        .order_by("org_id", "pk")
    )


def extension_history(entitlement: Entitlement):
    """The course's extensions (延期), newest first, from the audit log extend_entitlement
    writes (old and new expiry, reason, who and when)."""
    from yanzhi.core.models import AuditLog

    return AuditLog.objects.filter(
        org_id=entitlement.org_id,
        object_type=entitlement._meta.label_lower,
        object_id=str(entitlement.pk),
        action="entitlement.extended",
    ).order_by("-created_at", "-id")
