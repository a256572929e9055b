"""Business actions on consultations (咨询), diagnoses (面诊), medical records (病历) and photos.

Callers pass records they reached through yanzhi.clinical.queries / customers.queries (so the
customer and visit are inside the caller's scope); these functions check the role, the store and
the record's own rules, then write and audit.
"""

import hashlib
import uuid
import warnings
from datetime import date
from decimal import Decimal, InvalidOperation
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from yanzhi.clinical.models import (
    Consultation,
    Diagnosis,
    MedicalRecord,
    MedicalRecordAddendum,
    Outcome,
    Photo,
)
from yanzhi.core import audit
from yanzhi.core.errors import BusinessError
from yanzhi.core.money import to_money
from yanzhi.core.timeutil import store_today, to_store_time
from yanzhi.customers.models import Consent, Customer
from yanzhi.customers.queries import current_medical_consent
from yanzhi.org import policy
from yanzhi.org.models import Staff, Store

CONSULTATION_FIELDS = (
    "demands",
    "concerns",
    "recommended_items",
    "quoted_amount",
    "next_contact_on",
    "notes",
)
DIAGNOSIS_FIELDS = (
    "findings",
    "skin_analysis",
    "plan_items",
    "plan_effect",
    "plan_price_amount",
    "plan_duration",
    "outcome",
)
# The fixed writing standard of an outpatient record: 主诉、现病史、既往史、过敏史、体格检查、诊断、处置、医嘱.
MEDICAL_RECORD_SECTIONS = (
    "chief_complaint",
    "present_illness",
    "past_history",
    "allergy_history",
    "examination",
    "diagnosis",
    "treatment",
    "advice",
)
REQUIRED_SECTIONS = ("chief_complaint", "diagnosis")


# --- shared checks ---------------------------------------------------------------------------------
def _require_role(by: Staff, action: str) -> None:
    if by.role not in policy.ACTIONS[action]:
        raise BusinessError("forbidden", _("您的角色无权执行此操作"), status=403)


def _works_in(by: Staff, store_id: int) -> bool:
    return by.role == policy.HQ or by.stores.filter(pk=store_id).exists()


def _store_of(customer: Customer, *, by: Staff, visit, store: Store | None) -> int:
    """The store a new clinical record belongs to: the visit's, else the given store, else the
    customer's own store; the author must work there."""
    if visit is not None:
        if visit.customer_id != customer.pk or visit.org_id != customer.org_id:
            raise BusinessError(
                "visit_mismatch",
                _("该到访记录不属于此客户"),
                fields={"visit": [_("该到访记录不属于此客户")]},
            )
        store_id = visit.store_id
    elif store is not None:
        if store.org_id != customer.org_id:
            raise BusinessError("not_found", _("记录不存在"), status=404)
        store_id = store.pk
    else:
        store_id = customer.store_id
    if not _works_in(by, store_id):
        raise BusinessError("store_forbidden", _("您不在该门店工作,不能在此记录"), status=403)
    return store_id


