"""/api/v1 endpoints of consultations, diagnoses, medical records and photos. Each calls the same
query and service functions as the pages."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from yanzhi.clinical import queries, services
from yanzhi.clinical.schemas import (
    AddendumIn,
    AddendumOut,
    ConsultationIn,
    ConsultationOut,
    ConsultationPatchIn,
    DiagnosisIn,
    DiagnosisOut,
    DiagnosisPatchIn,
    FinalizeIn,
    MedicalRecordIn,
    MedicalRecordOut,
    MedicalRecordPatchIn,
    MedicalRecordTitleOut,
    PhotoOut,
)
from yanzhi.clinical.views import photo_response
from yanzhi.customers.queries import get_customer
from yanzhi.org.queries import get_store

router = Router(tags=["clinical"])


class ListFilter(Schema):
    customer_id: int | None = None
    visit_id: int | None = None
    limit: int = 50
    offset: int = 0


def _page(qs, filters: ListFilter):
    if filters.customer_id is not None:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.visit_id is not None:
        qs = qs.filter(visit_id=filters.visit_id)
    limit = min(max(filters.limit, 1), 100)
    offset = max(filters.offset, 0)
    return list(qs[offset : offset + limit])


def _target(request, customer_id: int, visit_id: int | None, store_id: int | None):
    """Scoped customer, visit and store for a new record (404 outside the scope)."""
    scope = request.scope
    customer = get_customer(scope, customer_id)
    visit = queries.get_visit(scope, visit_id) if visit_id else None
    if visit is not None and visit.customer_id != customer.pk:
        raise Http404
    store = None
    if visit is None:
        store_id = store_id or scope.current_store_id
        store = get_store(scope, store_id) if store_id else None
    return customer, visit, store


def _set(data: Schema, exclude: set[str] = frozenset()) -> dict:
    return {k: v for k, v in data.dict(exclude_unset=True).items() if k not in exclude}


# --- consultations ---------------------------------------------------------------------------------
@router.get("/consultations", response=list[ConsultationOut])
def list_consultations(request, filters: Query[ListFilter]):
    return _page(queries.consultations_for(request.scope), filters)


@router.post("/consultations", response={201: ConsultationOut})
def start_consultation(request, data: ConsultationIn):
    customer, visit, store = _target(request, data.customer_id, data.visit_id, data.store_id)
    fields = _set(data, {"customer_id", "visit_id", "store_id"})
    consultation = services.start_consultation(
        customer, by=request.auth, visit=visit, store=store, **fields
    )
    return Status(201, consultation)


@router.get("/consultations/{consultation_id}", response=ConsultationOut)
def get_consultation(request, consultation_id: int):
    return queries.get_consultation(request.scope, consultation_id)


@router.patch("/consultations/{consultation_id}", response=ConsultationOut)
def save_consultation(request, consultation_id: int, data: ConsultationPatchIn):
    consultation = queries.get_consultation(request.scope, consultation_id)
    return services.save_consultation(consultation, by=request.auth, **_set(data))


@router.post("/consultations/{consultation_id}/finalize", response=ConsultationOut)
def finalize_consultation(request, consultation_id: int, data: FinalizeIn):
    consultation = queries.get_consultation(request.scope, consultation_id)
    return services.finalize_consultation(
        consultation, outcome=data.outcome, by=request.auth, **_set(data, {"outcome"})
    )


# --- diagnoses -------------------------------------------------------------------------------------
@router.get("/diagnoses", response=list[DiagnosisOut])
def list_diagnoses(request, filters: Query[ListFilter]):
    return _page(queries.diagnoses_for(request.scope), filters)


@router.post("/diagnoses", response={201: DiagnosisOut})
def record_diagnosis(request, data: DiagnosisIn):
    customer, visit, store = _target(request, data.customer_id, data.visit_id, data.store_id)
    fields = data.dict(exclude={"customer_id", "visit_id", "store_id"})
    diagnosis = services.record_diagnosis(
        customer, by=request.auth, visit=visit, store=store, **fields
    )
    return Status(201, diagnosis)


@router.get("/diagnoses/{diagnosis_id}", response=DiagnosisOut)
def get_diagnosis(request, diagnosis_id: int):
    return queries.get_diagnosis(request.scope, diagnosis_id)


@router.patch("/diagnoses/{diagnosis_id}", response=DiagnosisOut)
def update_diagnosis(request, diagnosis_id: int, data: DiagnosisPatchIn):
    diagnosis = queries.get_diagnosis(request.scope, diagnosis_id)
    return services.update_diagnosis(diagnosis, by=request.auth, **_set(data))


# --- medical records -------------------------------------------------------------------------------
@router.get("/medical-records", response=list[MedicalRecordTitleOut])
def list_medical_records(request, filters: Query[ListFilter]):
    """Title lines only (date, doctor, diagnosis); GET one record for its content (logged)."""
    return _page(queries.medical_records_for(request.scope), filters)


@router.post("/medical-records", response={201: MedicalRecordOut})
def create_medical_record(request, data: MedicalRecordIn):
    customer, visit, store = _target(request, data.customer_id, data.visit_id, data.store_id)
    sections = _set(data, {"customer_id", "visit_id", "store_id"})
    record = services.create_medical_record(
        customer, by=request.auth, visit=visit, store=store, **sections
    )
    return Status(201, queries.get_medical_record(request.scope, record.pk))


@router.get("/medical-records/{record_id}", response=MedicalRecordOut)
def get_medical_record(request, record_id: int):
    """The whole record. Every call is written to the audit log as a read."""
    record = queries.get_medical_record(request.scope, record_id)
    services.note_medical_record_read(record, by=request.auth)
    return record


@router.patch("/medical-records/{record_id}", response=MedicalRecordOut)
def update_medical_record(request, record_id: int, data: MedicalRecordPatchIn):
    record = queries.get_medical_record(request.scope, record_id)
    services.update_medical_record(record, by=request.auth, **_set(data))
    return queries.get_medical_record(request.scope, record_id)


@router.post("/medical-records/{record_id}/sign", response=MedicalRecordOut)
def sign_medical_record(request, record_id: int):
    record = queries.get_medical_record(request.scope, record_id)
    services.sign_medical_record(record, by=request.auth)
    return queries.get_medical_record(request.scope, record_id)


@router.post("/medical-records/{record_id}/addenda", response={201: AddendumOut})
def add_addendum(request, record_id: int, data: AddendumIn):
    record = queries.get_medical_record(request.scope, record_id)
    return Status(201, services.add_addendum(record, text=data.text, by=request.auth))


# --- photos ----------------------------------------------------------------------------------------
@router.get("/photos", response=list[PhotoOut])
def list_photos(request, filters: Query[ListFilter]):
    """Photo metadata; the bytes come from /photos/{id}/content."""
    return _page(queries.photos_for(request.scope), filters)


@router.post("/photos", response={201: PhotoOut})
def upload_photo(
    request,
    file: File[UploadedFile],
    customer_id: Form[int],
    kind: Form[str] = "before",
    visit_id: Form[int | None] = None,
    store_id: Form[int | None] = None,
    body_area: Form[str] = "",
    note: Form[str] = "",
):
    """Multipart upload of one photo (JPEG/PNG/WEBP, at most PHOTO_MAX_BYTES); needs the
    customer's current medical consent."""
    customer, visit, store = _target(request, customer_id, visit_id, store_id)
    photo = services.upload_photo(
        customer,
        by=request.auth,
        file=file,
        kind=kind,
        visit=visit,
        store=store,
        body_area=body_area,
        note=note,
    )
    return Status(201, get_object_or_404(queries.photos_for(request.scope), pk=photo.pk))


@router.get("/photos/{photo_id}/content", response={200: None})
def photo_content(request, photo_id: int):
    """The image bytes (Cache-Control: private, no-store); logged as a read."""
    photo = queries.get_photo(request.scope, photo_id)
    try:
        handle = photo.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    services.note_photo_read(photo, by=request.auth)
    return photo_response(photo, handle)
