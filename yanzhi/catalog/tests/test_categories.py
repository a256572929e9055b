"""Categories: four levels at most, on create and on move; no cycles; only empty ones go."""

import pytest

from yanzhi.catalog import services
from yanzhi.catalog.models import Category
from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog


@pytest.fixture
def four_levels(chain, hq_admin):
    l1 = services.create_category(chain, name="医疗美容", by=hq_admin)
    l2 = services.create_category(chain, name="皮肤美容", parent=l1, by=hq_admin)
    l3 = services.create_category(chain, name="光电项目", parent=l2, by=hq_admin)
    l4 = services.create_category(chain, name="光子嫩肤", parent=l3, by=hq_admin)
    return l1, l2, l3, l4


def test_levels_follow_the_parent(four_levels):
    assert [c.level for c in four_levels] == [1, 2, 3, 4]
    assert AuditLog.objects.filter(action="category.created").count() == 4


def test_a_fifth_level_is_refused(chain, hq_admin, four_levels):
    # when
    with pytest.raises(BusinessError) as refused:
        services.create_category(chain, name="第五级", parent=four_levels[3], by=hq_admin)
    # then
    assert refused.value.code == "category_too_deep"
    assert "四级" in str(refused.value.message)
    assert Category.objects.count() == 4


def test_moving_a_subtree_that_would_exceed_four_levels_is_refused(chain, hq_admin, four_levels):
    # given a two-level subtree elsewhere
    other = services.create_category(chain, name="注射美容", by=hq_admin)
    services.create_category(chain, name="玻尿酸", parent=other, by=hq_admin)
    # when it is moved under level 3, its child would be level 5
    with pytest.raises(BusinessError, match="category_too_deep"):
        services.move_category(other, parent=four_levels[2], by=hq_admin)
    # then nothing moved
    other.refresh_from_db()
    assert other.parent_id is None and other.level == 1
    assert not AuditLog.objects.filter(action="category.moved").exists()


def test_moving_a_subtree_shifts_every_level(chain, hq_admin, four_levels):
    l1, l2, l3, l4 = four_levels
    top = services.create_category(chain, name="光电中心", by=hq_admin)
    # when 光电项目 (with 光子嫩肤 under it) moves under a new top-level category
    services.move_category(l3, parent=top, by=hq_admin)
    # then
    l3.refresh_from_db()
    l4.refresh_from_db()
    assert (l3.parent_id, l3.level, l4.level) == (top.pk, 2, 3)
    assert AuditLog.objects.filter(action="category.moved", object_id=str(l3.pk)).exists()


def test_moving_under_its_own_descendant_is_refused(hq_admin, four_levels):
    l1, l2, l3, _l4 = four_levels
    with pytest.raises(BusinessError, match="category_cycle"):
        services.move_category(l2, parent=l3, by=hq_admin)
    l2.refresh_from_db()
    assert l2.parent_id == l1.pk


def test_delete_only_an_empty_category(chain, hq_admin, four_levels, make_service):
    l1, _l2, l3, l4 = four_levels
    make_service("S100", "光子嫩肤", "1280.00", category=l4)
    with pytest.raises(BusinessError, match="category_not_empty"):
        services.delete_category(l3, by=hq_admin)  # has a child
    with pytest.raises(BusinessError, match="category_not_empty"):
        services.delete_category(l4, by=hq_admin)  # has an item
    assert Category.objects.count() == 4
    empty = services.create_category(chain, name="空分类", parent=l1, by=hq_admin)
    services.delete_category(empty, by=hq_admin)
    assert not Category.objects.filter(pk=empty.pk).exists()


def test_duplicate_name_under_the_same_parent_is_refused(chain, hq_admin, four_levels):
    with pytest.raises(BusinessError, match="duplicate_category"):
        services.create_category(chain, name="皮肤美容", parent=four_levels[0], by=hq_admin)
    sibling = services.create_category(chain, name="注射项目", parent=four_levels[1], by=hq_admin)
    with pytest.raises(BusinessError, match="duplicate_category"):
        services.rename_category(sibling, name=" 光电项目 ", by=hq_admin)
    sibling.refresh_from_db()
    assert sibling.name == "注射项目"