def _money_or_none(value, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = to_money(value if isinstance(value, Decimal) else Decimal(str(value)))
    except (InvalidOperation, TypeError, ValueError):
        raise BusinessError(
            "invalid_input", _("金额格式不正确"), fields={field: [_("请输入正确的金额")]}
        ) from None
    if amount < 0:
        raise BusinessError(
            "invalid_input", _("金额不能为负数"), fields={field: [_("金额不能为负数")]}
        )
    return amount


def _text(value) -> str:
    return (value or "").strip()


def _unknown(fields: dict, allowed: tuple[str, ...]) -> None:
    extra = set(fields) - set(allowed)
    if extra:
        raise TypeError(f"unknown fields: {sorted(extra)}")


# --- consultations (咨询记录) ----------------------------------------------------------------------
def _clean_consultation(fields: dict) -> dict:
    _unknown(fields, CONSULTATION_FIELDS)
    values = {}
    for name, value in fields.items():
        if name == "quoted_amount":
            values[name] = _money_or_none(value, name)
        elif name == "next_contact_on":
            if value is not None and not isinstance(value, date):
                raise TypeError("next_contact_on must be a date")
            values[name] = value
        else:
            values[name] = _text(value)
    return values


def _check_consultation_editable(consultation: Consultation, by: Staff) -> None:
    if consultation.status == Consultation.Status.FINAL:
        raise BusinessError("consultation_final", _("已完成的咨询记录不能再修改"))
    is_author = consultation.consultant_id == by.pk
    is_store_manager = by.role == policy.MANAGER and _works_in(by, consultation.store_id)
    if not (is_author or is_store_manager):
        raise BusinessError(
            "forbidden", _("只有接诊咨询师本人或店长可以修改这条咨询记录"), status=403
        )


@transaction.atomic
def start_consultation(
    customer: Customer, *, by: Staff, visit=None, store: Store | None = None, **fields
) -> Consultation:
    """Open a draft consultation record; the author is its consultant."""
    _require_role(by, "consultation.write")
    store_id = _store_of(customer, by=by, visit=visit, store=store)
    values = _clean_consultation(fields)
    consultation = Consultation.objects.create(
        org_id=customer.org_id,
        store_id=store_id,
        customer=customer,
        visit=visit,
        consultant=by,
        status=Consultation.Status.DRAFT,
        **values,
    )
    audit.record(by, "consultation.started", consultation, after=audit.snapshot(consultation))
    return consultation


@transaction.atomic
def save_consultation(consultation: Consultation, *, by: Staff, **fields) -> Consultation:
    """Save a draft (暂存); only its consultant or the store manager, never once final."""
    _require_role(by, "consultation.write")
    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    _check_consultation_editable(locked, by)
    values = _clean_consultation(fields)
    before = audit.snapshot(locked)
    for name, value in values.items():
        setattr(locked, name, value)
    locked.save()
    old, new = audit.changed(before, audit.snapshot(locked))
    audit.record(by, "consultation.saved", locked, before=old, after=new)
    return locked


@transaction.atomic
def finalize_consultation(
    consultation: Consultation, *, outcome: str, by: Staff, **fields
) -> Consultation:
    """Complete a consultation: demands and notes written, one of the three outcomes chosen,
    and for 'book another day' the date fixed."""
    _require_role(by, "consultation.write")
    locked = (
        Consultation.objects.select_for_update(of=("self",))
        .select_related("store")
        .get(pk=consultation.pk)
    )
    _check_consultation_editable(locked, by)
    values = _clean_consultation(fields)
    before = audit.snapshot(locked)
    for name, value in values.items():
        setattr(locked, name, value)
    errors: dict[str, list] = {}
    if not locked.demands:
        errors["demands"] = [_("请填写求美诉求")]
    if not locked.notes:
        errors["notes"] = [_("请填写咨询记录")]
    if outcome not in {Outcome.TREAT_TODAY, Outcome.BOOK_LATER, Outcome.THINK_OVER}:
        errors["outcome"] = [_("请选择咨询结果")]
    if outcome == Outcome.BOOK_LATER and locked.next_contact_on is None:
        errors["next_contact_on"] = [_("预约改天时请填写约定的日期")]
    if locked.next_contact_on and locked.next_contact_on < store_today(locked.store):
        errors["next_contact_on"] = [_("日期不能早于今天")]
    if errors:
        raise BusinessError(
            "consultation_incomplete", _("咨询记录还不完整,不能完成"), fields=errors
        )
    locked.outcome = outcome
    locked.status = Consultation.Status.FINAL
    locked.finalized_at = timezone.now()
    locked.save()
    old, new = audit.changed(before, audit.snapshot(locked))
    audit.record(by, "consultation.finalized", locked, before=old, after=new)
    return locked


# --- diagnoses (面诊) ------------------------------------------------------------------------------
def _clean_diagnosis(fields: dict) -> dict:
    _unknown(fields, DIAGNOSIS_FIELDS)
    values = {}
    for name, value in fields.items():
        if name == "plan_price_amount":
            values[name] = _money_or_none(value, name)
        else:
            values[name] = _text(value)
    if "findings" in values and not values["findings"]:
        raise BusinessError(
            "invalid_input", _("请填写面诊所见"), fields={"findings": [_("请填写面诊所见")]}
        )
    if values.get("outcome", "") not in Outcome.values:
        raise BusinessError(
            "invalid_input", _("结果选项不正确"), fields={"outcome": [_("结果选项不正确")]}
        )
    if len(values.get("plan_duration", "")) > 100:
        raise BusinessError(
            "invalid_input",
            _("疗程/时间过长"),
            fields={"plan_duration": [_("最多100个字")]},
        )
    return values


@transaction.atomic
def record_diagnosis(
    customer: Customer,
    *,
    by: Staff,
    visit=None,
    store: Store | None = None,
    findings: str,
    skin_analysis: str = "",
    plan_items: str = "",
    plan_effect: str = "",
    plan_price_amount=None,
    plan_duration: str = "",
    outcome: str = "",
) -> Diagnosis:
    """A doctor records the face-to-face diagnosis and the treatment plan (effect, price, time)."""
    _require_role(by, "diagnosis.write")
    store_id = _store_of(customer, by=by, visit=visit, store=store)
    values = _clean_diagnosis(
        {
            "findings": findings,
            "skin_analysis": skin_analysis,
            "plan_items": plan_items,
            "plan_effect": plan_effect,
            "plan_price_amount": plan_price_amount,
            "plan_duration": plan_duration,
            "outcome": outcome,
        }
    )
    diagnosis = Diagnosis.objects.create(
        org_id=customer.org_id,
        store_id=store_id,
        customer=customer,
        visit=visit,
        doctor=by,
        **values,
    )
    audit.record(by, "diagnosis.recorded", diagnosis, after=audit.snapshot(diagnosis))
    return diagnosis


@transaction.atomic
def update_diagnosis(diagnosis: Diagnosis, *, by: Staff, **fields) -> Diagnosis:
    """Correct a diagnosis: only its doctor, and only on the (store-local) day it was made."""
    _require_role(by, "diagnosis.write")
    locked = (
        Diagnosis.objects.select_for_update(of=("self",))
        .select_related("store")
        .get(pk=diagnosis.pk)
    )
    if locked.doctor_id != by.pk:
        raise BusinessError("forbidden", _("只有面诊医生本人可以修改面诊记录"), status=403)
    made_on = to_store_time(locked.store, locked.created_at).date()
    if made_on != store_today(locked.store):
        raise BusinessError("diagnosis_locked", _("面诊记录只能在当天修改"))
    values = _clean_diagnosis(fields)
    before = audit.snapshot(locked)
    for name, value in values.items():
        setattr(locked, name, value)
    locked.save()
    old, new = audit.changed(before, audit.snapshot(locked))
    audit.record(by, "diagnosis.updated", locked, before=old, after=new)
    return locked


# --- medical records (病历) ------------------------------------------------------------------------
def _require_medical_consent(customer: Customer) -> Consent:
    consent = current_medical_consent(customer)
    if consent is not None:
        # Lock it, so a withdrawal cannot slip in between the check and the write.
        consent = (
            Consent.objects.select_for_update()
            .filter(pk=consent.pk, withdrawn_at__isnull=True)
            .first()
        )
    if consent is None:
        raise BusinessError("consent_required", _("请先为客户登记医疗数据与照片使用知情同意书"))
    return consent


def _clean_sections(sections: dict) -> dict:
    _unknown(sections, MEDICAL_RECORD_SECTIONS)
    return {name: _text(value) for name, value in sections.items()}


def _check_required_sections(record: MedicalRecord) -> None:
    labels = {"chief_complaint": _("请填写主诉"), "diagnosis": _("请填写诊断")}
    errors = {name: [labels[name]] for name in REQUIRED_SECTIONS if not getattr(record, name)}
    if errors:
        raise BusinessError("medical_record_incomplete", _("病历还不完整"), fields=errors)


@transaction.atomic
def create_medical_record(
    customer: Customer, *, by: Staff, visit=None, store: Store | None = None, **sections
) -> MedicalRecord:
    """A doctor writes a medical record (draft until signed); needs the customer's current
    medical-data consent, which the record keeps as its basis."""
    _require_role(by, "medical_record.write")
    store_id = _store_of(customer, by=by, visit=visit, store=store)
    consent = _require_medical_consent(customer)
    values = _clean_sections(sections)
    if not values.get("allergy_history"):
        # The allergies known on the profile are carried into the record, never dropped silently.
        values["allergy_history"] = customer.allergies.strip()
    record = MedicalRecord(
        org_id=customer.org_id,
        store_id=store_id,
        customer=customer,
        visit=visit,
        doctor=by,
        consent=consent,
        status=MedicalRecord.Status.DRAFT,
        **values,
    )
    _check_required_sections(record)
    record.save()
    audit.record(by, "medical_record.created", record, after=audit.snapshot(record))
    return record


def _lock_draft_of(record: MedicalRecord, by: Staff) -> MedicalRecord:
    locked = MedicalRecord.objects.select_for_update().get(pk=record.pk)
    if locked.status != MedicalRecord.Status.DRAFT:
        raise BusinessError("medical_record_signed", _("病历已签署,不能修改,请添加补充说明"))
    if locked.doctor_id != by.pk:
        raise BusinessError("forbidden", _("只有书写病历的医生本人可以修改或签署"), status=403)
    return locked


@transaction.atomic
def update_medical_record(record: MedicalRecord, *, by: Staff, **sections) -> MedicalRecord:
    """Edit a draft record; only its doctor. A signed record is never edited."""
    _require_role(by, "medical_record.write")
    locked = _lock_draft_of(record, by)
    values = _clean_sections(sections)
    before = audit.snapshot(locked)
    for name, value in values.items():
        setattr(locked, name, value)
    _check_required_sections(locked)
    locked.save()
    old, new = audit.changed(before, audit.snapshot(locked))
    audit.record(by, "medical_record.updated", locked, before=old, after=new)
    return locked


@transaction.atomic
def sign_medical_record(record: MedicalRecord, *, by: Staff) -> MedicalRecord:
    """The doctor signs the record; from then on it only takes addenda."""
    _require_role(by, "medical_record.write")
    locked = _lock_draft_of(record, by)
    _check_required_sections(locked)
    locked.status = MedicalRecord.Status.SIGNED
    locked.signed_at = timezone.now()
    locked.save(update_fields=["status", "signed_at", "updated_at"])
    audit.record(
        by,
        "medical_record.signed",
        locked,
        before={"status": MedicalRecord.Status.DRAFT},
        after={"status": locked.status, "signed_at": locked.signed_at.isoformat()},
    )
    return locked


@transaction.atomic
def add_addendum(record: MedicalRecord, *, text: str, by: Staff) -> MedicalRecordAddendum:
    """Correct or complete a signed record by a dated, signed addendum (补充说明)."""
    _require_role(by, "medical_record.write")
    locked = MedicalRecord.objects.select_for_update().get(pk=record.pk)
    if locked.status != MedicalRecord.Status.SIGNED:
        raise BusinessError("medical_record_not_signed", _("病历尚未签署,请直接修改病历"))
    text = _text(text)
    if not text:
        raise BusinessError(
            "invalid_input", _("请填写补充说明"), fields={"text": [_("请填写补充说明")]}
        )
    addendum = MedicalRecordAddendum.objects.create(record=locked, doctor=by, text=text)
    audit.record(
        by,
        "medical_record.addendum_added",
        locked,
        after={"addendum_id": addendum.pk, "text": text},
    )
    return addendum


def note_medical_record_read(record: MedicalRecord, *, by: Staff) -> None:
    """Who read which medical record is logged (every detail page and API read)."""
    audit.record_read(by, "medical_record.read", record)


# --- photos ----------------------------------------------------------------------------------------
# Decoded format -> (content type, file extension). HEIF only when a Pillow plugin provides it.
PHOTO_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "HEIF": ("image/heic", "heic"),
}


