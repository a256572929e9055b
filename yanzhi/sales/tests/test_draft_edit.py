"""The draft-order edit page (修改草稿): lines, quantity, per-line discount, type, visit, channel
and note with a running total; saving calls update_draft, 提交收银 submits; bad input → 422
and the draft unchanged; reachable from the order page while a draft (also after 反结)."""

from decimal import Decimal

from yanzhi.customers.models import SourceChannel
from yanzhi.sales import services
from yanzhi.sales.models import Order
from yanzhi.visits.services import register_arrival


def _draft(customer, store, by, lines):
    return services.open_order(customer, store=store, by=by, lines=lines, order_type="医美")


def _form(lines, **extra):
    return {
        "item_id": [item.pk for item, _q, _d in lines],
        "quantity": [str(q) for _i, q, _d in lines],
        "discount": [str(d) for _i, _q, d in lines],
        **extra,
    }


def test_edit_page_prices_saves_and_submits(
    client_for, store_a, store_a_consultant, store_a_front_desk, customer, hydra, cream, chain
):
    # given a draft with one line, a visit of the customer at store A and a sales channel
    order = _draft(customer, store_a, store_a_consultant, [(hydra.pk, 1, 0)])
    visit = register_arrival(store_a, customer=customer, by=store_a_front_desk)
    channel = SourceChannel.objects.create(org=chain, name="小红书")
    c = client_for(store_a_consultant)
    # the order page offers 修改 while it is a draft
    assert f"/orders/{order.pk}/edit/" in c.get(f"/orders/{order.pk}/").content.decode()
    page = c.get(f"/orders/{order.pk}/edit/").content.decode()
    assert "水光针" in page and "小红书" in page and 'name="visit"' in page
    # when the screen changes: a running total, nothing saved yet
    r = c.post(
        f"/orders/{order.pk}/edit/",
        _form([(hydra, 2, "100"), (cream, 1, "0")]),
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and "¥2,100.00" in r.content.decode()
    order.refresh_from_db()
    assert order.payable_amount == Decimal("1000.00") and order.lines.count() == 1
    # when saved
    r = c.post(
        f"/orders/{order.pk}/edit/",
        _form(
            [(hydra, 2, "100"), (cream, 1, "0")],
            order_type="生活美容",
            visit=str(visit.pk),
            sales_channel=str(channel.pk),
            note="改为两次",
            action="save",
        ),
        HTTP_HX_REQUEST="true",
    )
    # then the draft holds the new lines and references
    assert r.headers["HX-Redirect"] == f"/orders/{order.pk}/"
    order.refresh_from_db()
    assert (order.status, order.payable_amount, order.discount_amount) == (
        "draft",
        Decimal("2100.00"),
        Decimal("100.00"),
    )
    assert (order.order_type, order.visit_id, order.sales_channel_id, order.note) == (
        "生活美容",
        visit.pk,
        channel.pk,
        "改为两次",
    )
    assert sorted(order.lines.values_list("item_id", "quantity")) == sorted(
        [(hydra.pk, 2), (cream.pk, 1)]
    )
    # when 保存并提交收银: the order waits for payment, and is no longer editable
    r = c.post(
        f"/orders/{order.pk}/edit/",
        _form([(hydra, 1, "0")], order_type="医美", action="submit"),
        HTTP_HX_REQUEST="true",
    )
    order.refresh_from_db()
    assert r.headers["HX-Redirect"] == f"/orders/{order.pk}/"
    assert order.status == "pending" and order.payable_amount == Decimal("1000.00")
    assert order.visit_id is None and order.sales_channel_id is None
    assert c.get(f"/orders/{order.pk}/edit/").status_code == 302
    assert f"/orders/{order.pk}/edit/" not in c.get(f"/orders/{order.pk}/").content.decode()


def test_reversed_order_is_editable_again(client_for, store_a_consultant, open_pending, hydra):
    # given a pending order reversed to draft (反结)
    order = open_pending([(hydra.pk, 1, 0)])
    c = client_for(store_a_consultant)
    assert c.post(f"/orders/{order.pk}/reverse/").status_code == 302
    # then the order page links to the edit page, which edits it
    assert f"/orders/{order.pk}/edit/" in c.get(f"/orders/{order.pk}/").content.decode()
    r = c.post(
        f"/orders/{order.pk}/edit/",
        _form([(hydra, 3, "0")], order_type="医美", action="save"),
        HTTP_HX_REQUEST="true",
    )
    order.refresh_from_db()
    assert r.status_code == 200 and order.payable_amount == Decimal("3000.00")


def test_bad_input_is_refused_with_422_and_nothing_changes(
    client_for, store_a, store_b, store_a_consultant, customer, hydra, unassigned
):
    order = _draft(customer, store_a, store_a_consultant, [(hydra.pk, 1, 0)])
    c = client_for(store_a_consultant)
    url = f"/orders/{order.pk}/edit/"
    cases = [
        (_form([(hydra, 1, "1500")], action="save"), "优惠不能超过该行金额"),
        (_form([(hydra, -1, "0")], action="save"), "数量必须是大于0的整数"),
        (_form([(unassigned, 1, "0")], action="save"), "未分配到本门店"),
        ({"action": "save"}, "请至少添加一个项目"),
        (_form([(hydra, 2, "0")], visit="999999", action="save"), "到访记录不属于该客户或本门店"),
        (_form([(hydra, 2, "0")], sales_channel="999999", action="save"), "销售渠道不存在"),
    ]
    for form, message in cases:
        r = c.post(url, form, HTTP_HX_REQUEST="true")
        assert r.status_code == 422, message
        assert message in r.content.decode()
    order.refresh_from_db()
    assert order.payable_amount == Decimal("1000.00")
    assert list(order.lines.values_list("item_id", "quantity")) == [(hydra.pk, 1)]
    assert order.visit_id is None and order.sales_channel_id is None


def test_a_visit_at_another_store_is_refused(
    client_for, store_a, store_b, store_a_consultant, store_b_front_desk, customer, hydra
):
    # given the customer's visit at store B
    order = _draft(customer, store_a, store_a_consultant, [(hydra.pk, 1, 0)])
    from yanzhi.visits.models import Visit

    visit_b = register_arrival(store_b, customer=customer, by=store_b_front_desk)
    assert Visit.objects.filter(pk=visit_b.pk, store=store_b).exists()
    r = client_for(store_a_consultant).post(
        f"/orders/{order.pk}/edit/",
        _form([(hydra, 1, "0")], visit=str(visit_b.pk), action="save"),
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 422 and "到访记录不属于该客户或本门店" in r.content.decode()
    order.refresh_from_db()
    assert order.visit_id is None


def test_edit_page_scope(
    client_for,
    store_a,
    store_a_consultant,
    store_a_consultant_2,
    store_b_consultant,
    other_chain_admin,
    store_a_doctor,
    customer,
    hydra,
):
    order = _draft(customer, store_a, store_a_consultant, [(hydra.pk, 1, 0)])
    for staff in (store_b_consultant, store_a_consultant_2, other_chain_admin):
        c = client_for(staff)
        assert c.get(f"/orders/{order.pk}/edit/").status_code in (403, 404)
        r = c.post(
            f"/orders/{order.pk}/edit/",
            _form([(hydra, 5, "0")], action="save"),
            HTTP_HX_REQUEST="true",
        )
        assert r.status_code in (403, 404)
    assert client_for(store_b_consultant).get(f"/orders/{order.pk}/edit/").status_code == 404
    assert client_for(store_a_consultant_2).get(f"/orders/{order.pk}/edit/").status_code == 404
    # a doctor may not open orders at all
    assert client_for(store_a_doctor).get(f"/orders/{order.pk}/edit/").status_code == 403
    order.refresh_from_db()
    assert order.lines.get().quantity == 1 and Order.objects.count() == 1
