"""name_keys gives exactly the two keys name_pinyin and name_initials compute one by one."""

import pytest

from yanzhi.core.search import name_initials, name_keys, name_pinyin


@pytest.mark.parametrize("name", ["张伟", "曾丽娜", "单婷婷", "欧阳晓燕", "长孙无忌", "Tom 李", ""])
def test_name_keys_are_name_pinyin_and_name_initials(name):
    assert name_keys(name) == (name_pinyin(name), name_initials(name))
