"""API shapes of follow-up rules, tasks and medical-advice templates (In/Out pairs). Phones are
always masked; the rules live in yanzhi.followups.services."""

from datetime import datetime

from ninja import Schema

from yanzhi.core.validators import mask_phone


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


class NodeIn(Schema):
    label: str = ""
    offset_value: int
    offset_unit: str
    owner_role: str
    channel: str
    script: str


class NodeOut(NodeIn):
    id: int


class RuleIn(Schema):
    name: str
    trigger: str
    store_id: int | None = None
    wait_days: int = 0
    is_active: bool = True
    deal_statuses: list[str] = []
    last_visit_types: list[str] = []
    activities: list[str] = []
    has_allergy: bool | None = None
    has_arrears: bool | None = None
    dates: list[str] = []
    item_ids: list[int] = []
    department_ids: list[int] = []
    nodes: list[NodeIn] = []


class RuleOut(Schema):
    id: int
    name: str
    trigger: str
    store_id: int | None
    wait_days: int
    is_active: bool
    deal_statuses: list[str]
    last_visit_types: list[str]
    activities: list[str]
    has_allergy: bool | None
    has_arrears: bool | None
    dates: list[str]
    item_ids: list[int]
    department_ids: list[int]
    nodes: list[NodeOut]

    @staticmethod
    def resolve_item_ids(obj) -> list[int]:
        return [item.pk for item in obj.items.all()]

    @staticmethod
    def resolve_department_ids(obj) -> list[int]:
        return [d.pk for d in obj.departments.all()]

    @staticmethod
    def resolve_nodes(obj):
        return list(obj.nodes.all())


class RulePage(Schema):
    count: int
    items: list[RuleOut]


class TaskOut(Schema):
    id: int
    store_id: int
    customer: CustomerRef
    kind: str
    rule_id: int | None
    cause: str
    title: str
    channel: str
    owner_role: str
    owner: Ref
    owner_note: str
    script: str
    due_at: datetime
    status: str
    item: Ref | None
    execution_id: int | None
    outcome: str
    satisfaction: int | None
    dissatisfaction_reason: str
    notes: str
    attempt_count: int
    completed_at: datetime | None
    completed_by_id: int | None
    next_appointment_id: int | None
    abnormal: bool
    abnormal_description: str
    escalated_from_id: int | None


class TaskPage(Schema):
    count: int
    items: list[TaskOut]


class CompleteIn(Schema):
    outcome: str
    satisfaction: int | None = None
    dissatisfaction_reason: str = ""
    notes: str = ""
    abnormal: bool = False
    abnormal_description: str = ""
    next_appointment_at: datetime | None = None
    next_appointment_purpose: str = "checkup"


class AdviceIn(Schema):
    item_id: int
    text: str
    is_active: bool = True


class AdviceOut(Schema):
    id: int
    item: Ref
    text: str
    is_active: bool
    updated_at: datetime


class AdvicePage(Schema):
    count: int
    items: list[AdviceOut]
