"""Fake people at chain scale: Chinese names with a realistic surname skew and deliberate pinyin
collisions (张伟 / 章薇 / 张薇 all read "zhangwei", many 张伟s), mobile numbers with real carrier
prefixes (unique in the chain, tails collide as they do in life), and 18-digit resident ID numbers
whose region, birth date, sequence (odd = male) and check character are valid.

Every draw takes the caller's `random.Random`, so the output depends only on the seed."""

import bisect
import itertools
import random
from datetime import date, timedelta

from yanzhi.core.validators import id_card_check_char
from yanzhi.customers.services import surname_of

# (surname, weight ‰ of the population, roughly); homophones on purpose: 张/章, 王/汪, 李/黎,
# 刘/柳, 陈/程 (cheng/chen differ), 杨/阳, 徐/许, 胡/扈, 周/邹 (differ), 孙/荪 …
SURNAMES = [
    ("王", 71), ("李", 70), ("张", 68), ("刘", 53), ("陈", 45), ("杨", 31), ("黄", 22),
    ("赵", 22), ("吴", 20), ("周", 19), ("徐", 16), ("孙", 15), ("马", 14), ("朱", 13),
    ("胡", 13), ("郭", 12), ("何", 11), ("林", 11), ("罗", 10), ("高", 10), ("郑", 9),
    ("梁", 9), ("谢", 8), ("宋", 8), ("唐", 8), ("许", 7), ("韩", 7), ("冯", 7), ("邓", 7),
    ("曹", 6), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 6), ("董", 5), ("袁", 5), ("潘", 5),
    ("蒋", 5), ("蔡", 5), ("余", 5), ("杜", 5), ("叶", 5), ("程", 5), ("苏", 4), ("魏", 4),
    ("吕", 4), ("丁", 4), ("任", 4), ("沈", 4), ("姚", 4), ("卢", 4), ("姜", 4), ("崔", 3),
    ("钟", 3), ("谭", 3), ("陆", 3), ("汪", 3), ("范", 3), ("金", 3), ("石", 3), ("廖", 3),
    ("贾", 3), ("夏", 3), ("韦", 3), ("付", 3), ("方", 3), ("白", 2), ("邹", 2), ("孟", 2),
    ("熊", 2), ("秦", 2), ("邱", 2), ("江", 2), ("尹", 2), ("薛", 2), ("闫", 2), ("段", 2),
    ("雷", 2), ("侯", 2), ("龙", 2), ("史", 2), ("陶", 2), ("黎", 2), ("贺", 2), ("顾", 2),
    ("毛", 2), ("郝", 2), ("龚", 2), ("邵", 2), ("万", 2), ("钱", 2), ("严", 2), ("覃", 1),
    ("武", 1), ("戴", 1), ("莫", 1), ("孔", 1), ("向", 1), ("汤", 1), ("章", 2), ("柳", 1),
    ("单", 1), ("解", 1), ("查", 1), ("欧阳", 1), ("司马", 1), ("上官", 1), ("诸葛", 1),
]  # fmt: skip

# Given names with weights: a few very common ones (伟, 芳, 静 …) make many exact duplicates;
# homophone sets (伟/薇/维/玮, 静/婧/晶, 丽/莉/俐, 敏/旻, 婷/亭, 欣/馨/昕, 佳/嘉, 琳/霖 …)
# make the same pinyin with different characters.
FEMALE_GIVEN = [
    ("芳", 40), ("娜", 34), ("敏", 30), ("静", 30), ("丽", 28), ("艳", 24), ("娟", 22),
    ("霞", 18), ("婷", 20), ("薇", 18), ("莉", 14), ("晶", 12), ("婧", 10), ("燕", 16),
    ("雪", 12), ("琳", 14), ("颖", 12), ("慧", 12), ("倩", 10), ("欣", 10), ("馨", 8),
    ("佳", 8), ("嘉", 6), ("怡", 10), ("悦", 8), ("瑶", 8), ("玲", 10), ("萍", 8), ("红", 10),
    ("梅", 8), ("秀英", 12), ("桂英", 6), ("晓红", 6), ("丽娟", 8), ("丽华", 6), ("美玲", 6),
    ("思涵", 8), ("雨萱", 8), ("梓涵", 8), ("诗琪", 6), ("可馨", 6), ("紫萱", 6), ("欣怡", 8),
    ("佳怡", 6), ("嘉怡", 4), ("晓燕", 6), ("晓敏", 6), ("婷婷", 10), ("晶晶", 6), ("静静", 4),
    ("丹丹", 6), ("莉莉", 4), ("亚楠", 4), ("雅琴", 4), ("春梅", 4), ("海燕", 4), ("文静", 6),
    ("旻", 2), ("亭", 2), ("俐", 2), ("昕", 3), ("霖", 2), ("菁", 3), ("蔚", 2), ("维", 2),
]  # fmt: skip
MALE_GIVEN = [
    ("伟", 40), ("强", 24), ("磊", 22), ("军", 20), ("勇", 18), ("杰", 18), ("涛", 16),
    ("斌", 12), ("超", 14), ("明", 12), ("刚", 10), ("平", 8), ("辉", 10), ("鹏", 10),
    ("华", 10), ("飞", 8), ("鑫", 8), ("波", 8), ("宁", 6), ("俊", 8), ("浩", 10), ("宇", 8),
    ("玮", 4), ("维", 3), ("威", 4), ("建国", 6), ("建华", 4), ("志强", 6), ("志明", 4),
    ("海峰", 4), ("子轩", 6), ("浩然", 6), ("宇航", 4), ("博文", 4), ("俊杰", 6), ("文博", 3),
]  # fmt: skip

