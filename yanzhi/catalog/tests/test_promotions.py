"""Promotions (活动) as master data: HQ runs them chain-wide or in chosen stores, a store manager
in their own store; every refusal names its field in Chinese and changes nothing; scope over
HTTP (another store's promotion is a 404) and the API over real HTTP."""

from datetime import date
from decimal import Decimal

import pytest

from yanzhi.catalog.models import Item, Promotion, PromotionItem, StoreItem
from yanzhi.catalog.promotion_services import create_promotion, end_promotion, update_promotion
from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.org.tests.factories import make_staff

pytestmark = pytest.mark.django_db


def make_item(org, code, name, price, kind=Item.Kind.SERVICE, **extra):
    return Item.objects.create(
        org=org, kind=kind, code=code, name=name, price_amount=Decimal(price), **extra
    )


def assign(item, store, price=None):
    StoreItem.objects.create(
        org_id=store.org_id,
        store=store,
        item=item,
        free_pricing=price is not None,
        price_amount=Decimal(price) if price else None,
    )
    return item


@pytest.fixture
def hydra(chain, store_a, store_b):
    item = make_item(chain, "S01", "水光针", "1000.00")
    assign(item, store_a)
    return assign(item, store_b, price="900.00")  # store B sells it at its own ¥900


@pytest.fixture
def card(chain, store_a):
    """A stored-value card sold only in store A."""
    return assign(
        make_item(
            chain,
            "C01",
            "万元储值卡",
            "10000.00",
            kind=Item.Kind.CARD,
            card_type=Item.CardType.STORED_VALUE,
            card_value_amount=Decimal("11000.00"),
        ),
        store_a,
    )


@pytest.fixture
def store_b_manager(chain, store_b):
    return make_staff(chain, "store_manager", [store_b], name="B店长", username="b_manager")


def promotion_of(store, hydra, by, **extra):
    return create_promotion(
        store.org,
        name=extra.pop("name", "三月水光"),
        start_date=extra.pop("start_date", "2026-03-01"),
        end_date=extra.pop("end_date", "2026-03-31"),
        store_ids=extra.pop("store_ids", [store.pk]),
        items=extra.pop("items", [(hydra.pk, "600.00", 2)]),
        by=by,
        **extra,
    )


def test_hq_creates_a_chain_promotion_targeted_by_tags(chain, hq_admin, hydra, card):
    # when
    promotion = create_promotion(
        chain,
        name="沉睡会员复查回馈",
        start_date="2026-03-01",
        end_date="2026-03-31",
        target={"activities": ["sleeping"], "last_visit_types": ["checkup"]},
        items=[(hydra.pk, "600.00", 1), (card.pk, "9000.00", None)],
        by=hq_admin,
    )
    # then
    assert promotion.all_stores and not promotion.stores.exists()
    assert promotion.target_tags["activities"] == ["sleeping"]
    assert promotion.target_tags["last_visit_types"] == ["checkup"]
    rows = list(promotion.items.values_list("item__code", "price_amount", "limit_per_customer"))
    assert rows == [("S01", Decimal("600.00"), 1), ("C01", Decimal("9000.00"), None)]
    log = AuditLog.objects.get(action="promotion.created")
    assert log.after["items"] == [[hydra.pk, "600.00", 1], [card.pk, "9000.00", None]]


