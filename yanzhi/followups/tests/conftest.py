"""Follow-up fixtures: the default rules installed for the chain, a surgery item (整形外科) and an
injection item (微整科) sold in store A, a customer of consultant 张敏 and helpers to sell and
execute. The clock is set per test with `at(...)` (time_machine, not ticking), so due times are
exact."""

from decimal import Decimal

import pytest
import time_machine

from yanzhi.catalog.models import Item, StoreItem
from yanzhi.customers.tests.factories import make_customer
from yanzhi.followups.services import install_default_rules
from yanzhi.org.models import Department
from yanzhi.sales import services as sales
from yanzhi.sales.services import PaymentLine
from yanzhi.treatments.models import Entitlement
from yanzhi.treatments.services import execute_session


@pytest.fixture
def at():
    """at("2026-03-16 10:00") moves the clock to that Shanghai time (and keeps it there)."""
    travellers = []

    def move(moment: str):
        for traveller in travellers:
            traveller.stop()
        travellers.clear()
        traveller = time_machine.travel(f"{moment}:00+08:00", tick=False)
        traveller.start()
        travellers.append(traveller)

    move("2026-03-16 10:00")
    yield move
    for traveller in travellers:
        traveller.stop()


@pytest.fixture
def departments(chain):
    return {
        name: Department.objects.create(org=chain, name=name)
        for name in ("整形外科", "微整科", "皮肤科")
    }


@pytest.fixture
def rules(chain, departments, at):
    return {rule.default_key: rule for rule in install_default_rules(chain)}


def make_service(org, code, name, price, department, *stores):
    item = Item.objects.create(
        org=org,
        kind=Item.Kind.SERVICE,
        code=code,
        name=name,
        price_amount=Decimal(price),
        department=department,
        order_type="医美",
    )
    for store in stores:
        StoreItem.objects.create(org_id=org.pk, store=store, item=item)
    return item


@pytest.fixture
def eyelid(chain, store_a, departments):
    """双眼皮: a surgery (整形外科)."""
    return make_service(chain, "OP01", "双眼皮", "12800.00", departments["整形外科"], store_a)


@pytest.fixture
def facial(chain, store_a, departments):
    """A skin-care facial (皮肤科): no post-op rule applies."""
    return make_service(chain, "SK01", "清洁护理", "380.00", departments["皮肤科"], store_a)


@pytest.fixture
def customer(store_a, store_a_consultant):
    return make_customer(
        store_a,
        name="赵丽",
        phone="13911112222",
        consultant=store_a_consultant,
        salutation="赵女士",
    )


@pytest.fixture
def staff_a(store_a_manager, store_a_consultant, store_a_doctor, store_a_nurse, store_a_service):
    """Everyone store A's follow-ups need, present."""
    return {
        "manager": store_a_manager,
        "consultant": store_a_consultant,
        "doctor": store_a_doctor,
        "nurse": store_a_nurse,
        "service": store_a_service,
    }


@pytest.fixture
def sell(store_a, store_a_consultant, store_a_cashier):
    """sell(customer, item, quantity=1) -> the paid order (cash)."""

    def make(customer, item, quantity=1):
        order = sales.open_order(
            customer,
            store=store_a,
            by=store_a_consultant,
            lines=[(item.pk, quantity, 0)],
            order_type="医美",
        )
        order = sales.submit_order(order, by=store_a_consultant)
        return sales.pay_order(
            order, payments=[PaymentLine("cash", order.payable_amount)], by=store_a_cashier
        )

    return make


@pytest.fixture
def execute():
    """execute(order, by=doctor) -> the execution of one session of the order's first line."""

    def make(order, *, by, assistant=None):
        line = order.lines.get()
        entitlement = Entitlement.objects.filter(source_line_id=line.pk).order_by("pk").first()
        return execute_session(entitlement, by=by, assistant=assistant)

    return make
