"""Items per kind: kind-specific rules, packages, cards, materials, codes, prices — bad input
changes nothing."""

from decimal import Decimal

import pytest

from yanzhi.catalog import services
from yanzhi.catalog.models import Item, MaterialUsage, PackageComponent
from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog


def _refused(expected, func, /, *args, **kwargs):
    count = Item.objects.count()
    with pytest.raises(BusinessError) as refused:
        func(*args, **kwargs)
    assert refused.value.code == expected, refused.value.as_dict()
    assert Item.objects.count() == count
    return refused.value


def test_service_item_is_created_with_search_keys_and_audit(chain, hq_admin, skin):
    item = services.create_item(
        chain,
        kind="service",
        code="S001",
        name="光子嫩肤",
        price_amount="1280",
        department=skin,
        order_type="医美",
        by=hq_admin,
    )
    assert item.price_amount == Decimal("1280.00") and item.unit == "次"
    assert (item.name_pinyin, item.name_initials) == ("guangzinenfu", "gznf")
    assert AuditLog.objects.get(action="item.created").after["code"] == "S001"


def test_service_needs_a_department_and_a_non_negative_price(chain, hq_admin):
    error = _refused(
        "invalid_amount",
        services.create_item,
        chain,
        kind="service",
        code="S1",
        name="光子嫩肤",
        price_amount="-1",
        by=hq_admin,
    )
    assert error.fields["price_amount"] == ["金额不能为负数"]
    assert error.fields["department"] == ["服务项目须选择科室"]


def test_codes_are_unique_in_the_chain(chain, hq_admin, ipl, other_chain, other_chain_admin):
    _refused(
        "duplicate_code",
        services.create_item,
        chain,
        kind="product",
        code="S001",
        name="面膜",
        price_amount="1",
        by=hq_admin,
    )
    # another chain may use the same code
    services.create_item(
        other_chain,
        kind="product",
        code="S001",
        name="面膜",
        price_amount="1",
        by=other_chain_admin,
    )


def test_stock_tracked_drug_needs_a_unique_material_number(chain, hq_admin, make_stocked):
    _refused(
        "material_no_required",
        services.create_item,
        chain,
        kind="drug",
        code="D1",
        name="玻尿酸 1ml",
        price_amount="3800",
        track_stock=True,
        by=hq_admin,
    )
    make_stocked("D1", "玻尿酸 1ml", "3800", material_no="HA-1ML")
    _refused(
        "duplicate_material_no",
        services.create_item,
        chain,
        kind="drug",
        code="D2",
        name="玻尿酸 2ml",
        price_amount="6800",
        track_stock=True,
        material_no="HA-1ML",
        by=hq_admin,
    )


def test_package_contents(chain, hq_admin, ipl, make_stocked):
    mask = make_stocked("P1", "医用面膜", "98", kind="product", unit="盒")
    package = services.create_item(
        chain,
        kind="package",
        code="K1",
        name="光子嫩肤3次+面膜套餐",
        price_amount="3500",
        components=[(ipl, 3), (mask.pk, 2)],
        by=hq_admin,
    )
    assert [(c.item_id, c.quantity) for c in package.components.all()] == [
        (ipl.pk, 3),
        (mask.pk, 2),
    ]


@pytest.mark.parametrize(
    ("components", "code"),
    [
        ("empty", "package_empty"),
        ("zero", "invalid_number"),
        ("card", "package_component_kind"),
        ("package", "package_component_kind"),
        ("twice", "duplicate_component"),
    ],
)
def test_package_rules(chain, hq_admin, ipl, components, code):
    inner = services.create_item(
        chain, kind="package", code="K0", name="小套餐", price_amount="1", components=[(ipl, 1)],
        by=hq_admin,
    )  # fmt: skip
    card = services.create_item(
        chain, kind="card", code="C0", name="储值卡", price_amount="1000",
        card_type="stored_value", card_value_amount="1100", by=hq_admin,
    )  # fmt: skip
    lines = {
        "empty": [],
        "zero": [(ipl, 0)],
        "card": [(ipl, 1), (card, 1)],
        "package": [(inner, 1)],
        "twice": [(ipl, 1), (ipl.pk, 2)],
    }[components]
    _refused(
        code,
        services.create_item,
        chain,
        kind="package",
        code="K1",
        name="套餐",
        price_amount="100",
        components=lines,
        by=hq_admin,
    )
    assert PackageComponent.objects.count() == 1  # only the inner package's line


