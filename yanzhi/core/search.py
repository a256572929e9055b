"""Precomputed search keys for names: full pinyin and initials (张伟 → zhangwei, zw)."""

import re

from pypinyin import Style, lazy_pinyin

# Characters read differently as a surname than in common words (曾 zēng, not céng).
SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "查": "zha",
    "仇": "qiu",
    "朴": "piao",
    "区": "ou",
    "乐": "yue",
    "覃": "qin",
    "召": "shao",
    "繁": "po",
    "盖": "ge",
    "翟": "zhai",
    "黑": "he",
    "缪": "miao",
    "隗": "wei",
    "秘": "bi",
    "长孙": "zhang sun",
    "尉迟": "yu chi",
    "万俟": "mo qi",
    "种": "chong",
    "员": "yun",
    "柏": "bai",
    "藏": "zang",
    "重": "chong",
    "那": "na",
    "折": "she",
}


def _latin_words(chars: str) -> list[str]:
    """Non-Chinese runs (Latin names, digits) count word by word."""
    return re.findall(r"[A-Za-z0-9]+", chars)


def _syllables(name: str) -> list[str]:
    name = (name or "").strip()
    for surname in sorted(SURNAME_READINGS, key=len, reverse=True):
        if name.startswith(surname):
            rest = lazy_pinyin(name[len(surname) :], style=Style.NORMAL, errors=_latin_words)
            # A two-character surname counts as two initials (长孙 → zs).
            return SURNAME_READINGS[surname].split() + rest
    return lazy_pinyin(name, style=Style.NORMAL, errors=_latin_words)


def name_pinyin(name: str) -> str:
    return "".join(s.lower() for s in _syllables(name) if s.isalnum())


def name_initials(name: str) -> str:
    return "".join(s[0].lower() for s in _syllables(name) if s and s[0].isalnum())


def name_keys(name: str) -> tuple[str, str]:
    """(name_pinyin(name), name_initials(name)) from one pinyin conversion."""
    syllables = _syllables(name)
    return (
        "".join(s.lower() for s in syllables if s.isalnum()),
        "".join(s[0].lower() for s in syllables if s and s[0].isalnum()),
    )
