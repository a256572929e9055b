"""API shapes of courses (entitlements) and executions (In/Out pairs). Money travels as strings
("1280.00"); phones never leave here unmasked; rules live in yanzhi.treatments.services."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from yanzhi.core.validators import mask_phone


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


class Ref(Schema):
    id: int
    name: str


class CustomerRef(Schema):
    id: int
    name: str
    masked_phone: str

    @staticmethod
    def resolve_masked_phone(obj) -> str:
        return mask_phone(obj.phone)


class EntitlementOut(Schema):
    id: int
    customer_id: int
    store_id: int
    item: Ref
    source_kind: str
    source_line_id: int | None
    total_sessions: int
    remaining_sessions: int
    unit_value_amount: str
    expires_on: date | None
    status: str
    created_at: datetime

    @staticmethod
    def resolve_unit_value_amount(obj) -> str:
        return _money(obj.unit_value_amount)


class EntitlementPage(Schema):
    count: int
    items: list[EntitlementOut]


class ExtendIn(Schema):
    new_expires_on: date
    reason: str = Field(..., max_length=200)


class MaterialIn(Schema):
    item_id: int
    quantity: Decimal
    lot_no: str = Field("", max_length=40)


class ExecutionIn(Schema):
    entitlement_id: int
    sessions: int = 1
    visit_id: int | None = None
    store_id: int | None = Field(None, description="without a visit: defaults to X-Store-Id")
    business_date: date | None = Field(None, description="default: the store's today")
    assistant_id: int | None = None
    device: str = Field("", max_length=100)
    energy: str = Field("", max_length=100)
    dose: str = Field("", max_length=100)
    injection_sites: str = Field("", max_length=200)
    lot_no: str = Field("", max_length=40, description="产品批号")
    notes: str = ""
    materials: list[MaterialIn] | None = Field(
        None, description="what was actually used; default: the service's configured materials"
    )


class MaterialOut(Schema):
    item: Ref
    quantity: Decimal
    warehouse: Ref
    lot_no: str


class ExecutionOut(Schema):
    id: int
    entitlement_id: int
    customer: CustomerRef
    store: Ref
    item: Ref
    sessions: int
    performed_by: Ref
    assistant: Ref | None
    visit_id: int | None
    device: str
    energy: str
    dose: str
    injection_sites: str
    lot_no: str
    notes: str
    business_date: date
    customer_confirmed_at: datetime | None
    confirmation_method: str
    created_at: datetime


class ExecutionDetailOut(ExecutionOut):
    materials: list[MaterialOut]

    @staticmethod
    def resolve_materials(obj) -> list:
        # an execution just written carries its materials as written (treatments.services)
        written = getattr(obj, "written_materials", None)
        return list(obj.materials.all()) if written is None else written


class ExecutionPage(Schema):
    count: int
    items: list[ExecutionOut]


class ConfirmIn(Schema):
    method: str = Field(..., description="signature (签字板) | sms (短信验证码) | in_person (当面)")


class LotCustomerOut(Schema):
    execution_id: int
    customer: CustomerRef
    business_date: date
    store: Ref
    item: Ref
    performed_by: Ref
    lot_no: str

    @staticmethod
    def resolve_execution_id(obj) -> int:
        return obj.pk


class LotCustomerPage(Schema):
    count: int
    items: list[LotCustomerOut]