# Carrier prefixes (移动/联通/电信/广电), weighted roughly by subscribers.
MOBILE_PREFIXES = [
    ("139", 9), ("138", 9), ("137", 7), ("136", 7), ("135", 7), ("150", 5), ("151", 5),
    ("152", 4), ("157", 2), ("158", 5), ("159", 5), ("182", 4), ("183", 3), ("187", 4),
    ("188", 4), ("198", 2), ("130", 4), ("131", 4), ("132", 3), ("155", 3), ("156", 3),
    ("185", 4), ("186", 5), ("166", 2), ("176", 2), ("133", 3), ("153", 3), ("177", 2),
    ("180", 3), ("181", 3), ("189", 4), ("199", 2), ("173", 2), ("192", 1),
]  # fmt: skip

# (region code, weight): the chain's catchment (Shanghai, Zhejiang, Jiangsu) plus migrants.
REGION_CODES = [
    ("310101", 6), ("310104", 6), ("310105", 5), ("310106", 5), ("310107", 5), ("310110", 5),
    ("310112", 6), ("310113", 4), ("310115", 10), ("310117", 3), ("330102", 3), ("330105", 3),
    ("330106", 4), ("330108", 3), ("330110", 3), ("330203", 2), ("330302", 2), ("320102", 3),
    ("320106", 3), ("320505", 3), ("320582", 2), ("320211", 2), ("340104", 2), ("360102", 2),
    ("410105", 2), ("420106", 2), ("430104", 2), ("510107", 2), ("110105", 2), ("440305", 2),
    ("370102", 2), ("350203", 1), ("500103", 1), ("610113", 1), ("210102", 1), ("230103", 1),
]  # fmt: skip


class FastRandom(random.Random):
    """random.Random with cheaper integer draws. CPython's randrange and choice go through
    _randbelow (getrandbits in a loop, ~0.5 µs); one random() scaled is several times faster.
    The bias (below 2**-40 for the ranges drawn here) is far under anything a test could see.
    Every other method (random, gauss, expovariate …) is random.Random's."""

    def randrange(self, start, stop=None):
        if stop is None:
            return int(self.random() * start)
        return start + int(self.random() * (stop - start))

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]


class Weighted:
    """A fast weighted choice: one bisect over cumulative weights per draw."""

    def __init__(self, pairs):
        self.values = [value for value, _weight in pairs]
        self.cumulative = list(itertools.accumulate(weight for _value, weight in pairs))
        self.total = self.cumulative[-1]

    def __call__(self, rng):
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


SURNAME = Weighted(SURNAMES)
FEMALE = Weighted(FEMALE_GIVEN)
MALE = Weighted(MALE_GIVEN)
PREFIX = Weighted(MOBILE_PREFIXES)
REGION = Weighted(REGION_CODES)


def name(rng, gender: str) -> str:
    given = FEMALE(rng) if gender == "female" else MALE(rng)
    if len(given) == 1 and rng.random() < 0.35:  # 张丽 → 张丽娜 now and then
        given += (FEMALE if gender == "female" else MALE)(rng)[:1]
    return SURNAME(rng) + given


def salutation(full_name: str, gender: str) -> str:
    """As customers.services.default_salutation words it (王女士 / 王先生)."""
    if gender == "female":
        return f"{surname_of(full_name)}女士"
    if gender == "male":
        return f"{surname_of(full_name)}先生"
    return full_name


def mobile(rng) -> str:
    return PREFIX(rng) + f"{int(rng.random() * 10**8):08d}"


_BIRTH_TEXTS: dict[date, str] = {}


def id_card(rng, birth: date, gender: str, region: str | None = None) -> str:
    region = region or REGION(rng)
    # Sequence (00–99) and parity digit (odd = male) in one draw.
    sequence = int(rng.random() * 500)
    parity = 2 * (sequence % 5) + (gender == "male")
    birth_text = _BIRTH_TEXTS.get(birth)
    if birth_text is None:
        birth_text = _BIRTH_TEXTS[birth] = f"{birth:%Y%m%d}"
    first17 = f"{region}{birth_text}{sequence // 5:02d}{parity}"
    return first17 + id_card_check_char(first17)


class Registry:
    """What must be unique in the chain: phones and ID numbers (kept as ints). The blocks of
    customers are drawn independently (in parallel); the main process checks each customer in
    customer order and redraws a duplicate from a generator seeded by the customer, so the
    result does not depend on the number of workers."""

    def __init__(self, seed: int):
        self.seed = seed
        self.phones: set[int] = set()
        self.id_cards: set[int] = set()

    def unique_phone(self, index: int, phone: str) -> str:
        attempt = 0
        while int(phone) in self.phones:
            attempt += 1
            phone = mobile(FastRandom(f"phone:{self.seed}:{index}:{attempt}"))
        self.phones.add(int(phone))
        return phone

    def unique_id_card(self, index: int, value: str, gender: str) -> str:
        if not value:
            return value
        attempt = 0
        while int(value[:17]) in self.id_cards:
            attempt += 1
            rng = FastRandom(f"id:{self.seed}:{index}:{attempt}")
            birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
            value = id_card(rng, birth, gender, region=value[:6])
        self.id_cards.add(int(value[:17]))
        return value


def birth_date(rng, today: date) -> date:
    """Ages 18–62, most between 23 and 45 (the clinics' customers)."""
    age = min(62.0, max(18.0, rng.gauss(33, 8)))
    return today - timedelta(days=int(age * 365.25) + int(rng.random() * 365))
