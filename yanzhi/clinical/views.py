"""Pages and fragments of consultations, diagnoses, medical records and photos.

Plain HTML forms (422 with the errors on bad input, a redirect on success). A role that may never
do something gets 403; a record outside the viewer's scope is 404.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yanzhi.clinical import queries, services
from yanzhi.clinical.forms import (
    AddendumForm,
    ConsultationForm,
    DiagnosisForm,
    MedicalRecordForm,
    PhotoUploadForm,
)
from yanzhi.clinical.models import Consultation, MedicalRecord, Photo
from yanzhi.core.errors import BusinessError
from yanzhi.customers.queries import current_medical_consent, get_customer
from yanzhi.org import policy
from yanzhi.org.queries import get_scope_store


def clinical_view(view):
    """Signed-in only; a 403 BusinessError (role may never) becomes PermissionDenied."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BusinessError as error:
            if error.status == 403:
                raise PermissionDenied(str(error.message)) from None
            if error.status == 404:
                raise Http404 from None
            raise

    return wrapper


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _target(request):
    """The customer (and visit) a new record is for, from ?customer= and/or ?visit=, scoped."""
    params = request.POST if request.method == "POST" else request.GET
    visit_id = _int(params.get("visit") or request.GET.get("visit"))
    customer_id = _int(params.get("customer") or request.GET.get("customer"))
    visit = queries.get_visit(request.scope, visit_id) if visit_id else None
    if visit is not None:
        if customer_id and customer_id != visit.customer_id:
            raise Http404
        return visit.customer, visit
    if customer_id is None:
        raise Http404
    return get_customer(request.scope, customer_id), None


def _current_store(request):
    store_id = request.scope.current_store_id
    return get_scope_store(request.scope, store_id, request.user) if store_id else None


def _add_errors(form, error: BusinessError) -> None:
    form.add_error(None, error.message)
    for field, problems in error.fields.items():
        for problem in problems:
            if field in form.fields:
                form.add_error(field, problem)


# --- fragments for the customer profile and the visit page --------------------------------------
def _fragment(request, customer, visit=None):
    scope = request.scope
    sections = queries.clinical_overview(
        scope, customer_id=customer.pk, visit_id=visit.pk if visit else None
    )
    context = {
        "customer": customer,
        "visit": visit,
        **sections,
        "can_consult": policy.can(scope, "consultation.write"),
        "can_diagnose": policy.can(scope, "diagnosis.write"),
        "can_write_record": policy.can(scope, "medical_record.write"),
        "can_upload": policy.can(scope, "photo.upload"),
    }
    return render(request, "clinical/fragment.html", context)


@require_GET
@clinical_view
def customer_clinical(request, customer_id):
    return _fragment(request, get_customer(request.scope, customer_id))


@require_GET
@clinical_view
def visit_clinical(request, visit_id):
    visit = queries.get_visit(request.scope, visit_id)
    return _fragment(request, visit.customer, visit)


# --- consultations (咨询记录) ----------------------------------------------------------------------
@clinical_view
def consultation_new(request):
    policy.require(request.scope, "consultation.write")
    customer, visit = _target(request)
    form = ConsultationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # "完成" on a new record: both steps or neither
                consultation = services.start_consultation(
                    customer,
                    by=request.user,
                    visit=visit,
                    store=_current_store(request) if visit is None else None,
                    **form.values(),
                )
                if request.POST.get("action") == "finalize":
                    services.finalize_consultation(
                        consultation, outcome=form.cleaned_data["outcome"], by=request.user
                    )
        except BusinessError as error:
            _add_errors(form, error)
        else:
            if request.POST.get("action") == "finalize":
                messages.success(request, _("咨询记录已完成"))
            else:
                messages.success(request, _("草稿已暂存"))
            return redirect("clinical:consultation-detail", pk=consultation.pk)
    return render(
        request,
        "clinical/consultation_form.html",
        {"form": form, "customer": customer, "visit": visit, "consultation": None},
        status=422 if form.errors else 200,
    )