BAD = [
    (
        {"start_date": "2026-03-31", "end_date": "2026-03-01"},
        "end_date",
        "结束日期不能早于开始日期",
    ),
    ({"items": "negative"}, "items.0.price_amount", "活动价不能为负数"),
    ({"items": "above"}, "items.0.price_amount", "不能高于门店“静安店”的原价 1000.00 元"),
    ({"items": "above_b"}, "items.0.price_amount", "不能高于门店“浦东店”的原价 900.00 元"),
    ({"items": "card_in_b"}, "items.0.item_id", "未在门店“浦东店”销售"),
    ({"target": {"activities": ["asleep"]}}, "target", "会员活跃度无效"),
    ({"target": {"last_visit_types": ["spa"]}}, "target", "到访类型无效"),
    ({"items": "limit"}, "items.0.limit_per_customer", "每人限购须为1到9999之间的整数"),
    ({"items": []}, "items", "请至少添加一个活动项目"),
    ({"name": " "}, "name", "请填写活动名称"),
    ({"store_ids": ["999999"]}, "store_ids", "所选门店不存在或已停用"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD)
def test_bad_input_is_refused_by_field_in_chinese_and_changes_nothing(
    chain, hq_admin, hydra, card, store_a, store_b, change, field, message
):
    # given
    items = {
        "negative": [(hydra.pk, "-1", None)],
        "above": [(hydra.pk, "1000.01", None)],
        "above_b": [(hydra.pk, "950.00", None)],
        "card_in_b": [(card.pk, "100.00", None)],
        "limit": [(hydra.pk, "600.00", "0")],
    }
    kwargs = {
        "name": "三月水光",
        "start_date": "2026-03-01",
        "end_date": "2026-03-31",
        "store_ids": [store_a.pk, store_b.pk],
        "items": [(hydra.pk, "600.00", None)],
        **change,
    }
    if isinstance(kwargs["items"], str):
        kwargs["items"] = items[kwargs["items"]]
    # when
    with pytest.raises(BusinessError) as refused:
        create_promotion(chain, by=hq_admin, **kwargs)
    # then
    assert field in refused.value.fields
    assert message in str(refused.value.message)
    assert not Promotion.objects.exists() and not PromotionItem.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="promotion.").exists()


def test_a_store_manager_runs_promotions_in_their_own_store_only(
    chain, store_a_manager, hydra, store_a, store_b
):
    # their own store: fine
    own = promotion_of(store_a, hydra, store_a_manager)
    assert list(own.stores.all()) == [store_a]
    # chain-wide or another store: refused
    for store_ids, message in (([], "请选择本店"), ([store_b.pk], "只能为您所在的门店")):
        with pytest.raises(BusinessError, match=message):
            promotion_of(store_a, hydra, store_a_manager, store_ids=store_ids, name="越权")
    assert Promotion.objects.count() == 1


def test_a_consultant_cannot_run_promotions(chain, store_a_consultant, hydra, store_a):
    with pytest.raises(BusinessError) as refused:
        promotion_of(store_a, hydra, store_a_consultant)
    assert refused.value.status == 403 and not Promotion.objects.exists()


def test_update_replaces_items_and_is_audited_and_end_stops_it(
    chain, hq_admin, hydra, card, store_a
):
    promotion = promotion_of(store_a, hydra, hq_admin)
    update_promotion(
        promotion,
        name="三月水光(加码)",
        start_date="2026-03-01",
        end_date="2026-04-15",
        store_ids=[store_a.pk],
        items=[(hydra.pk, "500.00", None), (card.pk, "9500.00", 1)],
        by=hq_admin,
    )
    promotion.refresh_from_db()
    assert promotion.end_date == date(2026, 4, 15)
    assert sorted(promotion.items.values_list("price_amount", flat=True)) == [
        Decimal("500.00"),
        Decimal("9500.00"),
    ]
    log = AuditLog.objects.get(action="promotion.updated")
    assert log.before["end_date"] == "2026-03-31" and log.after["end_date"] == "2026-04-15"
    end_promotion(promotion, by=hq_admin)
    promotion.refresh_from_db()
    assert not promotion.is_active and promotion.ended_at is not None
    with pytest.raises(BusinessError, match="已结束"):
        update_promotion(
            promotion,
            name="x",
            start_date="2026-03-01",
            end_date="2026-03-02",
            items=[(hydra.pk, "1", None)],
            by=hq_admin,
        )


# --- pages and scope over HTTP ------------------------------------------------------------------
def test_store_b_manager_cannot_see_or_edit_store_a_promotions(
    client_for, store_a_manager, store_b_manager, hydra, store_a
):
    promotion = promotion_of(store_a, hydra, store_a_manager)
    b = client_for(store_b_manager)
    for url in (
        f"/catalog/promotions/{promotion.pk}/",
        f"/catalog/promotions/{promotion.pk}/edit/",
    ):
        assert b.get(url).status_code == 404
    assert b.post(f"/catalog/promotions/{promotion.pk}/end/").status_code == 404
    assert "三月水光" not in b.get("/catalog/promotions/?status=all").content.decode()
    promotion.refresh_from_db()
    assert promotion.is_active


