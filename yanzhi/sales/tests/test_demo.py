"""build_sales on a small chain: orders of every state, a card paid from, a refund — and the
ledger check finds nothing wrong."""

from yanzhi.core.balances import checks
from yanzhi.customers.models import Customer
from yanzhi.customers.tests.factories import make_customer
from yanzhi.sales.demo import build_sales
from yanzhi.sales.models import Order, StoredValueLedger


def test_build_sales(
    chain,
    store_a,
    hq_admin,
    store_a_consultant,
    store_a_cashier,
    store_a_manager,
    hydra,
    cream,
    sv_card,
):
    customers = [
        make_customer(store_a, name=f"客户{n}", consultant=store_a_consultant) for n in range(12)
    ]
    staff = {
        "hq": [hq_admin],
        "consultant": [store_a_consultant],
        "cashier": [store_a_cashier],
        "store_manager": [store_a_manager],
    }
    made = build_sales(
        chain, [store_a], staff, customers, {"A": {"consultant": [store_a_consultant]}}
    )
    assert made >= 12
    statuses = set(Order.objects.values_list("status", flat=True))
    assert statuses >= {"pending", "paid", "refunded"}
    assert Order.objects.filter(status="paid", arrears_amount__gt=0).exists()
    assert StoredValueLedger.objects.filter(reason="paid").exists()
    assert [m for check in checks().values() for m in check()] == []
    # every customer has the level their spend reaches; the card buyer (¥10,000) is 金卡会员
    levels = dict(Customer.objects.values_list("pk", "member_level__name"))
    assert None not in levels.values() and "金卡会员" in levels.values()