@clinical_view
def consultation_detail(request, pk):
    consultation = queries.get_consultation(request.scope, pk)
    editable = consultation.status == Consultation.Status.DRAFT and (
        consultation.consultant_id == request.user.pk or request.scope.role == policy.MANAGER
    )
    form = ConsultationForm(
        request.POST or None,
        instance=consultation,
        initial={"outcome": consultation.outcome},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                if request.POST.get("action") == "finalize":
                    consultation = services.finalize_consultation(
                        consultation,
                        outcome=form.cleaned_data["outcome"],
                        by=request.user,
                        **form.values(),
                    )
                    messages.success(request, _("咨询记录已完成"))
                else:
                    consultation = services.save_consultation(
                        consultation, by=request.user, **form.values()
                    )
                    messages.success(request, _("草稿已暂存"))
            except BusinessError as error:
                if error.status == 403:
                    raise
                _add_errors(form, error)
            else:
                return redirect("clinical:consultation-detail", pk=consultation.pk)
    return render(
        request,
        "clinical/consultation_form.html",
        {
            "form": form,
            "customer": consultation.customer,
            "visit": consultation.visit,
            "consultation": consultation,
            "editable": editable,
        },
        status=422 if form.errors else 200,
    )


# --- diagnoses (面诊) ------------------------------------------------------------------------------
@clinical_view
def diagnosis_new(request):
    policy.require(request.scope, "diagnosis.write")
    customer, visit = _target(request)
    form = DiagnosisForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            diagnosis = services.record_diagnosis(
                customer,
                by=request.user,
                visit=visit,
                store=_current_store(request) if visit is None else None,
                **form.values(),
            )
        except BusinessError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("面诊记录已保存"))
            return redirect("clinical:diagnosis-detail", pk=diagnosis.pk)
    return render(
        request,
        "clinical/diagnosis_form.html",
        {"form": form, "customer": customer, "visit": visit, "diagnosis": None},
        status=422 if form.errors else 200,
    )


@clinical_view
def diagnosis_detail(request, pk):
    diagnosis = queries.get_diagnosis(request.scope, pk)
    form = DiagnosisForm(request.POST or None, instance=diagnosis)
    if request.method == "POST" and form.is_valid():
        try:
            diagnosis = services.update_diagnosis(diagnosis, by=request.user, **form.values())
        except BusinessError as error:
            if error.status == 403:
                raise
            _add_errors(form, error)
        else:
            messages.success(request, _("面诊记录已修改"))
            return redirect("clinical:diagnosis-detail", pk=diagnosis.pk)
    return render(
        request,
        "clinical/diagnosis_form.html",
        {
            "form": form,
            "customer": diagnosis.customer,
            "visit": diagnosis.visit,
            "diagnosis": diagnosis,
            "editable": diagnosis.doctor_id == request.user.pk,
        },
        status=422 if form.errors else 200,
    )


# --- medical records (病历) ------------------------------------------------------------------------
@clinical_view
def medical_record_new(request):
    policy.require(request.scope, "medical_record.write")
    customer, visit = _target(request)
    consent = current_medical_consent(customer)
    form = MedicalRecordForm(request.POST or None, initial={"allergy_history": customer.allergies})
    if request.method == "POST" and consent is not None and form.is_valid():
        try:
            record = services.create_medical_record(
                customer,
                by=request.user,
                visit=visit,
                store=_current_store(request) if visit is None else None,
                **form.values(),
            )
        except BusinessError as error:
            if error.code == "consent_required":
                consent = None
            _add_errors(form, error)
        else:
            messages.success(request, _("病历已保存为草稿"))
            return redirect("clinical:medical-record-detail", pk=record.pk)
    refused = request.method == "POST" and (form.errors or consent is None)
    return render(
        request,
        "clinical/medical_record_form.html",
        {"form": form, "customer": customer, "visit": visit, "consent_missing": consent is None},
        status=422 if refused else 200,
    )


