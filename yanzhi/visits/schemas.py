"""API shapes for visits. Phones are always masked here."""

from datetime import date, datetime
from typing import Literal

from ninja import Schema

from yanzhi.core.validators import mask_phone

VisitTypeValue = Literal["first", "return", "in_course", "checkup", "repurchase"]
StageValue = Literal["escorted", "diagnosed", "treated", "post_care"]


class PersonOut(Schema):
    id: int
    name: str


class VisitCustomerOut(Schema):
    id: int
    name: str
    member_no: str
    phone: str
    phone_verified: bool
    allergies: str

    @staticmethod
    def resolve_phone(obj):
        return mask_phone(obj.phone)


class VisitOut(Schema):
    id: int
    store_id: int
    store_name: str
    customer: VisitCustomerOut
    appointment_id: int | None
    day: date
    visit_type: str
    visit_type_label: str
    proposed_visit_type: str
    type_confirmed_by_id: int | None
    type_confirmed_at: datetime | None
    status: str
    consultant: PersonOut | None
    doctor: PersonOut | None
    triaged_at: datetime | None
    arrived_at: datetime
    escorted_at: datetime | None
    diagnosed_at: datetime | None
    treated_at: datetime | None
    post_care_at: datetime | None
    left_at: datetime | None
    left_automatically: bool
    note: str

    @staticmethod
    def resolve_store_name(obj):
        return obj.store.name

    @staticmethod
    def resolve_visit_type_label(obj):
        return str(obj.get_visit_type_display())


class QueueEntryOut(VisitOut):
    booked: bool
    waiting_minutes: int
    waits_long: bool

    @staticmethod
    def resolve_booked(obj):
        return obj.appointment_id is not None


class VisitPage(Schema):
    count: int
    items: list[VisitOut]


class VisitIn(Schema):
    store_id: int | None = None
    customer_id: int | None = None
    # Instead of customer_id: the customer's full phone number (a customer of another store).
    phone: str | None = None
    appointment_id: int | None = None
    arrived_at: datetime | None = None
    visit_type: VisitTypeValue | None = None
    note: str = ""


class VisitTypeIn(Schema):
    visit_type: VisitTypeValue


class TriageIn(Schema):
    consultant_id: int | None = None
    doctor_id: int | None = None


class StageIn(Schema):
    stage: StageValue
    at: datetime | None = None


class LeaveIn(Schema):
    at: datetime | None = None


class ProposalOut(Schema):
    customer_id: int
    store_id: int
    appointment_id: int | None
    visit_type: str
    visit_type_label: str


class AppointmentTodayOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    purpose: str
    customer: VisitCustomerOut
    doctor: PersonOut | None
    consultant: PersonOut | None
    visit_id: int | None

    @staticmethod
    def resolve_visit_id(obj):
        visit = getattr(obj, "visit", None) if hasattr(obj, "visit") else None
        return visit.pk if visit else None


class TodayCounts(Schema):
    appointments: int
    booked_waiting: int
    visits: int
    waiting: int
    in_service: int
    left: int


class TodayOut(Schema):
    store_id: int
    day: date
    sections: list[str]
    appointments: list[AppointmentTodayOut]
    queue: list[QueueEntryOut]
    visits: list[VisitOut]
    mine: list[VisitOut] | None
    counts: TodayCounts | None
