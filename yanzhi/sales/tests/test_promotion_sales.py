"""Selling under a promotion (活动价): targeting by dynamic tags read at sale time, the period in
the store's calendar, the store, the limit per customer (again at payment), the interaction with
discount approval, the order screens and the API (docs/promotions.md, "Selling")."""

from decimal import Decimal

import pytest
import time_machine

from yanzhi.catalog.promotion_services import create_promotion, end_promotion
from yanzhi.core.errors import BusinessError
from yanzhi.customers.models import CustomerSummary, MemberActivity, VisitType
from yanzhi.customers.tests.factories import make_customer
from yanzhi.sales import services
from yanzhi.sales.models import ApprovalStatus, Order, OrderLine
from yanzhi.sales.tests.conftest import cash

pytestmark = pytest.mark.django_db


def tag(customer, *, activity, last_visit_type="", deal_count=1):
    CustomerSummary.objects.filter(customer=customer).update(
        activity=activity, last_visit_type=last_visit_type, deal_count=deal_count
    )


@pytest.fixture
def sleeper(store_a, store_a_consultant):
    """A sleeping member whose last visit was a check-up (复查)."""
    customer = make_customer(store_a, name="沉睡客", consultant=store_a_consultant)
    tag(customer, activity=MemberActivity.SLEEPING, last_visit_type=VisitType.CHECKUP)
    return customer


@pytest.fixture
def awake(store_a, store_a_consultant):
    customer = make_customer(store_a, name="活跃客", consultant=store_a_consultant)
    tag(customer, activity=MemberActivity.ACTIVE, last_visit_type=VisitType.CHECKUP)
    return customer


@pytest.fixture
def winback(chain, hq_admin, hydra, store_a):
    """水光针 at ¥600 instead of ¥1,000 for 沉睡会员 whose last visit was 复查, in March, one per
    customer."""
    return create_promotion(
        chain,
        name="沉睡会员复查回馈",
        start_date="2026-03-01",
        end_date="2026-03-31",
        store_ids=[store_a.pk],
        target={"activities": ["sleeping"], "last_visit_types": ["checkup"]},
        items=[(hydra.pk, "600.00", 1)],
        by=hq_admin,
    )


@pytest.fixture
def checkup_offer(chain, hq_admin, hydra, store_a):
    """水光针 at ¥700 for customers whose last visit was 复查 (still true after they buy), one per
    customer."""
    return create_promotion(
        chain,
        name="复查客户专享",
        start_date="2026-03-01",
        end_date="2026-03-31",
        store_ids=[store_a.pk],
        target={"last_visit_types": ["checkup"]},
        items=[(hydra.pk, "700.00", 1)],
        by=hq_admin,
    )


def sell(customer, lines, by, store):
    order = services.open_order(customer, store=store, by=by, lines=lines)
    return services.submit_order(order, by=by)


def test_a_sleeping_member_whose_last_visit_was_a_checkup_gets_the_promotional_price(
    winback, sleeper, hydra, store_a, store_a_consultant
):
    # when
    order = sell(sleeper, [(hydra.pk, 1, 0, winback.pk)], store_a_consultant, store_a)
    # then
    line = order.lines.get()
    assert line.promotion_id == winback.pk
    assert line.unit_price_amount == Decimal("600.00")
    assert line.list_price_amount == Decimal("1000.00")
    assert (order.list_amount, order.discount_amount, order.payable_amount) == (
        Decimal("600.00"),
        Decimal("0.00"),
        Decimal("600.00"),
    )


def test_an_active_member_is_refused_with_the_reason_and_nothing_is_written(
    winback, awake, hydra, store_a, store_a_consultant
):
    # when
    with pytest.raises(BusinessError) as refused:
        services.open_order(
            awake, store=store_a, by=store_a_consultant, lines=[(hydra.pk, 1, 0, winback.pk)]
        )
    # then
    assert refused.value.code == "customer_not_targeted"
    assert "沉睡会员" in str(refused.value.message) and "活跃会员" in str(refused.value.message)
    assert list(refused.value.fields) == ["lines.0.promotion_id"]
    assert not Order.objects.exists()


def test_the_tags_are_read_when_the_line_is_priced_not_when_the_promotion_was_made(
    winback, awake, hydra, store_a, store_a_consultant
):
    # given: the active member falls asleep after the promotion was set up
    tag(awake, activity=MemberActivity.SLEEPING, last_visit_type=VisitType.CHECKUP)
    # when
    order = sell(awake, [(hydra.pk, 1, 0, winback.pk)], store_a_consultant, store_a)
    # then
    assert order.payable_amount == Decimal("600.00")
    # and when the member's last visit becomes 复诊, the next price is refused
    tag(awake, activity=MemberActivity.SLEEPING, last_visit_type=VisitType.RETURN)
    with pytest.raises(BusinessError, match="最近到访类型"):
        services.price_lines(store_a, [(hydra.pk, 1, 0, winback.pk)], customer=awake)