@clinical_view
def medical_record_detail(request, pk):
    record = queries.get_medical_record(request.scope, pk)
    can_edit = (
        record.status == MedicalRecord.Status.DRAFT
        and record.doctor_id == request.user.pk
        and policy.can(request.scope, "medical_record.write")
    )
    form = MedicalRecordForm(request.POST or None, instance=record) if can_edit else None
    if request.method == "POST":
        if form is None:
            raise BusinessError("medical_record_signed", _("病历已签署,不能修改"), status=403)
        if form.is_valid():
            try:
                with transaction.atomic():  # "保存并签署": both or neither
                    record = services.update_medical_record(
                        record, by=request.user, **form.values()
                    )
                    if request.POST.get("action") == "sign":
                        record = services.sign_medical_record(record, by=request.user)
            except BusinessError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("病历已签署") if record.signed_at else _("病历已保存"))
                return redirect("clinical:medical-record-detail", pk=record.pk)
    services.note_medical_record_read(record, by=request.user)
    return render(
        request,
        "clinical/medical_record_detail.html",
        {
            "record": record,
            "form": form,
            "addendum_form": AddendumForm(),
            "can_addend": record.status == MedicalRecord.Status.SIGNED
            and policy.can(request.scope, "medical_record.write"),
        },
        status=422 if form is not None and form.errors else 200,
    )


@require_POST
@clinical_view
def medical_record_addendum(request, pk):
    record = queries.get_medical_record(request.scope, pk)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.add_addendum(record, text=form.cleaned_data["text"], by=request.user)
        except BusinessError as error:
            if error.status == 403:
                raise
            _add_errors(form, error)
        else:
            messages.success(request, _("补充说明已添加"))
            return redirect("clinical:medical-record-detail", pk=record.pk)
    services.note_medical_record_read(record, by=request.user)
    return render(
        request,
        "clinical/medical_record_detail.html",
        {"record": record, "form": None, "addendum_form": form, "can_addend": True},
        status=422,
    )


# --- photos ------------------------------------------------------------------------------------------
@clinical_view
def photo_upload(request):
    policy.require(request.scope, "photo.upload")
    customer, visit = _target(request)
    consent = current_medical_consent(customer)
    form = PhotoUploadForm(request.POST or None, initial={"kind": Photo.Kind.BEFORE})
    file_errors: list[tuple[str, str]] = []
    uploaded: list[Photo] = []
    if request.method == "POST" and consent is not None and form.is_valid():
        files = request.FILES.getlist("files")
        if not files:
            form.add_error(None, _("请选择要上传的照片"))
        for upload in files:
            try:
                uploaded.append(
                    services.upload_photo(
                        customer,
                        by=request.user,
                        file=upload,
                        visit=visit,
                        store=_current_store(request) if visit is None else None,
                        **form.cleaned_data,
                    )
                )
            except BusinessError as error:
                if error.code == "consent_required":
                    consent = None
                    break
                file_errors.append((upload.name, str(error.message)))
        if files and not file_errors and consent is not None:
            messages.success(request, _("已上传 %(n)s 张照片") % {"n": len(uploaded)})
            back = f"/visits/{visit.pk}/" if visit else f"/customers/{customer.pk}/"
            return redirect(back)
    refused = request.method == "POST" and (form.errors or file_errors or consent is None)
    return render(
        request,
        "clinical/photo_upload.html",
        {
            "form": form,
            "customer": customer,
            "visit": visit,
            "consent_missing": consent is None,
            "file_errors": file_errors,
            "uploaded": uploaded,
            "max_size": services.photo_size_limit_label(),
        },
        status=422 if refused else 200,
    )


@require_GET
@clinical_view
def photo_content(request, pk):
    """The photo's bytes, for a viewer whose scope covers the customer; never cached."""
    photo = queries.get_photo(request.scope, pk)
    try:
        handle = photo.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    services.note_photo_read(photo, by=request.user)
    return photo_response(photo, handle)


def photo_response(photo: Photo, handle) -> FileResponse:
    response = FileResponse(handle, content_type=photo.content_type)
    extension = photo.file.name.rsplit(".", 1)[-1]
    response["Content-Disposition"] = f'inline; filename="photo-{photo.pk}.{extension}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
