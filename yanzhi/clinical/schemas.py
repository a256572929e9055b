"""API shapes of consultations, diagnoses, medical records and photos (In/Out pairs).
Money travels as strings ("1280.00"); rules live in yanzhi.clinical.services."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


class StaffRef(Schema):
    id: int
    name: str


# --- consultations ---------------------------------------------------------------------------------
class ConsultationFieldsIn(Schema):
    demands: str | None = None
    concerns: str | None = None
    recommended_items: str | None = None
    quoted_amount: Decimal | None = Field(None, description='报价, e.g. "1280.00"')
    next_contact_on: date | None = None
    notes: str | None = None


class ConsultationIn(ConsultationFieldsIn):
    customer_id: int
    visit_id: int | None = None
    store_id: int | None = Field(None, description="without a visit: defaults to X-Store-Id")


class ConsultationPatchIn(ConsultationFieldsIn):
    pass


class FinalizeIn(ConsultationFieldsIn):
    outcome: str = Field(..., description="treat_today | book_later | think_over")


class ConsultationOut(Schema):
    id: int
    customer_id: int
    visit_id: int | None
    store_id: int
    consultant: StaffRef
    status: str
    demands: str
    concerns: str
    recommended_items: str
    quoted_amount: str | None
    outcome: str
    next_contact_on: date | None
    notes: str
    created_at: datetime
    updated_at: datetime
    finalized_at: datetime | None

    @staticmethod
    def resolve_quoted_amount(obj):
        return _money(obj.quoted_amount)


# --- diagnoses -------------------------------------------------------------------------------------
class DiagnosisFieldsIn(Schema):
    skin_analysis: str = ""
    plan_items: str = ""
    plan_effect: str = ""
    plan_price_amount: Decimal | None = None
    plan_duration: str = ""
    outcome: str = ""


class DiagnosisIn(DiagnosisFieldsIn):
    customer_id: int
    visit_id: int | None = None
    store_id: int | None = None
    findings: str


class DiagnosisPatchIn(Schema):
    findings: str | None = None
    skin_analysis: str | None = None
    plan_items: str | None = None
    plan_effect: str | None = None
    plan_price_amount: Decimal | None = None
    plan_duration: str | None = None
    outcome: str | None = None


class DiagnosisOut(Schema):
    id: int
    customer_id: int
    visit_id: int | None
    store_id: int
    doctor: StaffRef
    findings: str
    skin_analysis: str
    plan_items: str
    plan_effect: str
    plan_price_amount: str | None
    plan_duration: str
    outcome: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_plan_price_amount(obj):
        return _money(obj.plan_price_amount)


# --- medical records -------------------------------------------------------------------------------
class MedicalRecordSectionsIn(Schema):
    chief_complaint: str | None = Field(None, description="主诉")
    present_illness: str | None = Field(None, description="现病史")
    past_history: str | None = Field(None, description="既往史")
    allergy_history: str | None = Field(None, description="过敏史 (defaults to the customer's)")
    examination: str | None = Field(None, description="体格检查/专科检查")
    diagnosis: str | None = Field(None, description="诊断")
    treatment: str | None = Field(None, description="处置/治疗")
    advice: str | None = Field(None, description="医嘱")


class MedicalRecordIn(MedicalRecordSectionsIn):
    customer_id: int
    visit_id: int | None = None
    store_id: int | None = None


class MedicalRecordPatchIn(MedicalRecordSectionsIn):
    pass


class MedicalRecordTitleOut(Schema):
    """A list row: the title line only; the content is read (and logged) one record at a time."""

    id: int
    customer_id: int
    visit_id: int | None
    store_id: int
    doctor: StaffRef
    status: str
    diagnosis: str
    created_at: datetime
    signed_at: datetime | None


class AddendumIn(Schema):
    text: str


class AddendumOut(Schema):
    id: int
    doctor: StaffRef
    text: str
    created_at: datetime


class MedicalRecordOut(MedicalRecordTitleOut):
    consent_id: int
    chief_complaint: str
    present_illness: str
    past_history: str
    allergy_history: str
    examination: str
    treatment: str
    advice: str
    updated_at: datetime
    addenda: list[AddendumOut]

    @staticmethod
    def resolve_addenda(obj):
        return list(obj.addenda.all())


# --- photos ----------------------------------------------------------------------------------------
class PhotoOut(Schema):
    id: int
    customer_id: int
    visit_id: int | None
    store_id: int
    kind: str
    body_area: str
    note: str
    content_type: str
    size_bytes: int
    width: int
    height: int
    sha256: str
    uploaded_by: StaffRef
    created_at: datetime
    content_url: str

    @staticmethod
    def resolve_content_url(obj):
        return f"/api/v1/photos/{obj.pk}/content"