def _size_label(n: int) -> str:
    mb = 1024 * 1024
    return f"{n // mb}MB" if n >= mb else f"{max(n // 1024, 1)}KB"


def photo_size_limit_label() -> str:
    return _size_label(settings.PHOTO_MAX_BYTES)


def _not_an_image() -> BusinessError:
    return BusinessError(
        "photo_not_image", _("不是有效的图片文件"), fields={"file": [_("不是有效的图片文件")]}
    )


def _inspect_image(data: bytes) -> tuple[str, int, int]:
    """Decode the bytes with Pillow (not trusting the name or the client's content type):
    the format, width and height. Decompression bombs and undecodable files are refused."""
    Image.init()
    formats = [name for name in PHOTO_FORMATS if name in Image.OPEN]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(BytesIO(data), formats=formats) as image:
                image.verify()
            with Image.open(BytesIO(data), formats=formats) as image:
                fmt, (width, height) = image.format, image.size
                image.load()  # verify() does not decode the pixels; a truncated file fails here
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise BusinessError(
                "photo_too_many_pixels",
                _("图片像素过大"),
                fields={"file": [_("图片像素过大")]},
            ) from None
        except Exception:  # Pillow raises many kinds (OSError, SyntaxError, ValueError …)
            raise _not_an_image() from None
    if fmt not in PHOTO_FORMATS:
        raise _not_an_image()
    return fmt, width, height


