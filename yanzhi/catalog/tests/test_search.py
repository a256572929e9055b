"""Items are found by code, name, full pinyin or pinyin initials — within the scope."""

import pytest

from yanzhi.catalog import queries
from yanzhi.org.policy import scope_for


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("S002", {"热玛吉 全脸"}),
        ("热玛吉", {"热玛吉 全脸"}),
        ("rmj", {"热玛吉 全脸"}),
        ("GZNF", {"光子嫩肤"}),
        ("guangzi", {"光子嫩肤"}),
        ("s00", {"光子嫩肤", "热玛吉 全脸"}),
        ("xyz", set()),
    ],
)
def test_search(seed_chain, hq_admin, q, expected):
    found = queries.item_list(scope_for(hq_admin), q=q)
    assert {item.name for item in found} == expected


def test_category_filter_includes_subcategories(chain, hq_admin, make_service):
    from yanzhi.catalog import services

    top = services.create_category(chain, name="医疗美容", by=hq_admin)
    mid = services.create_category(chain, name="光电项目", parent=top, by=hq_admin)
    other = services.create_category(chain, name="口腔", by=hq_admin)
    make_service("S1", "光子嫩肤", "1280", category=mid)
    make_service("S2", "冷光美白", "1980", category=other)
    found = queries.item_list(scope_for(hq_admin), category_id=top.pk)
    assert [i.name for i in found] == ["光子嫩肤"]
