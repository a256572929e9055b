import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.customers import services
from yanzhi.customers.models import SourceChannel, Tag


def test_tag_colour_must_be_hex(chain, store_a_manager):
    with pytest.raises(BusinessError) as exc:
        services.create_tag(chain, name="VIP", color="red", by=store_a_manager)
    assert "color" in exc.value.fields and not Tag.objects.exists()
    tag = services.create_tag(chain, name="VIP", color="#D63384", by=store_a_manager)
    assert tag.color == "#d63384"
    with pytest.raises(BusinessError):
        services.create_tag(chain, name="VIP", color="#000000", by=store_a_manager)


def test_only_managers_manage_tags(chain, store_a_front_desk):
    with pytest.raises(BusinessError):
        services.create_tag(chain, name="VIP", color="#000000", by=store_a_front_desk)


def test_setting_and_deleting_tags(chain, create, store_a_manager, store_a_front_desk):
    vip = services.create_tag(chain, name="VIP", color="#d63384", by=store_a_manager)
    skin = services.create_tag(chain, name="敏感肌", color="#0d6efd", by=store_a_manager)
    customer = create()
    services.set_customer_tags(customer, [vip.pk, skin.pk], by=store_a_front_desk)
    assert set(customer.tags.all()) == {vip, skin}
    entry = AuditLog.objects.get(action="customer.tags_changed")
    assert entry.after == {"tag_ids": sorted([vip.pk, skin.pk])}
    # when: a tag is deleted it comes off the customer
    assert services.delete_tag(vip, by=store_a_manager) == 1
    assert list(customer.tags.all()) == [skin]


def test_tags_of_another_chain_are_refused(
    create, other_chain, other_chain_admin, store_a_front_desk
):
    foreign = services.create_tag(other_chain, name="VIP", color="#000000", by=other_chain_admin)
    customer = create()
    with pytest.raises(BusinessError):
        services.set_customer_tags(customer, [foreign.pk], by=store_a_front_desk)
    assert not customer.tags.exists()


def test_tag_api(api_for, store_a_manager, store_a_front_desk, create):
    api = api_for(store_a_manager)
    tag = api.post("/tags", json={"name": "VIP", "color": "#d63384"})
    assert tag.status_code == 201
    bad = api.post("/tags", json={"name": "X", "color": "pink"})
    assert bad.status_code == 400 and "color" in bad.json()["fields"]
    assert (
        api.patch(f"/tags/{tag.json()['id']}", json={"name": "至尊VIP"}).json()["name"] == "至尊VIP"
    )
    customer = create()
    put = api_for(store_a_front_desk).put(
        f"/customers/{customer.pk}/tags", json={"tag_ids": [tag.json()["id"]]}
    )
    assert put.status_code == 200 and put.json()[0]["name"] == "至尊VIP"
    assert api_for(store_a_front_desk).delete(f"/tags/{tag.json()['id']}").status_code == 403
    assert api.delete(f"/tags/{tag.json()['id']}").status_code == 204
    assert not Tag.objects.exists()


def test_channels(chain, store_a_manager, api_for, client_for):
    channel = services.create_channel(chain, name="美团点评", kind="ecommerce", by=store_a_manager)
    with pytest.raises(BusinessError):
        services.create_channel(chain, name="美团点评", by=store_a_manager)
    services.update_channel(channel, by=store_a_manager, is_active=False)
    channel.refresh_from_db()
    assert channel.is_active is False
    api = api_for(store_a_manager)
    assert api.post("/channels", json={"name": "新氧", "kind": "ecommerce"}).status_code == 201
    assert [c["name"] for c in api.get("/channels", params={"active": True}).json()] == ["新氧"]
    page = client_for(store_a_manager).get("/customers/channels/")
    assert page.status_code == 200 and "美团点评" in page.content.decode()
    response = client_for(store_a_manager).post(
        "/customers/channels/", {"name": "", "kind": "other"}
    )
    assert response.status_code == 422
    assert SourceChannel.objects.count() == 2


def test_tag_page(client_for, store_a_manager, store_a_front_desk):
    client = client_for(store_a_manager)
    assert client.post("/customers/tags/", {"name": "VIP", "color": "#d63384"}).status_code == 302
    response = client.post("/customers/tags/", {"name": "VIP", "color": "#d63384"})
    assert response.status_code == 422 and "已有同名标签" in response.content.decode()
    assert client_for(store_a_front_desk).get("/customers/tags/").status_code == 403
