"""The tables the history builder fills, with their columns in the order its rows give them.
`check_columns` compares each list with the model's concrete fields, so a model that gains a
field makes the generator fail loudly instead of writing rows without it."""

from dataclasses import dataclass

from django.db import models

from yanzhi.customers.models import (
    Consent,
    Customer,
    CustomerStoreLink,
    CustomerSummary,
    MembershipLevelChange,
)
from yanzhi.followups.models import FollowupAttempt, FollowupTask
from yanzhi.inventory.models import StockLevel, StockMove, StockReceipt
from yanzhi.sales.models import Order, OrderLine, Payment, StoredValueCard, StoredValueLedger
from yanzhi.scheduling.models import Appointment
from yanzhi.treatments.models import Entitlement, EntitlementLedger, Execution
from yanzhi.visits.models import Visit


@dataclass(frozen=True)
class Table:
    model: type[models.Model] | None
    name: str
    columns: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.name


def table(model, columns: str, name: str | None = None) -> Table:
    return Table(model, name or model._meta.db_table, tuple(columns.split()))


CUSTOMER = table(
    Customer,
    """id org_id store_id member_no name salutation gender birth_date phone phone_verified_at
    id_card source_channel_id referrer_id consultant_id online_consultant_id doctor_id allergies
    notes marketing_consent member_level_id member_level_since rolling_spend_amount phone_tail
    name_pinyin name_initials created_by_id created_at updated_at name_rest tag_keys""",
)
CUSTOMER_TAGS = table(None, "id customer_id tag_id", name=Customer.tags.through._meta.db_table)
SUMMARY = table(
    CustomerSummary,
    """customer_id org_id store_id visit_count first_visit_at last_visit_at last_visit_type
    deal_count first_deal_at second_deal_at last_deal_at total_spend_amount arrears_amount
    open_course_count last_active_at activity activity_since day_start_on day_start_tags
    updated_at""",
)
# The search keys copied from the customer come last (run._make_unique rewrites phone_tail).
STORE_LINK = table(
    CustomerStoreLink,
    """id org_id customer_id store_id created_at activity last_visit_type deal_count has_arrears
    customer_created_at member_level_id source_channel_id consultant_id online_consultant_id
    phone_verified has_allergy tag_keys name name_rest name_pinyin name_initials phone_tail""",
)
LEVEL_CHANGE = table(
    MembershipLevelChange,
    """id org_id customer_id from_level_id to_level_id rolling_spend_amount window_months reason
    by_id changed_at""",
)
CONSENT = table(
    Consent,
    """id org_id customer_id document_id kind method granted_at recorded_by_id withdrawn_at
    withdrawn_by_id note""",
)
APPOINTMENT = table(
    Appointment,
    """id org_id store_id customer_id purpose starts_at ends_at doctor_id consultant_id room_id
    items note status booked_by_id arrived_at cancelled_at cancel_reason created_at updated_at""",
)
VISIT = table(
    Visit,
    """id org_id store_id customer_id appointment_id day visit_type proposed_visit_type
    type_confirmed_by_id type_confirmed_at status consultant_id doctor_id triaged_at arrived_at
    escorted_at diagnosed_at treated_at post_care_at left_at left_automatically registered_by_id
    note created_at updated_at customer_channel_id""",
)
ORDER = table(
    Order,
    """id org_id store_id customer_id visit_id consultant_id order_no order_type sales_channel_id
    status list_amount discount_amount payable_amount paid_amount refunded_amount arrears_amount
    is_deal approval_status deal_definition_id business_date submitted_at paid_at note
    created_by_id created_at updated_at online_consultant_id customer_channel_id deal_number""",
)
ORDER_LINE = table(
    OrderLine,
    """id order_id item_id kind quantity unit_price_amount discount_amount amount
    refunded_quantity refunded_amount promotion_id list_price_amount""",
)
CARD = table(
    StoredValueCard,
    """id org_id customer_id item_id store_id source_line_id card_no original_amount
    balance_amount expires_on status created_at updated_at""",
)
PAYMENT = table(
    Payment,
    """id org_id store_id order_id method amount refund_of_id card_id coupon_id deposit_id
    request_id business_date by_id created_at consultant_id online_consultant_id doctor_id
    customer_channel_id""",
)
CARD_LEDGER = table(
    StoredValueLedger,
    "id org_id card_id delta balance_after reason payment_id note by_id created_at",
)
ENTITLEMENT = table(
    Entitlement,
    """id org_id store_id customer_id item_id source_line_id source_kind total_sessions
    remaining_sessions unit_value_amount expires_on status created_at""",
)
ENTITLEMENT_LEDGER = table(
    EntitlementLedger,
    "id entitlement_id delta remaining_after reason reference by_id created_at",
)
EXECUTION = table(
    Execution,
    """id org_id store_id customer_id entitlement_id item_id sessions performed_by_id
    assistant_id visit_id device energy dose injection_sites lot_no notes customer_confirmed_at
    confirmation_method business_date created_at consultant_id online_consultant_id
    value_amount""",
)
TASK = table(
    FollowupTask,
    """id org_id store_id customer_id kind rule_id node_id cause title channel owner_role
    owner_id owner_note script due_at first_due_at status item_id execution_id source_line_id
    outcome satisfaction dissatisfaction_reason notes attempt_count completed_at completed_by_id
    cancelled_at cancel_reason next_appointment_id abnormal abnormal_description
    escalated_from_id created_at updated_at""",
)
ATTEMPT = table(FollowupAttempt, "id org_id store_id task_id by_id outcome attempted_at")
RECEIPT = table(StockReceipt, "id org_id store_id warehouse_id business_date note by_id created_at")
STOCK_MOVE = table(
    StockMove,
    """id org_id store_id warehouse_id item_id kind delta quantity_after went_negative lot_no
    expires_on unit_cost_amount business_date reference note by_id created_at""",
)
STOCK_LEVEL = table(StockLevel, "id org_id warehouse_id item_id quantity updated_at")

# Written per chunk, parents before children (foreign keys are checked at commit anyway).
HISTORY_TABLES = (
    CUSTOMER,
    CUSTOMER_TAGS,
    SUMMARY,
    STORE_LINK,
    LEVEL_CHANGE,
    CONSENT,
    APPOINTMENT,
    VISIT,
    ORDER,
    ORDER_LINE,
    CARD,
    PAYMENT,
    CARD_LEDGER,
    ENTITLEMENT,
    ENTITLEMENT_LEDGER,
    EXECUTION,
    TASK,
    ATTEMPT,
)
STOCK_TABLES = (RECEIPT, STOCK_MOVE, STOCK_LEVEL)
ALL_TABLES = HISTORY_TABLES + STOCK_TABLES


def check_columns() -> None:
    """Every table lists exactly its model's columns."""
    for t in ALL_TABLES:
        if t.model is None:
            continue
        expected = {f.column for f in t.model._meta.concrete_fields}
        given = set(t.columns)
        if expected != given or len(given) != len(t.columns):
            raise AssertionError(
                f"{t.name}: columns differ from the model: missing {sorted(expected - given)}, "
                f"unknown {sorted(given - expected)}"
            )


def has_id(t: Table) -> bool:
    return t.columns[0] == "id"
