"""Scoped reads of consultations, diagnoses, medical records and photos.

Every entry point first checks the role may view that kind of record at all (403 BusinessError
"forbidden" — the role may never see it), then limits rows to customers inside
`customers_for(scope)` (a consultant: only their own customers), so a record of someone else's
customer is simply not found (404).
"""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from yanzhi.clinical.models import Consultation, Diagnosis, MedicalRecord, Photo
from yanzhi.core.scope import Scope
from yanzhi.customers.queries import visible_customers
from yanzhi.org import policy
from yanzhi.visits.models import Visit


def consultations_for(scope: Scope) -> QuerySet[Consultation]:
    policy.require(scope, "consultation.view")
    return Consultation.objects.filter(
        visible_customers(scope), org_id=scope.org_id
    ).select_related("consultant", "store")


def get_consultation(scope: Scope, pk: int) -> Consultation:
    return get_object_or_404(consultations_for(scope).select_related("customer", "visit"), pk=pk)


def diagnoses_for(scope: Scope) -> QuerySet[Diagnosis]:
    policy.require(scope, "diagnosis.view")
    return Diagnosis.objects.filter(visible_customers(scope), org_id=scope.org_id).select_related(
        "doctor", "store"
    )


def get_diagnosis(scope: Scope, pk: int) -> Diagnosis:
    return get_object_or_404(diagnoses_for(scope).select_related("customer", "visit"), pk=pk)


def medical_records_for(scope: Scope) -> QuerySet[MedicalRecord]:
    policy.require(scope, "medical_record.view")
    return MedicalRecord.objects.filter(
        visible_customers(scope), org_id=scope.org_id
    ).select_related("doctor", "store")


def get_medical_record(scope: Scope, pk: int) -> MedicalRecord:
    """One record with its addenda. Callers that show its content must log the read
    (services.note_medical_record_read)."""
    qs = (
        medical_records_for(scope)
        .select_related("customer", "visit", "consent__document")
        .prefetch_related("addenda__doctor")
    )
    return get_object_or_404(qs, pk=pk)


def photos_for(scope: Scope) -> QuerySet[Photo]:
    policy.require(scope, "photo.view")
    return Photo.objects.filter(visible_customers(scope), org_id=scope.org_id).select_related(
        "uploaded_by"
    )


def get_photo(scope: Scope, pk: int) -> Photo:
    return get_object_or_404(photos_for(scope), pk=pk)


def visits_for(scope: Scope) -> QuerySet[Visit]:
    """Visits clinical work may attach to: in the scope's stores, of customers in scope."""
    qs = Visit.objects.filter(visible_customers(scope), org_id=scope.org_id)
    if scope.store_ids is not None:
        qs = qs.filter(store_id__in=scope.store_ids)
    return qs


def get_visit(scope: Scope, pk: int) -> Visit:
    return get_object_or_404(visits_for(scope).select_related("customer", "store"), pk=pk)


def clinical_overview(scope: Scope, *, customer_id: int, visit_id: int | None = None, limit=50):
    """The sections of the clinical fragment (profile or visit page), each None when the role
    may not view that kind of record. A fixed number of queries whatever the row count."""

    def section(action, queryset_fn):
        if not policy.can(scope, action):
            return None
        qs = queryset_fn(scope).filter(customer_id=customer_id)
        if visit_id is not None:
            qs = qs.filter(visit_id=visit_id)
        return list(qs[:limit])

    return {
        "consultations": section("consultation.view", consultations_for),
        "diagnoses": section("diagnosis.view", diagnoses_for),
        "medical_records": section(
            "medical_record.view",
            # Title lines only: the content is shown (and its read logged) on the detail page.
            lambda s: medical_records_for(s).only(
                "id",
                "customer_id",
                "visit_id",
                "status",
                "diagnosis",
                "created_at",
                "signed_at",
                "doctor__name",
                "store__name",
            ),
        ),
        "photos": section("photo.view", photos_for),
    }