def test_a_chain_promotion_is_visible_but_not_editable_for_a_store_manager(
    client_for, chain, hq_admin, store_a_manager, hydra
):
    promotion = create_promotion(
        chain,
        name="全店水光",
        start_date="2026-03-01",
        end_date="2026-03-31",
        items=[(hydra.pk, "800.00", None)],
        by=hq_admin,
    )
    client = client_for(store_a_manager)
    page = client.get(f"/catalog/promotions/{promotion.pk}/")
    assert page.status_code == 200 and "全店水光" in page.content.decode()
    assert "编辑" not in page.content.decode()
    assert client.get(f"/catalog/promotions/{promotion.pk}/edit/").status_code == 404


def test_the_form_creates_a_promotion_and_shows_errors_with_422(
    client_for, store_a_manager, hydra, store_a
):
    client = client_for(store_a_manager)
    assert client.get("/catalog/promotions/new/").status_code == 200
    data = {
        "name": "本店水光",
        "start_date": "2026-03-10",
        "end_date": "2026-03-01",
        "store": [str(store_a.pk)],
        "activities": ["sleeping"],
        "item_id": [str(hydra.pk), ""],
        "price": ["600", ""],
        "limit": ["1", ""],
    }
    refused = client.post("/catalog/promotions/new/", data)
    assert refused.status_code == 422
    assert "结束日期不能早于开始日期" in refused.content.decode()
    assert not Promotion.objects.exists()
    data["end_date"] = "2026-03-31"
    created = client.post("/catalog/promotions/new/", data)
    assert created.status_code == 302
    promotion = Promotion.objects.get()
    assert promotion.target_tags["activities"] == ["sleeping"]
    assert list(promotion.items.values_list("price_amount", "limit_per_customer")) == [
        (Decimal("600.00"), 1)
    ]


def test_the_list_page_has_a_fixed_number_of_queries(
    client_for, chain, hq_admin, hydra, store_a, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(hq_admin)
    promotion_of(store_a, hydra, hq_admin, name="活动0")
    with CaptureQueriesContext(connection) as few:
        client.get("/catalog/promotions/?status=all")
    for n in range(1, 8):
        promotion_of(store_a, hydra, hq_admin, name=f"活动{n}")
    with django_assert_max_num_queries(len(few)):
        response = client.get("/catalog/promotions/?status=all")
    assert response.content.decode().count("活动7") == 1


# --- API over real HTTP ---------------------------------------------------------------------------
def test_api_create_list_get_update_end(api_for, store_a_manager, store_b_manager, hydra, store_a):
    api = api_for(store_a_manager)
    body = {
        "name": "本店水光",
        "start_date": "2026-03-01",
        "end_date": "2026-03-31",
        "store_ids": [store_a.pk],
        "target": {"activities": ["sleeping"], "last_visit_types": ["checkup"]},
        "items": [{"item_id": hydra.pk, "price_amount": "600.00", "limit_per_customer": 1}],
    }
    bad = api.post("/promotions", json={**body, "end_date": "2026-02-01"})
    assert bad.status_code == 422 and "end_date" in bad.json()["fields"]
    assert not Promotion.objects.exists()
    created = api.post("/promotions", json=body)
    assert created.status_code == 201, created.text
    pk = created.json()["id"]
    assert created.json()["items"][0]["price_amount"] == "600.00"
    assert created.json()["target"]["activities"] == ["sleeping"]
    listed = api.get("/promotions", params={"status": ""}).json()
    assert [p["id"] for p in listed["items"]] == [pk]
    assert api.get(f"/promotions/{pk}").json()["name"] == "本店水光"
    updated = api.put(f"/promotions/{pk}", json={**body, "name": "本店水光2"})
    assert updated.status_code == 200 and updated.json()["name"] == "本店水光2"
    # store B's manager: the promotion does not exist
    b = api_for(store_b_manager)
    assert b.get(f"/promotions/{pk}").status_code == 404
    assert b.put(f"/promotions/{pk}", json=body).status_code == 404
    assert b.post(f"/promotions/{pk}/end").status_code == 404
    assert b.get("/promotions", params={"status": ""}).json()["count"] == 0
    ended = api.post(f"/promotions/{pk}/end")
    assert ended.status_code == 200 and ended.json()["is_active"] is False
