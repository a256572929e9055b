"""API shapes for rooms, shift types, the roster and appointments (In/Out pairs). Phones are
always masked; times of day are "HH:MM"."""

from datetime import date, datetime, time

from ninja import Field, Schema

from yanzhi.core.validators import mask_phone


class Ref(Schema):
    id: int
    name: str


class CustomerRef(Schema):
    id: int
    name: str
    phone: str = Field(description="masked, e.g. 138****5678")


class AppointmentOut(Schema):
    id: int
    store_id: int
    customer: CustomerRef
    purpose: str
    status: str
    starts_at: datetime
    ends_at: datetime
    doctor: Ref | None
    consultant: Ref | None
    room: Ref | None
    items: str
    note: str
    booked_by_id: int | None
    arrived_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str

    @staticmethod
    def from_model(a) -> dict:
        def ref(obj):
            return {"id": obj.pk, "name": obj.name} if obj is not None else None

        return {
            "id": a.pk,
            "store_id": a.store_id,
            "customer": {
                "id": a.customer_id,
                "name": a.customer.name,
                "phone": mask_phone(a.customer.phone),
            },
            "purpose": a.purpose,
            "status": a.status,
            "starts_at": a.starts_at,
            "ends_at": a.ends_at,
            "doctor": ref(a.doctor),
            "consultant": ref(a.consultant),
            "room": ref(a.room),
            "items": a.items,
            "note": a.note,
            "booked_by_id": a.booked_by_id,
            "arrived_at": a.arrived_at,
            "cancelled_at": a.cancelled_at,
            "cancel_reason": a.cancel_reason,
        }


class AppointmentPage(Schema):
    count: int
    items: list[AppointmentOut]


class AppointmentIn(Schema):
    store_id: int | None = Field(None, description="default: the caller's current store")
    customer_id: int
    starts_at: datetime = Field(description="ISO 8601; without an offset it is store-local time")
    ends_at: datetime
    purpose: str = "consultation"
    doctor_id: int | None = None
    consultant_id: int | None = None
    room_id: int | None = None
    items: str = Field("", max_length=200)
    note: str = Field("", max_length=300)


class RescheduleIn(Schema):
    starts_at: datetime
    ends_at: datetime
    doctor_id: int | None = None
    consultant_id: int | None = None
    room_id: int | None = None


class CancelIn(Schema):
    reason: str = Field(max_length=200)


class IntervalOut(Schema):
    start: str
    end: str


def intervals_out(intervals) -> list[dict]:
    return [{"start": f"{s:%H:%M}", "end": f"{e:%H:%M}"} for s, e in intervals]


class BusyOut(Schema):
    column_id: int | None
    starts_at: datetime
    ends_at: datetime


class DayColumnOut(Schema):
    id: int
    name: str
    working: list[IntervalOut]
    appointment_ids: list[int]


class DayViewOut(Schema):
    store_id: int
    day: date
    by: str
    opens_at: str
    closes_at: str
    columns: list[DayColumnOut]
    appointments: list[AppointmentOut] = Field(description="those the caller may open")
    busy: list[BusyOut] = Field(
        description="slots taken by appointments the caller may not open (no details)"
    )


class ShiftTypeIn(Schema):
    store_id: int | None = Field(None, description="omit for a chain-wide type (HQ only)")
    name: str = Field(max_length=30)
    starts_at: time
    ends_at: time
    is_rest: bool = False
    color: str = "#0d6efd"


class ShiftTypeOut(Schema):
    id: int
    store_id: int | None
    name: str
    starts_at: str
    ends_at: str
    is_rest: bool
    color: str

    @staticmethod
    def from_model(t) -> dict:
        return {
            "id": t.pk,
            "store_id": t.store_id,
            "name": t.name,
            "starts_at": f"{t.starts_at:%H:%M}",
            "ends_at": f"{t.ends_at:%H:%M}",
            "is_rest": t.is_rest,
            "color": t.color,
        }


class RosterIn(Schema):
    store_id: int | None = None
    staff_ids: list[int]
    days: list[date]
    shift_type_id: int


class RosterEntryOut(Schema):
    id: int
    store_id: int
    staff: Ref
    day: date
    shift_type_id: int
    shift_name: str
    starts_at: str
    ends_at: str
    is_rest: bool

    @staticmethod
    def from_model(e) -> dict:
        return {
            "id": e.pk,
            "store_id": e.store_id,
            "staff": {"id": e.staff_id, "name": e.staff.name},
            "day": e.day,
            "shift_type_id": e.shift_type_id,
            "shift_name": e.shift_type.name,
            "starts_at": f"{e.starts_at:%H:%M}",
            "ends_at": f"{e.ends_at:%H:%M}",
            "is_rest": e.is_rest,
        }


class RoomIn(Schema):
    store_id: int | None = None
    name: str = Field(max_length=50)
    kind: str = "room"
    department_id: int | None = None


class RoomOut(Schema):
    id: int
    store_id: int
    name: str
    kind: str
    department_id: int | None
    is_active: bool


class AvailabilityOut(Schema):
    staff_id: int
    store_id: int
    day: date
    working: list[IntervalOut]
