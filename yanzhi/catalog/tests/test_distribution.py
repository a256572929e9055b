"""HQ distribution (主数据下发): bulk and idempotent assignment, withdrawal, the seed's scenario
(store C has no Thermage device and never sees Thermage) and free pricing (A ¥1,000 below B)."""

from decimal import Decimal

import pytest

from yanzhi.catalog import queries, services
from yanzhi.catalog.models import StoreItem
from yanzhi.core.errors import BusinessError, NotFound
from yanzhi.core.models import AuditLog
from yanzhi.org.policy import scope_for


def test_bulk_assignment_is_idempotent(chain, hq_admin, store_a, store_b, store_c, ipl, thermage):
    # when HQ pushes two items to three stores
    first = services.assign_items(
        chain, item_ids=[ipl.pk, thermage.pk], store_ids=[store_a.pk, store_b.pk, store_c.pk],
        by=hq_admin,
    )  # fmt: skip
    # then six assignments exist; pushing again duplicates nothing
    assert first == {"created": 6, "updated": 0, "unchanged": 0}
    again = services.assign_items(
        chain, item_ids=[ipl.pk, thermage.pk], store_ids=[store_a.pk, store_b.pk, store_c.pk],
        by=hq_admin,
    )  # fmt: skip
    assert again == {"created": 0, "updated": 0, "unchanged": 6}
    assert StoreItem.objects.count() == 6
    assert AuditLog.objects.filter(action="store_item.assigned").count() == 6
    # switching free pricing on for one store updates its rows in place
    switched = services.assign_items(
        chain, item_ids=[ipl.pk, thermage.pk], store_ids=[store_a.pk], free_pricing=True,
        by=hq_admin,
    )  # fmt: skip
    assert switched == {"created": 0, "updated": 2, "unchanged": 0}
    assert StoreItem.objects.filter(free_pricing=True).count() == 2


def test_withdrawal_keeps_history_and_reassignment_revives_it(
    chain, hq_admin, store_a, store_b, ipl
):
    services.assign_items(chain, item_ids=[ipl.pk], store_ids=[store_a.pk, store_b.pk], by=hq_admin)
    # when
    withdrawn = services.unassign_items(
        chain, item_ids=[ipl.pk], store_ids=[store_b.pk], by=hq_admin
    )
    # then B no longer sells it, but the row is kept
    assert withdrawn == 1
    row = StoreItem.objects.get(store=store_b, item=ipl)
    assert row.is_active is False
    assert not queries.sellable_items(scope_for(hq_admin), store_b).exists()
    assert AuditLog.objects.filter(action="store_item.withdrawn").count() == 1
    # withdrawing again changes nothing; assigning again re-activates the same row
    assert (
        services.unassign_items(chain, item_ids=[ipl.pk], store_ids=[store_b.pk], by=hq_admin) == 0
    )
    result = services.assign_items(chain, item_ids=[ipl.pk], store_ids=[store_b.pk], by=hq_admin)
    assert result["updated"] == 1 and StoreItem.objects.count() == 2
    row.refresh_from_db()
    assert row.is_active is True


def test_bad_distribution_input_changes_nothing(chain, hq_admin, store_a, ipl, other_chain):
    other_store = other_chain.stores.get()
    for kwargs, code in (
        ({"item_ids": [], "store_ids": [store_a.pk]}, "items_required"),
        ({"item_ids": [ipl.pk], "store_ids": []}, "stores_required"),
        ({"item_ids": [ipl.pk], "store_ids": [other_store.pk]}, "invalid_choice"),
        ({"item_ids": [ipl.pk, 999999], "store_ids": [store_a.pk]}, "invalid_choice"),
    ):
        with pytest.raises(BusinessError) as refused:
            services.assign_items(chain, by=hq_admin, **kwargs)
        assert refused.value.code == code
    services.deactivate_item(ipl, by=hq_admin)
    with pytest.raises(BusinessError, match="item_inactive"):
        services.assign_items(chain, item_ids=[ipl.pk], store_ids=[store_a.pk], by=hq_admin)
    assert not StoreItem.objects.exists()


# --- the seed's scenario --------------------------------------------------------------------------
def test_store_c_never_sees_or_sells_thermage(
    seed_chain, hq_admin, store_c, store_a, ipl, thermage
):
    scope = scope_for(hq_admin)
    # then C's sellable list has IPL only, A's has both
    assert list(queries.sellable_items(scope, store_c)) == [ipl]
    assert set(queries.sellable_items(scope, store_a)) == {ipl, thermage}
    # and selling Thermage in C is refused with a clear message
    with pytest.raises(BusinessError) as refused:
        queries.get_sellable_item(store_c, thermage.pk)
    assert refused.value.code == "item_not_in_store"
    assert refused.value.message == "该项目未分配到本门店,不能销售"
    assert queries.get_sellable_item(store_a, thermage.pk) == thermage


