"""Membership levels follow the rolling spend: payments move a customer up, refunds and time
(spend leaving the window) move them down; stored value and coupons are not spend; the daily
refresh is idempotent and batched."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from yanzhi.customers import membership as levels_config
from yanzhi.customers.models import Customer, MembershipLevel, MembershipLevelChange
from yanzhi.customers.tests.factories import make_customer
from yanzhi.sales import membership, services
from yanzhi.sales.services import PaymentLine
from yanzhi.sales.tests.conftest import assign, card_line, cash

pytestmark = pytest.mark.django_db


@pytest.fixture
def ladder(chain, hq_admin, customer):
    """普通会员 ¥0, 银卡 ¥1,000, 金卡 ¥5,000, 钻石 ¥20,000 (set up after the customer exists,
    who is levelled at once)."""
    made = {}
    for rank, (name, amount) in enumerate(
        [("普通会员", "0"), ("银卡", "1000"), ("金卡", "5000"), ("钻石", "20000")], start=1
    ):
        made[name] = levels_config.create_level(
            chain, name=name, min_spend_amount=amount, rank=rank, by=hq_admin
        )
    return made


def level_of(customer) -> tuple[str | None, Decimal]:
    customer = Customer.objects.select_related("member_level").get(pk=customer.pk)
    name = customer.member_level.name if customer.member_level else None
    return name, customer.rolling_spend_amount


# --- the rule ---------------------------------------------------------------------------------------
def test_window_start_is_the_day_after_the_same_date_n_months_ago():
    assert membership.window_start(date(2026, 3, 16), 12) == date(2025, 3, 17)
    assert membership.window_start(date(2026, 3, 31), 1) == date(2026, 3, 1)  # 28 Feb + 1
    assert membership.window_start(date(2024, 3, 31), 1) == date(2024, 3, 1)  # 29 Feb + 1
    assert membership.window_start(date(2026, 1, 15), 2) == date(2025, 11, 16)


thresholds = st.lists(
    st.decimals(min_value=0, max_value=100000, places=2), min_size=1, max_size=6, unique=True
)
spends = st.decimals(min_value=0, max_value=200000, places=2)


@given(thresholds, spends, spends)
def test_the_level_is_monotone_in_the_spend(amounts, spend, more):
    ladder = [MembershipLevel(name=str(a), min_spend_amount=a, rank=1) for a in sorted(amounts)]
    low, high = sorted([spend, more])
    reached_low = levels_config.level_for_spend(ladder, low)
    reached_high = levels_config.level_for_spend(ladder, high)
    floor = Decimal(-1)
    assert (reached_low.min_spend_amount if reached_low else floor) <= (
        reached_high.min_spend_amount if reached_high else floor
    )
    # and it is the highest threshold reached
    expected = max((a for a in amounts if a <= high), default=None)
    assert (reached_high.min_spend_amount if reached_high else None) == expected


# --- money moves ------------------------------------------------------------------------------------
def test_a_new_customer_starts_at_the_zero_level(ladder, store_a, store_a_front_desk):
    from yanzhi.customers.services import create_customer

    customer = create_customer(
        store_a.org, store=store_a, by=store_a_front_desk, name="新客", phone="13912345678"
    )
    assert level_of(customer) == ("普通会员", Decimal("0.00"))


def test_payment_moves_up_and_refund_moves_down(
    ladder, open_pending, hydra, customer, store_a_cashier, store_a_manager
):
    # given a customer at the zero level
    assert level_of(customer)[0] == "普通会员"
    # when they pay ¥1,200 for two sessions (one cash, one WeChat)
    order = open_pending([(hydra.pk, 2, "800.00")])
    services.pay_order(
        order,
        payments=[cash("700"), PaymentLine("wechat", Decimal("500"))],
        by=store_a_cashier,
    )
    # then they are 银卡, and the change is explained
    assert level_of(customer) == ("银卡", Decimal("1200.00"))
    change = MembershipLevelChange.objects.get(customer=customer, reason="payment")
    assert (change.from_level.name, change.to_level.name, change.reason) == (
        "普通会员",
        "银卡",
        "payment",
    )
    assert change.rolling_spend_amount == Decimal("1200.00") and change.window_months == 12
    # when one session is refunded (¥600 back): ¥600 is below 银卡
    line = order.lines.get()
    services.refund_order(order, lines=[(line.pk, 1)], by=store_a_manager, reason="改约")
    assert level_of(customer) == ("普通会员", Decimal("600.00"))
    down = MembershipLevelChange.objects.filter(customer=customer).order_by("-id").first()
    assert (down.from_level.name, down.to_level.name, down.reason) == ("银卡", "普通会员", "refund")


def test_stored_value_and_coupons_are_not_spend(
    ladder, card_with, open_pending, hydra, customer, store_a_cashier, store_a_manager
):
    # given a ¥10,000 card bought in cash (that purchase is the spend)
    card = card_with()
    assert level_of(customer) == ("金卡", Decimal("10000.00"))
    # when a treatment is paid from the card and another with an e-coupon
    order = open_pending([(hydra.pk, 1, 0)])
    services.pay_order(order, payments=[card_line(card, "1000")], by=store_a_cashier)
    coupon = services.issue_coupon(
        customer, value_amount="1000", expires_on=date(2026, 12, 31), by=store_a_manager
    )
    order = open_pending([(hydra.pk, 1, 0)])
    services.pay_order(
        order,
        payments=[PaymentLine("coupon", Decimal("1000"), coupon_id=coupon.pk)],
        by=store_a_cashier,
    )
    # then the rolling spend is still the card's price, not counted twice
    assert level_of(customer) == ("金卡", Decimal("10000.00"))


def test_a_deposit_counts_when_it_is_applied(
    ladder, open_pending, hydra, customer, store_a, store_a_cashier
):
    deposit = services.take_deposit(
        customer, store=store_a, amount="1000", method="wechat", by=store_a_cashier
    )
    assert level_of(customer) == ("普通会员", Decimal("0.00"))  # taken, not yet spent
    order = open_pending([(hydra.pk, 1, 0)])
    services.pay_order(
        order,
        payments=[PaymentLine("deposit", Decimal("1000"), deposit_id=deposit.pk)],
        by=store_a_cashier,
    )
    assert level_of(customer) == ("银卡", Decimal("1000.00"))


def test_spend_in_every_store_of_the_chain_counts(
    ladder, open_pending, hydra, customer, store_a_cashier, store_b, store_b_front_desk
):
    # given ¥1,000 paid in store A
    services.pay_order(
        open_pending([(hydra.pk, 1, 0)]), payments=[cash("1000")], by=store_a_cashier
    )
    # when the same customer pays ¥4,000 in store B
    assign(hydra, store_b)
    order = services.open_order(
        customer, store=store_b, by=store_b_front_desk, lines=[(hydra.pk, 4, 0)]
    )
    order = services.submit_order(order, by=store_b_front_desk)
    services.pay_order(order, payments=[cash("4000")], by=store_b_front_desk)
    # then both count
    assert level_of(customer) == ("金卡", Decimal("5000.00"))


@pytest.mark.parametrize("where", ["home store", "another store"])
def test_a_payment_sums_only_the_window(
    where, ladder, open_pending, hydra, customer, store_a_cashier, store_b, store_b_front_desk
):
    # given ¥5,000 paid on 1 April 2025 and ¥1,000 on 1 March 2026 in the home store (A)
    for day, units in ((date(2025, 4, 1), 5), (date(2026, 3, 1), 1)):
        services.pay_order(
            open_pending([(hydra.pk, units, 0)]),
            payments=[cash(str(1000 * units))],
            business_date=day,
            by=store_a_cashier,
        )
    assert level_of(customer) == ("金卡", Decimal("6000.00"))
    # when the customer pays ¥100 on 2 May 2026 (the window starts 3 May 2025), before the
    # nightly refresh, in the home store or in store B (whose day starts the window the same)
    with time_machine.travel("2026-05-02 10:00:00+08:00", tick=False):
        if where == "home store":
            order, cashier = open_pending([(hydra.pk, 1, 0)]), store_a_cashier
        else:
            assign(hydra, store_b)
            order = services.open_order(
                customer, store=store_b, by=store_b_front_desk, lines=[(hydra.pk, 1, 0)],
                submit=True,
            )  # fmt: skip
            cashier = store_b_front_desk
        services.pay_order(order, payments=[cash("100")], by=cashier)
        # then the April 2025 spend no longer counts
        assert level_of(customer) == ("银卡", Decimal("1100.00"))


# --- the daily refresh --------------------------------------------------------------------------------
def test_old_spend_leaves_the_window_and_a_second_run_changes_nothing(
    ladder, open_pending, hydra, customer, store_a_cashier
):
    # given ¥5,000 paid on 1 April 2025 and ¥1,000 on 1 March 2026 (today is 16 March 2026)
    old = open_pending([(hydra.pk, 5, 0)])
    services.pay_order(
        old, payments=[cash("5000")], business_date=date(2025, 4, 1), by=store_a_cashier
    )
    recent = open_pending([(hydra.pk, 1, 0)])
    services.pay_order(
        recent, payments=[cash("1000")], business_date=date(2026, 3, 1), by=store_a_cashier
    )
    assert level_of(customer) == ("金卡", Decimal("6000.00"))
    # when the daily command runs on 2 May 2026 (the window starts 3 May 2025)
    out = StringIO()
    with time_machine.travel("2026-05-02 03:00:00+08:00", tick=False):
        call_command("refresh_member_levels", stdout=out)
        # then only the recent ¥1,000 counts: down to 银卡, with the reason recorded
        assert level_of(customer) == ("银卡", Decimal("1000.00"))
        assert "1 down" in out.getvalue()
        change = MembershipLevelChange.objects.order_by("-id").first()
        assert (change.from_level.name, change.to_level.name, change.reason) == (
            "金卡",
            "银卡",
            "window",
        )
        # and a second run changes nothing
        history = MembershipLevelChange.objects.count()
        again = StringIO()
        call_command("refresh_member_levels", stdout=again)
        assert MembershipLevelChange.objects.count() == history
        assert "0 up, 0 down, 0 spend only, 1 unchanged" in again.getvalue()
        assert level_of(customer) == ("银卡", Decimal("1000.00"))


def test_refresh_all_counts_and_takes_a_date(
    ladder, open_pending, hydra, customer, store_a_cashier
):
    services.pay_order(
        open_pending([(hydra.pk, 5, 0)]),
        payments=[cash("5000")],
        business_date=date(2025, 4, 1),
        by=store_a_cashier,
    )
    result = membership.refresh_all(customer.org_id, today=date(2026, 4, 2))
    assert (result.customers, result.down) == (1, 1)
    assert level_of(customer) == ("普通会员", Decimal("0.00"))


def test_refresh_issues_a_fixed_number_of_queries_per_batch(ladder, store_a, hydra):
    def queries_for_refresh():
        with CaptureQueriesContext(connection) as ctx:
            membership.refresh_all(store_a.org_id, batch_size=1000)
        return len(ctx.captured_queries)

    for n in range(3):
        make_customer(store_a, name=f"客户{n}", phone=f"1380000000{n}")
    Customer.objects.update(rolling_spend_amount=Decimal("1.00"))  # every row must be written
    few = queries_for_refresh()
    for n in range(3, 30):
        make_customer(store_a, name=f"客户{n}", phone=f"138000000{n:02d}")
    Customer.objects.update(rolling_spend_amount=Decimal("1.00"))
    many = queries_for_refresh()
    assert few == many


def test_the_workers_nightly_job_lowers_the_level_once(
    ladder, open_pending, hydra, customer, store_a_cashier
):
    from yanzhi.core.schedule import registered_jobs
    from yanzhi.messaging.schedule import run_due_jobs

    services.pay_order(
        open_pending([(hydra.pk, 5, 0)]),
        payments=[cash("5000")],
        business_date=date(2025, 4, 1),
        by=store_a_cashier,
    )
    assert level_of(customer)[0] == "金卡"
    jobs = {"refresh_member_levels": registered_jobs()["refresh_member_levels"]}
    with time_machine.travel("2026-05-02 01:30:00+08:00", tick=False):
        runs = run_due_jobs(jobs=jobs)
        assert runs and {r.status for r in runs} == {"succeeded"}
        assert level_of(customer) == ("普通会员", Decimal("0.00"))  # the zero-spend level
        assert run_due_jobs(jobs=jobs) == []