@transaction.atomic
def upload_photo(
    customer: Customer,
    *,
    by: Staff,
    file,
    kind: str,
    visit=None,
    store: Store | None = None,
    body_area: str = "",
    note: str = "",
) -> Photo:
    """Store a before/after photo under MEDIA_ROOT with a random name; needs the current medical
    consent and a real JPEG/PNG/WEBP image within PHOTO_MAX_BYTES. The original bytes are kept
    unchanged (a medical record); nothing is read from its EXIF."""
    _require_role(by, "photo.upload")
    store_id = _store_of(customer, by=by, visit=visit, store=store)
    if kind not in Photo.Kind.values:
        raise BusinessError(
            "invalid_input", _("照片类型不正确"), fields={"kind": [_("照片类型不正确")]}
        )
    consent = _require_medical_consent(customer)
    body_area, note = _text(body_area), _text(note)
    if len(body_area) > 50 or len(note) > 200:
        raise BusinessError("invalid_input", _("部位或备注过长"))
    limit = settings.PHOTO_MAX_BYTES
    too_large = BusinessError(
        "photo_too_large",
        _("文件过大(最大%(size)s)") % {"size": _size_label(limit)},
        fields={"file": [_("文件过大(最大%(size)s)") % {"size": _size_label(limit)}]},
    )
    if file.size is not None and file.size > limit:
        raise too_large
    file.seek(0)
    data = file.read(limit + 1)
    if len(data) > limit:
        raise too_large
    if not data:
        raise _not_an_image()
    fmt, width, height = _inspect_image(data)
    content_type, extension = PHOTO_FORMATS[fmt]
    photo = Photo(
        org_id=customer.org_id,
        store_id=store_id,
        customer=customer,
        visit=visit,
        consent=consent,
        kind=kind,
        body_area=body_area,
        note=note,
        content_type=content_type,
        size_bytes=len(data),
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=by,
    )
    # A random name: nothing about the customer appears in the path.
    photo.file.save(f"{uuid.uuid4().hex}.{extension}", ContentFile(data), save=False)
    try:
        photo.save()
        audit.record(by, "photo.uploaded", photo, after=audit.snapshot(photo))
    except BaseException:
        photo.file.storage.delete(photo.file.name)
        raise
    return photo


def note_photo_read(photo: Photo, *, by: Staff) -> None:
    audit.record_read(by, "photo.read", photo)