def test_a_sleeping_member_who_walks_in_today_still_gets_the_win_back_price(
    winback, hydra, store_a, store_a_front_desk, store_a_consultant
):
    from yanzhi.customers.models import Customer
    from yanzhi.visits.services import register_arrival

    # given a member last seen for a 复查 long ago (sleeping), in March
    with time_machine.travel("2026-03-10 10:00:00+08:00", tick=False):
        customer = make_customer(store_a, name="回头客", consultant=store_a_consultant)
        tag(customer, activity=MemberActivity.SLEEPING, last_visit_type=VisitType.CHECKUP)
        # when she walks in and is registered (the visit wakes her: 活跃, today a 复诊)
        register_arrival(store_a, customer=customer, visit_type="return", by=store_a_front_desk)
        customer = Customer.objects.select_related("summary").get(pk=customer.pk)
        assert customer.summary.activity != MemberActivity.SLEEPING
        # then the win-back promotion still prices her line: she was sleeping as the day began
        order = sell(customer, [(hydra.pk, 1, 0, winback.pk)], store_a_consultant, store_a)
        assert order.lines.get().amount == Decimal("600.00")
    # and the next day, now an active member whose last visit was a 复诊, she is refused
    with time_machine.travel("2026-03-11 10:00:00+08:00", tick=False):
        with pytest.raises(BusinessError) as refused:
            sell(customer, [(hydra.pk, 1, 0, winback.pk)], store_a_consultant, store_a)
        assert refused.value.code == "customer_not_targeted"


def test_member_levels_narrow_the_target(chain, hq_admin, hydra, store_a, sleeper):
    from yanzhi.customers.models import MembershipLevel

    gold = MembershipLevel.objects.create(
        org=chain, name="金卡", min_spend_amount=Decimal("10000"), rank=2
    )
    promotion = create_promotion(
        chain,
        name="金卡专享",
        start_date="2026-03-01",
        end_date="2026-03-31",
        member_level_ids=[gold.pk],
        items=[(hydra.pk, "800.00", None)],
        by=hq_admin,
    )
    with pytest.raises(BusinessError, match="金卡"):
        services.price_lines(store_a, [(hydra.pk, 1, 0, promotion.pk)], customer=sleeper)
    sleeper.member_level = gold
    sleeper.save()
    lines = services.price_lines(store_a, [(hydra.pk, 2, 0, promotion.pk)], customer=sleeper)
    assert lines[0].amount == Decimal("1600.00")


def test_the_limit_per_customer_counts_paid_units_not_refunded_ones(
    checkup_offer, sleeper, hydra, store_a, store_a_consultant, store_a_cashier, store_a_manager
):
    # given: the one unit allowed is bought and paid
    first = sell(sleeper, [(hydra.pk, 1, 0, checkup_offer.pk)], store_a_consultant, store_a)
    services.pay_order(first, payments=[cash("700.00")], by=store_a_cashier)
    # when / then: a second one is refused, saying how many were bought
    with pytest.raises(BusinessError, match="已购1件") as refused:
        services.open_order(
            sleeper,
            store=store_a,
            by=store_a_consultant,
            lines=[(hydra.pk, 1, 0, checkup_offer.pk)],
        )
    assert refused.value.code == "promotion_limit_reached"
    assert Order.objects.count() == 1
    # and two units on one order are refused too
    with pytest.raises(BusinessError, match="限购"):
        services.price_lines(
            store_a,
            [(hydra.pk, 1, 0, checkup_offer.pk), (hydra.pk, 1, 0, checkup_offer.pk)],
            customer=sleeper,
        )
    # when the first is refunded, the unit is free again (paying woke the member: a promotion
    # for 沉睡会员 would now refuse them, this one targets the last visit type only)
    services.refund_order(first, full=True, by=store_a_manager, reason="客户改期")
    again = sell(sleeper, [(hydra.pk, 1, 0, checkup_offer.pk)], store_a_consultant, store_a)
    assert again.payable_amount == Decimal("700.00")


