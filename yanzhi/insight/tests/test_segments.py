"""Saved segments: validation naming the field, members from tags + scores + purchases, the
viewer's scope, the live count, and the pages."""

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.insight import services
from yanzhi.insight.models import Segment
from yanzhi.insight.scoring import refresh_scores
from yanzhi.insight.tests.conftest import TODAY
from yanzhi.org.policy import scope_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(chain, purchases):
    refresh_scores(chain, day=TODAY)
    return purchases


def member_names(segment, staff):
    return {c.name for c in services.members_of(segment, scope_for(staff))}


def save(staff, definition, store=None, name="客群"):
    return services.create_segment(
        staff.org, name=name, store=store, definition=definition, by=staff
    )


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        ({"growth_types": ["fast_growing"]}, {"c2", "c3"}),
        ({"rfm_segments": ["important_value", "important_keep"]}, {"c3", "c5"}),
        ({"abc_classes": ["B"], "activities": ["active"]}, {"c2"}),
        ({"age_bands": ["under_18", "unknown"]}, {"c4", "c6"}),
        ({"item_ids": ["hydro"]}, {"c1", "c3"}),  # any time; c6's order was refunded
        ({"department_ids": ["inject"]}, {"c2", "c5"}),
        ({"deal_statuses": ["repeat"], "department_ids": ["skin"]}, {"c3"}),
        ({}, {"c1", "c2", "c3", "c4", "c5", "c6"}),
    ],
)
def test_members_follow_the_definition(hq_admin, computed, items, departments, definition,
                                       expected):  # fmt: skip
    ids = {**{k: v.pk for k, v in items.items()}, **{k: v.pk for k, v in departments.items()}}
    for key in ("item_ids", "department_ids"):
        if key in definition:
            definition[key] = [ids[v] for v in definition[key]]
    segment = save(hq_admin, definition)
    assert member_names(segment, hq_admin) == {f"客户{n}" for n in expected}


def test_members_stay_inside_the_viewers_scope(hq_admin, store_a_consultant, store_a_manager,
                                               computed):  # fmt: skip
    segment = save(hq_admin, {"deal_statuses": ["first", "repeat"]})
    assert member_names(segment, hq_admin) == {f"客户c{i}" for i in range(1, 6)}
    assert member_names(segment, store_a_manager) == {f"客户c{i}" for i in range(1, 5)}
    assert member_names(segment, store_a_consultant) == {"客户c1", "客户c2"}


def test_a_store_segment_holds_only_that_stores_customers(hq_admin, store_b, computed):
    segment = save(hq_admin, {}, store=store_b)
    assert member_names(segment, hq_admin) == {"客户c5", "客户c6"}


def test_bad_definitions_name_the_field_and_save_nothing(hq_admin, other_chain, computed):
    from yanzhi.org.models import Department

    foreign = Department.objects.create(org=other_chain, name="别家科室")
    cases = [
        ({"rfm_segments": ["vip"]}, "rfm_segments"),
        ({"activities": ["awake"]}, "activities"),
        ({"abc_classes": ["D"]}, "abc_classes"),
        ({"department_ids": [foreign.pk]}, "department_ids"),
        ({"item_ids": ["x"]}, "item_ids"),
        ({"has_arrears": "maybe"}, "has_arrears"),
    ]
    for definition, field in cases:
        with pytest.raises(BusinessError) as caught:
            save(hq_admin, definition)
        assert field in caught.value.fields, definition
    with pytest.raises(BusinessError) as caught:
        save(hq_admin, {}, name=" ")
    assert "name" in caught.value.fields
    assert not Segment.objects.exists()


def test_only_hq_saves_chain_wide_segments(store_a_manager, store_a, store_b, computed):
    with pytest.raises(BusinessError) as caught:
        save(store_a_manager, {})
    assert "store_id" in caught.value.fields
    with pytest.raises(BusinessError) as caught:
        save(store_a_manager, {}, store=store_b)
    assert caught.value.status == 404
    assert save(store_a_manager, {}, store=store_a).store == store_a


def test_manager_cannot_change_a_chain_segment(hq_admin, store_a_manager, computed):
    segment = save(hq_admin, {}, name="全连锁")
    with pytest.raises(BusinessError) as caught:
        services.update_segment(segment, name="改", store=None, definition={}, by=store_a_manager)
    assert caught.value.status == 403
    segment.refresh_from_db()
    assert segment.name == "全连锁"


def test_live_count_and_form_pages(client_for, hq_admin, computed):
    client = client_for(hq_admin)
    count = client.get("/segments/count/?growth_types=fast_growing", HTTP_HX_REQUEST="true")
    assert "当前2位客户" in count.content.decode()
    bad = client.get("/segments/count/?growth_types=rocket", HTTP_HX_REQUEST="true")
    assert "成长类型无效" in bad.content.decode()
    assert client.get("/segments/new/").status_code == 200
    # an invalid post is a 422 naming the field, nothing saved
    response = client.post("/segments/new/", {"name": "", "growth_types": "fast_growing"})
    assert response.status_code == 422
    assert "请填写客群名称" in response.content.decode()
    assert not Segment.objects.exists()
    # a valid post saves and shows the members
    response = client.post("/segments/new/", {"name": "快速成长", "growth_types": ["fast_growing"]})
    segment = Segment.objects.get()
    assert response.status_code == 302 and response.url == f"/segments/{segment.pk}/"
    detail = client.get(f"/segments/{segment.pk}/").content.decode()
    assert "客户c2" in detail and "客户c3" in detail and "客户c1" not in detail
    assert "快速成长" in client.get("/segments/").content.decode()
    edit = client.post(
        f"/segments/{segment.pk}/edit/", {"name": "沉睡", "growth_types": ["sleeping"]}
    )
    assert edit.status_code == 302
    assert "客户c5" in client.get(f"/segments/{segment.pk}/").content.decode()
    assert client.post(f"/segments/{segment.pk}/delete/").status_code == 302
    assert not Segment.objects.exists()


def test_other_stores_segments_are_404(client_for, hq_admin, store_a, store_b_consultant,
                                       store_a_manager, computed):  # fmt: skip
    segment = save(hq_admin, {}, store=store_a)
    client = client_for(store_b_consultant)
    assert client.get(f"/segments/{segment.pk}/").status_code == 404
    assert client.get(f"/segments/{segment.pk}/sms/").status_code == 403  # no campaign right
    assert client_for(store_a_manager).get(f"/segments/{segment.pk}/").status_code == 200
