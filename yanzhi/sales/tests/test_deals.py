"""The deal definition (成交配置): the seed's examples, hypothesis over the pure rule, and
changing the definition leaving earlier deals as they were."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yanzhi.catalog.models import Item
from yanzhi.customers.models import CustomerSummary
from yanzhi.customers.services import deal_status
from yanzhi.customers.tests.factories import make_customer
from yanzhi.sales import services
from yanzhi.sales.deals import DealFacts, deal_amount, is_deal
from yanzhi.sales.models import DealDefinition
from yanzhi.sales.tests.conftest import assign, cash, make_item

KINDS = list(DealDefinition.KINDS)


def definition(types=(), minimum="0", kinds=KINDS):
    d = DealDefinition(order_types=list(types), min_amount=Decimal(minimum))
    for k in KINDS:
        setattr(d, f"{k}_counts", k in kinds)
    return d


def test_clinic_a_999_hydration_card_is_a_deal(
    chain, store_a, hq_admin, store_a_consultant, store_a_cashier, open_pending
):
    # given: clinic A — type 医美, minimum 0, every kind on
    services.set_deal_definition(
        chain, order_types=["医美"], min_amount="0", kinds=KINDS, by=hq_admin
    )
    card = assign(
        make_item(
            chain,
            "C99",
            "补水小神卡",
            "999.00",
            kind=Item.Kind.CARD,
            card_type=Item.CardType.SESSIONS,
            card_sessions=4,
        ),
        store_a,
    )
    wang = make_customer(store_a, name="王女士", consultant=store_a_consultant)
    # when
    order = services.pay_order(
        open_pending([(card.pk, 1, 0)], cust=wang), payments=[cash("999")], by=store_a_cashier
    )
    # then
    assert order.is_deal
    summary = CustomerSummary.objects.get(customer=wang)
    assert summary.deal_count == 1 and summary.first_deal_at == order.paid_at
    assert deal_status(summary) == "首次成交"


def test_clinic_b_79_festive_bag_is_not_a_deal(
    chain, store_a, hq_admin, store_a_consultant, store_a_cashier, open_pending, package
):
    # given: clinic B — type 医美, minimum 99
    services.set_deal_definition(
        chain, order_types=["医美"], min_amount="99", kinds=KINDS, by=hq_admin
    )
    li = make_customer(store_a, name="李女士", consultant=store_a_consultant)
    # when: the ¥79 新年福袋 (worth ¥680)
    order = services.pay_order(
        open_pending([(package.pk, 1, 0)], cust=li), payments=[cash("79")], by=store_a_cashier
    )
    # then
    assert not order.is_deal
    assert deal_status(CustomerSummary.objects.get(customer=li)) == "未成交"


def test_changing_the_definition_leaves_earlier_deals(
    chain, hq_admin, store_a_cashier, open_pending, hydra, customer
):
    services.set_deal_definition(chain, order_types=[], min_amount="0", kinds=KINDS, by=hq_admin)
    first = services.pay_order(
        open_pending([(hydra.pk, 1, 0)]), payments=[cash("1000")], by=store_a_cashier
    )
    # when: the chain raises the minimum above that order's amount
    newer = services.set_deal_definition(
        chain, order_types=[], min_amount="5000", kinds=KINDS, by=hq_admin
    )
    second = services.pay_order(
        open_pending([(hydra.pk, 1, 0)]), payments=[cash("1000")], by=store_a_cashier
    )
    # then: the first stays a deal under its own version; the second is judged by the new one
    first.refresh_from_db()
    assert first.is_deal and first.deal_definition_id != newer.pk
    assert not second.is_deal and second.deal_definition_id == newer.pk
    summary = CustomerSummary.objects.get(customer=customer)
    assert summary.deal_count == 1 and deal_status(summary) == "首次成交"
    third = services.pay_order(
        open_pending([(hydra.pk, 5, 0)]), payments=[cash("5000")], by=store_a_cashier
    )
    assert third.is_deal
    summary.refresh_from_db()
    assert deal_status(summary) == "多次成交"


def test_only_hq_configures_deals(chain, store_a_manager):
    with pytest.raises(Exception, match="forbidden"):
        services.set_deal_definition(
            chain, order_types=[], min_amount="0", kinds=KINDS, by=store_a_manager
        )


amounts = st.decimals(min_value=0, max_value=20000, places=2)
lines = st.lists(st.tuples(st.sampled_from(KINDS), amounts), max_size=5)
types = st.sampled_from(["医美", "生活美容", "口腔"])


@given(
    order_type=types,
    lines=lines,
    wanted=st.lists(types, max_size=2),
    minimum=amounts,
    kinds=st.sets(st.sampled_from(KINDS)),
)
def test_is_deal_meets_every_condition(order_type, lines, wanted, minimum, kinds):
    facts = DealFacts(order_type, tuple(lines))
    d = definition(wanted, minimum, kinds)
    counted = deal_amount(facts, kinds)
    expected = (
        (not wanted or order_type in wanted)
        and any(k in kinds for k, _ in lines)
        and counted > 0
        and counted >= minimum
    )
    assert is_deal(facts, d) == expected


@given(lines=lines, minimum=amounts)
def test_turning_a_kind_off_never_makes_a_deal(lines, minimum):
    facts = DealFacts("医美", tuple(lines))
    for kind in KINDS:
        fewer = [k for k in KINDS if k != kind]
        if is_deal(facts, definition((), minimum, fewer)):
            assert is_deal(facts, definition((), minimum, KINDS))


@given(lines=lines, low=amounts, high=amounts)
def test_a_higher_minimum_never_makes_a_deal(lines, low, high):
    low, high = min(low, high), max(low, high)
    facts = DealFacts("医美", tuple(lines))
    if is_deal(facts, definition((), high)):
        assert is_deal(facts, definition((), low))