def test_the_limit_is_checked_again_at_payment(
    checkup_offer, sleeper, hydra, store_a, store_a_consultant, store_a_cashier
):
    # given: two orders opened while neither was paid
    one = sell(sleeper, [(hydra.pk, 1, 0, checkup_offer.pk)], store_a_consultant, store_a)
    two = sell(sleeper, [(hydra.pk, 1, 0, checkup_offer.pk)], store_a_consultant, store_a)
    services.pay_order(one, payments=[cash("700.00")], by=store_a_cashier)
    # when / then
    with pytest.raises(BusinessError) as refused:
        services.pay_order(two, payments=[cash("700.00")], by=store_a_cashier)
    assert refused.value.code == "promotion_limit_reached"
    two.refresh_from_db()
    assert two.status == Order.Status.PENDING and two.paid_amount == 0
    assert not two.payments.exists()


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        ("2026-03-01 00:00:10+08:00", True),  # first day, just after midnight in Shanghai
        ("2026-02-28 23:59:50+08:00", False),  # the evening before, locally
        ("2026-03-31 23:59:50+08:00", True),  # last day, late evening
        ("2026-04-01 00:00:10+08:00", False),  # still 31 March in UTC, but 1 April locally
    ],
)
def test_the_period_is_the_store_calendar_both_ends_inclusive(
    winback, sleeper, hydra, store_a, store_a_consultant, moment, allowed
):
    with time_machine.travel(moment, tick=False):
        if allowed:
            order = sell(sleeper, [(hydra.pk, 1, 0, winback.pk)], store_a_consultant, store_a)
            assert order.payable_amount == Decimal("600.00")
        else:
            with pytest.raises(BusinessError) as refused:
                sell(sleeper, [(hydra.pk, 1, 0, winback.pk)], store_a_consultant, store_a)
            assert refused.value.code in {"promotion_not_started", "promotion_over"}
            assert not Order.objects.exists()


def test_other_stores_ended_promotions_and_other_items_are_refused(
    chain, hq_admin, winback, sleeper, hydra, cream, store_a, store_b, store_a_consultant
):
    from yanzhi.sales.tests.conftest import assign

    assign(hydra, store_b)
    only_b = create_promotion(
        chain,
        name="B店专享",
        start_date="2026-03-01",
        end_date="2026-03-31",
        store_ids=[store_b.pk],
        items=[(hydra.pk, "500.00", None)],
        by=hq_admin,
    )
    cases = [
        ((hydra.pk, 1, 0, only_b.pk), "promotion_not_in_store"),
        ((cream.pk, 1, 0, winback.pk), "item_not_in_promotion"),
        ((hydra.pk, 1, 0, 999999), "invalid_promotion"),
    ]
    for line, code in cases:
        with pytest.raises(BusinessError) as refused:
            services.price_lines(store_a, [line], customer=sleeper)
        assert refused.value.code == code
    end_promotion(winback, by=hq_admin)
    with pytest.raises(BusinessError, match="已结束"):
        services.price_lines(store_a, [(hydra.pk, 1, 0, winback.pk)], customer=sleeper)


def test_the_promotional_price_needs_no_approval_but_a_discount_on_top_does(
    winback, sleeper, hydra, store_a, store_a_consultant
):
    # given: a 10 % limit; the promotion is 40 % below the list price
    store_a.discount_limit_percent = Decimal("10.00")
    store_a.save()
    # when
    plain = sell(sleeper, [(hydra.pk, 1, 0, winback.pk)], store_a_consultant, store_a)
    # then
    assert plain.approval_status == ""
    # when: ¥100 off the promotional ¥600 (16.7 % of the promotional base) is asked for
    services.reverse_order(plain, by=store_a_consultant)
    services.update_draft(plain, by=store_a_consultant, lines=[(hydra.pk, 1, "100", winback.pk)])
    services.submit_order(plain, by=store_a_consultant)
    # then
    plain.refresh_from_db()
    assert plain.approval_status == ApprovalStatus.PENDING
    approval = plain.approvals.get()
    assert (approval.list_amount, approval.discount_percent) == (
        Decimal("600.00"),
        Decimal("16.67"),
    )


def test_editing_a_draft_prices_its_promoted_line_again(
    winback, sleeper, hydra, cream, store_a, store_a_consultant
):
    order = services.open_order(
        sleeper, store=store_a, by=store_a_consultant, lines=[(hydra.pk, 1, 0, winback.pk)]
    )
    services.update_draft(
        order, by=store_a_consultant, lines=[(hydra.pk, 1, 0, winback.pk), (cream.pk, 1, 0)]
    )
    order.refresh_from_db()
    assert order.payable_amount == Decimal("800.00")
    assert OrderLine.objects.filter(order=order, promotion=winback).count() == 1