def test_a_package_cannot_contain_itself(chain, hq_admin, ipl):
    package = services.create_item(
        chain, kind="package", code="K1", name="套餐", price_amount="1", components=[(ipl, 1)],
        by=hq_admin,
    )  # fmt: skip
    with pytest.raises(BusinessError) as refused:
        services.update_item(package, components=[(ipl, 1), (package, 1)], by=hq_admin)
    assert refused.value.code in {"package_contains_itself", "package_component_kind"}
    assert list(package.components.values_list("item_id", flat=True)) == [ipl.pk]


def test_cards(chain, hq_admin, ipl, make_stocked):
    stored = services.create_item(
        chain, kind="card", code="C1", name="储值卡 10000", price_amount="10000",
        card_type="stored_value", card_value_amount="11000", by=hq_admin,
    )  # fmt: skip
    assert stored.card_value_amount == Decimal("11000.00") and stored.unit == "张"
    sessions = services.create_item(
        chain, kind="card", code="C2", name="光子嫩肤6次卡", price_amount="6000",
        card_type="sessions", card_sessions=6, card_service=ipl, valid_days=365, by=hq_admin,
    )  # fmt: skip
    assert (sessions.card_sessions, sessions.card_service_id) == (6, ipl.pk)
    mask = make_stocked("P1", "医用面膜", "98", kind="product")
    base = {"kind": "card", "code": "C9", "name": "卡", "price_amount": "1", "by": hq_admin}
    _refused("card_value_required", services.create_item, chain, card_type="stored_value",
             card_value_amount="0", **base)  # fmt: skip
    _refused("invalid_number", services.create_item, chain, card_type="sessions",
             card_sessions=0, card_service=ipl, **base)  # fmt: skip
    _refused("card_service_not_service", services.create_item, chain, card_type="sessions",
             card_sessions=3, card_service=mask, **base)  # fmt: skip
    _refused("card_type_required", services.create_item, chain, **base)
    _refused("invalid_number", services.create_item, chain, card_type="stored_value",
             card_value_amount="100", valid_days=0, **base)  # fmt: skip


def test_material_usage(chain, hq_admin, ipl, make_stocked):
    gel = make_stocked("D1", "冷凝胶", "20", kind="product", unit="ml")
    loose = services.create_item(
        chain, kind="product", code="P9", name="赠品小样", price_amount="0", by=hq_admin
    )
    services.set_material_usage(ipl, materials=[(gel, "0.5")], by=hq_admin)
    assert MaterialUsage.objects.get(service=ipl).quantity == Decimal("0.500")
    with pytest.raises(BusinessError, match="material_not_stocked"):
        services.set_material_usage(ipl, materials=[(loose, "1")], by=hq_admin)
    with pytest.raises(BusinessError, match="invalid_quantity"):
        services.set_material_usage(ipl, materials=[(gel, "0")], by=hq_admin)
    assert MaterialUsage.objects.get(service=ipl).quantity == Decimal("0.500")
    # a material in use keeps its stock tracking
    with pytest.raises(BusinessError, match="material_in_use"):
        services.update_item(gel, track_stock=False, by=hq_admin)


def test_update_and_deactivate(chain, hq_admin, ipl):
    services.update_item(ipl, price_amount="1380.00", name="光子嫩肤 全脸", by=hq_admin)
    ipl.refresh_from_db()
    assert ipl.price_amount == Decimal("1380.00") and ipl.name_initials == "gznfql"
    log = AuditLog.objects.get(action="item.updated")
    assert log.before["price_amount"] == "1280.00" and log.after["price_amount"] == "1380.00"
    with pytest.raises(BusinessError, match="kind_immutable"):
        services.update_item(ipl, kind="product", by=hq_admin)
    services.deactivate_item(ipl, by=hq_admin)
    ipl.refresh_from_db()
    assert ipl.is_active is False


def test_store_roles_cannot_manage_items(chain, store_a_manager, store_a_consultant, skin):
    for staff in (store_a_manager, store_a_consultant):
        with pytest.raises(BusinessError) as refused:
            services.create_item(
                chain, kind="service", code="S1", name="光子嫩肤", price_amount="1",
                department=skin, by=staff,
            )  # fmt: skip
        assert refused.value.code == "forbidden" and refused.value.status == 403
        with pytest.raises(BusinessError, match="forbidden"):
            services.create_category(chain, name="医疗美容", by=staff)
    assert not Item.objects.exists()
