"""Attribution kept on the fact rows (docs/reports.md, "Attribution"): whom an execution or a
payment counts for is decided when it happens, corrected where the clinic corrects the cause
(a visit triaged to another doctor), and the migration's backfill derives the same values."""

from decimal import Decimal
from importlib import import_module

from django.db import connection

from yanzhi.core.backfill import by_id_ranges
from yanzhi.customers import services as customer_services
from yanzhi.org.tests.factories import make_staff
from yanzhi.reports import queries
from yanzhi.reports.tests.conftest import at
from yanzhi.reports.tests.test_figures import by, run
from yanzhi.sales import services as sales
from yanzhi.sales.models import Order, Payment
from yanzhi.sales.services import PaymentLine
from yanzhi.treatments.models import Entitlement, Execution
from yanzhi.treatments.services import execute_session
from yanzhi.visits import services as visits
from yanzhi.visits.models import Visit

D = Decimal


def test_a_handover_does_not_move_past_treatments(
    world, store_a_manager, store_a_consultant, store_a_consultant_2, store_a_doctor
):
    # given 王一's course has a session left and the world's session counts for 张敏
    wang = world.customers[0]
    course = Entitlement.objects.get(customer=wang, remaining_sessions=1)
    # when 王一 is handed over to consultant 2 and a second session is performed
    customer_services.update_customer(wang, by=store_a_manager, consultant=store_a_consultant_2)
    second = execute_session(course, by=store_a_doctor)
    # then the first session still counts for 张敏, the second for consultant 2
    assert second.consultant_id == store_a_consultant_2.pk
    assert second.value_amount == D("1000.00")  # ¥2,000 course of two sessions
    rows = by(run(queries.performance_report, store_a_manager).tables[0].rows, "pk")
    assert rows[store_a_consultant.pk]["treatments"] == 1
    assert rows[store_a_consultant_2.pk]["treatments"] == 1


def test_money_counts_for_the_doctor_the_visit_was_triaged_to(
    world, chain, store_a, store_a_manager, store_a_front_desk, store_a_cashier, store_a_doctor
):
    # given 钱四 arrives, is triaged to the doctor, and pays ¥1,000 on the visit
    qian = world.customers[3]
    other = make_staff(chain, "doctor", [store_a], name="李医生", username="doctor_li")
    visit = visits.register_arrival(
        store_a, customer=qian, by=store_a_front_desk, arrived_at=at("2026-03-16", "16:00")
    )
    visit = visits.triage(visit, doctor=store_a_doctor, by=store_a_front_desk)
    order = sales.open_order(
        qian, store=store_a, by=store_a_manager, lines=[(world.hydra.pk, 1, 0)], visit=visit
    )
    order = sales.submit_order(order, by=store_a_manager)
    sales.pay_order(order, payments=[PaymentLine("cash", D("1000"))], by=store_a_cashier)
    before = by(run(queries.doctor_report, store_a_manager).tables[0].rows, "pk")
    assert before[store_a_doctor.pk]["received_amount"] == D("2500.00")  # o1's 1,500 + 1,000
    # when the visit is triaged to the other doctor
    visits.triage(Visit.objects.get(pk=visit.pk), doctor=other, by=store_a_front_desk)
    # then the money taken on it follows; o1's stays with the doctor of o1's visit
    after = by(run(queries.doctor_report, store_a_manager).tables[0].rows, "pk")
    assert after[store_a_doctor.pk]["received_amount"] == D("1500.00")
    assert after[other.pk]["received_amount"] == D("1000.00")


def test_a_refund_counts_against_whom_the_payment_counted_for(world):
    refunds = Payment.objects.filter(refund_of__isnull=False).select_related("refund_of")
    assert refunds.count() == 2  # o3's cash and stored value
    for refund in refunds:
        original = refund.refund_of
        assert (refund.consultant_id, refund.online_consultant_id, refund.doctor_id) == (
            original.consultant_id,
            original.online_consultant_id,
            original.doctor_id,
        )
        assert refund.consultant_id is not None


def test_deals_are_numbered_per_customer(world):
    orders = world.orders
    # 王一: o0 (February) then o1; 赵三: o2 then o3; 李二: o4
    got = {name: Order.objects.get(pk=o.pk).deal_number for name, o in orders.items()}
    assert got == {"o0": 1, "o1": 2, "o2": 1, "o3": 2, "o4": 1}


class _Editor:
    """What a RunPython function receives, for running a migration's backfill directly."""

    connection = connection


def test_the_migration_backfill_derives_what_the_services_wrote(world):
    # given the rows as the services wrote them
    columns = {
        Execution: ["consultant_id", "online_consultant_id", "value_amount"],
        Payment: ["consultant_id", "online_consultant_id", "doctor_id", "customer_channel_id"],
        Order: ["online_consultant_id", "customer_channel_id", "deal_number"],
        Visit: ["customer_channel_id"],
    }
    written = {m: sorted(m.objects.values_list("pk", *cols)) for m, cols in columns.items()}
    # when the columns are emptied and the migrations' backfills run (in small ranges)
    Execution.objects.update(consultant=None, online_consultant=None, value_amount=0)
    Payment.objects.update(consultant=None, online_consultant=None, doctor=None)
    Order.objects.update(online_consultant=None, deal_number=None)
    for module, table, names in (
        (
            "yanzhi.treatments.migrations.0002_fact_attribution",
            "treatments_execution",
            ["BACKFILL"],
        ),
        ("yanzhi.visits.migrations.0003_fact_attribution", "visits_visit", ["BACKFILL"]),
        ("yanzhi.sales.migrations.0007_fact_attribution", "sales_order", ["ORDERS"]),
        ("yanzhi.sales.migrations.0007_fact_attribution", "sales_payment", ["PAYMENTS"]),
    ):
        migration = import_module(module)
        for name in names:
            by_id_ranges(table, getattr(migration, name), batch=2)(None, _Editor())
    # then every column holds what the services wrote
    for model, cols in columns.items():
        assert sorted(model.objects.values_list("pk", *cols)) == written[model], model.__name__


def test_check_balances_finds_attribution_out_of_step(world, store_a_doctor):
    from yanzhi.core.balances import checks

    check = checks()["attribution"]
    assert list(check()) == []
    # when a payment's doctor and an execution's value are changed behind the services' back
    paid = Payment.objects.filter(doctor=store_a_doctor).order_by("pk").first()
    Payment.objects.filter(pk=paid.pk).update(doctor=None)
    Execution.objects.update(value_amount=D("1.00"))
    # then the check names both
    found = {row.key: (row.stored, row.recomputed) for row in check()}
    assert found[f"payment {paid.pk} doctor_id"] == (None, store_a_doctor.pk)
    execution = Execution.objects.get()
    assert found[f"execution {execution.pk} value_amount"][0] == D("1.00")