# --- pages -------------------------------------------------------------------------------------
def test_the_order_screen_offers_the_promotion_and_prices_the_line(
    client_for, winback, sleeper, awake, hydra, store_a, store_a_consultant
):
    client = client_for(store_a_consultant)
    page = client.get(f"/orders/new/?customer={sleeper.pk}&store={store_a.pk}")
    assert "沉睡会员复查回馈" in page.content.decode()
    assert (
        "沉睡会员复查回馈"
        not in client.get(f"/orders/new/?customer={awake.pk}&store={store_a.pk}").content.decode()
    )
    # when: the line is added and the promotion picked
    data = {
        "customer": sleeper.pk,
        "store": store_a.pk,
        "item_id": hydra.pk,
        "quantity": "1",
        "discount": "0",
        "promotion": str(winback.pk),
        "action": "submit",
    }
    response = client.post("/orders/new/", data, HTTP_HX_REQUEST="true")
    # then
    assert response.status_code == 200, response.content.decode()
    order = Order.objects.get()
    assert order.payable_amount == Decimal("600.00")
    detail = client.get(f"/orders/{order.pk}/").content.decode()
    assert "沉睡会员复查回馈" in detail


def test_the_order_screen_shows_the_refusal(
    client_for, winback, awake, hydra, store_a, store_a_consultant
):
    data = {
        "customer": awake.pk,
        "store": store_a.pk,
        "item_id": hydra.pk,
        "quantity": "1",
        "discount": "0",
        "promotion": str(winback.pk),
        "action": "draft",
    }
    response = client_for(store_a_consultant).post("/orders/new/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "该客户为" in response.content.decode()
    assert not Order.objects.exists()


# --- API ---------------------------------------------------------------------------------------
def test_api_offers_and_sells_under_a_promotion(
    api_for, winback, sleeper, awake, hydra, store_a, store_a_consultant
):
    api = api_for(store_a_consultant)
    # the promotions a customer may buy under
    offers = api.get(f"/customers/{sleeper.pk}/promotions", params={"store_id": store_a.pk})
    assert offers.status_code == 200, offers.text
    body = offers.json()
    assert body["day"] == "2026-03-16"
    assert [(o["promotion_id"], o["item_id"], o["price_amount"], o["remaining"]) for o in
            body["offers"]] == [(winback.pk, hydra.pk, "600.00", 1)]  # fmt: skip
    none = api.get(f"/customers/{awake.pk}/promotions", params={"store_id": store_a.pk}).json()
    assert none["offers"] == []
    # selling
    created = api.post(
        "/orders",
        json={
            "customer_id": sleeper.pk,
            "store_id": store_a.pk,
            "lines": [{"item_id": hydra.pk, "quantity": 1, "promotion_id": winback.pk}],
        },
    )
    assert created.status_code == 201, created.text
    line = created.json()["lines"][0]
    assert (line["promotion_id"], line["promotion_name"], line["unit_price_amount"]) == (
        winback.pk,
        "沉睡会员复查回馈",
        "600.00",
    )
    assert line["list_price_amount"] == "1000.00"
    refused = api.post(
        "/orders",
        json={
            "customer_id": awake.pk,
            "store_id": store_a.pk,
            "lines": [{"item_id": hydra.pk, "quantity": 1, "promotion_id": winback.pk}],
        },
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "customer_not_targeted"
    assert "lines.0.promotion_id" in refused.json()["fields"]


def test_the_demo_sells_under_its_two_promotions(
    chain, store_a, hq_admin, store_a_consultant, store_a_cashier, store_a_manager, hydra
):
    from yanzhi.sales.demo import build_promotions

    customers = [
        make_customer(store_a, name=f"客户{n}", consultant=store_a_consultant) for n in range(31)
    ]
    tag(customers[0], activity=MemberActivity.SLEEPING, last_visit_type=VisitType.CHECKUP)
    people = [hq_admin, store_a_consultant, store_a_cashier, store_a_manager]
    # when
    made = build_promotions(chain, people, [store_a], customers, hq_admin)
    # then
    assert made == 5
    lines = OrderLine.objects.filter(promotion__isnull=False)
    assert sorted(set(lines.values_list("promotion__name", flat=True))) == [
        "春季焕颜季",
        "沉睡会员复查回馈",
    ]
    assert lines.filter(promotion__name="沉睡会员复查回馈").get().order.customer == customers[0]
    assert lines.filter(refunded_quantity=1).count() == 1
    assert set(lines.values_list("unit_price_amount", flat=True)) == {
        Decimal("800.00"),
        Decimal("600.00"),
    }