def test_store_c_staff_do_not_see_thermage_anywhere(seed_chain, store_c_consultant, thermage, ipl):
    scope = scope_for(store_c_consultant)
    assert list(queries.items_for(scope)) == [ipl]
    assert not queries.item_list(scope, q="热玛吉").exists()
    from django.http import Http404

    with pytest.raises(Http404):
        queries.get_item(scope, thermage.pk)


def test_a_store_outside_the_scope_is_404(seed_chain, store_c_consultant, store_a):
    from django.http import Http404

    with pytest.raises(Http404):
        queries.sellable_items(scope_for(store_c_consultant), store_a)


def test_deactivated_item_is_no_longer_sellable(seed_chain, hq_admin, store_a, ipl):
    services.deactivate_item(ipl, by=hq_admin)
    assert ipl not in queries.sellable_items(scope_for(hq_admin), store_a)
    with pytest.raises(BusinessError, match="item_inactive"):
        queries.get_sellable_item(store_a, ipl.pk)


# --- free pricing ---------------------------------------------------------------------------------
def test_store_a_prices_thermage_1000_below_store_b(
    seed_chain, hq_admin, store_a_manager, store_b_manager, store_a, store_b, thermage
):
    # given free pricing on for Thermage; B keeps the HQ price, A's manager sets A's own
    row_a = StoreItem.objects.get(store=store_a, item=thermage)
    services.set_store_price(row_a, price_amount="18800.00", by=store_a_manager)
    # then
    assert queries.price_for(store_a, thermage) == Decimal("18800.00")
    assert queries.price_for(store_b, thermage) == Decimal("19800.00")
    assert queries.price_for(store_b, thermage) - queries.price_for(store_a, thermage) == 1000
    sellable = queries.sellable_items(scope_for(store_a_manager), store_a).get(pk=thermage.pk)
    assert sellable.effective_price == Decimal("18800.00")
    log = AuditLog.objects.get(action="store_item.priced")
    assert (log.before, log.after) == ({"price_amount": None}, {"price_amount": "18800.00"})
    # clearing the store price returns to the HQ price
    services.set_store_price(row_a, price_amount=None, by=store_a_manager)
    assert queries.price_for(store_a, thermage) == Decimal("19800.00")


def test_store_price_refused_without_free_pricing(seed_chain, store_a_manager, store_a, ipl):
    row = StoreItem.objects.get(store=store_a, item=ipl)
    with pytest.raises(BusinessError) as refused:
        services.set_store_price(row, price_amount="999.00", by=store_a_manager)
    assert refused.value.code == "free_pricing_off"
    row.refresh_from_db()
    assert row.price_amount is None
    assert queries.price_for(store_a, ipl) == Decimal("1280.00")


def test_free_pricing_switched_off_returns_to_the_hq_price(
    seed_chain, hq_admin, store_a_manager, store_a, thermage
):
    row = StoreItem.objects.get(store=store_a, item=thermage)
    services.set_store_price(row, price_amount="18800", by=store_a_manager)
    services.assign_items(seed_chain, item_ids=[thermage.pk], store_ids=[store_a.pk], by=hq_admin)
    assert queries.price_for(store_a, thermage) == Decimal("19800.00")


def test_a_manager_cannot_price_another_store(seed_chain, store_a_manager, store_b, thermage):
    row = StoreItem.objects.get(store=store_b, item=thermage)
    with pytest.raises(NotFound):
        services.set_store_price(row, price_amount="1.00", by=store_a_manager)
    row.refresh_from_db()
    assert row.price_amount is None


def test_negative_store_price_is_refused(seed_chain, store_a_manager, store_a, thermage):
    row = StoreItem.objects.get(store=store_a, item=thermage)
    with pytest.raises(BusinessError) as refused:
        services.set_store_price(row, price_amount="-5", by=store_a_manager)
    assert refused.value.fields == {"price_amount": ["金额不能为负数"]}
    row.refresh_from_db()
    assert row.price_amount is None


def test_only_hq_assigns(seed_chain, store_a_manager, store_a_consultant, store_a, ipl):
    for staff in (store_a_manager, store_a_consultant):
        with pytest.raises(BusinessError, match="forbidden"):
            services.assign_items(seed_chain, item_ids=[ipl.pk], store_ids=[store_a.pk], by=staff)
        with pytest.raises(BusinessError, match="forbidden"):
            services.unassign_items(seed_chain, item_ids=[ipl.pk], store_ids=[store_a.pk], by=staff)
    assert StoreItem.objects.filter(is_active=True).count() == 5


def test_a_consultant_cannot_set_a_store_price(seed_chain, store_a_consultant, store_a, thermage):
    row = StoreItem.objects.get(store=store_a, item=thermage)
    with pytest.raises(BusinessError, match="forbidden"):
        services.set_store_price(row, price_amount="1.00", by=store_a_consultant)
