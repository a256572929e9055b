"""Deterministic fake people for demo data (and, later, the scale generator): Chinese names with
realistic surname skew and pinyin collisions, valid mobile numbers and valid ID card numbers."""

import random
from datetime import date, timedelta

from yanzhi.core.validators import id_card_check_char

# The most common surnames, roughly by frequency (王李张刘陈 cover ~30% of China).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "章钟姜崔谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单"
)
# Zipf-like skew (exponent 0.7): 王 about 7%, as in China's population.
SURNAME_WEIGHTS = [1 / (rank + 1) ** 0.7 for rank in range(len(SURNAMES))]
FEMALE_GIVEN = (
    "丽娜静敏燕艳芳娟霞婷雪琳颖慧倩薇佳欣怡悦晶晶梦瑶思涵雨萱诗琪紫萱梓涵可馨月琴美玲晓红春梅秀英"
)
MALE_GIVEN = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁俊浩宇轩然博文志远建国海峰"
MOBILE_PREFIXES = (
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "182",
    "183",
    "187",
    "188",
    "130",
    "131",
    "132",
    "155",
    "156",
    "185",
    "186",
    "133",
    "153",
    "177",
    "180",
    "181",
    "189",
    "199",
    "166",
    "173",
)
REGION_CODES = (
    "310101",
    "310104",
    "310105",
    "310112",
    "310115",
    "330102",
    "330106",
    "330108",
    "320102",
    "320106",
    "110101",
    "110105",
    "440103",
    "440305",
)


class PersonMaker:
    def __init__(self, seed: int = 2026):
        self.rng = random.Random(seed)
        self.used_phones: set[str] = set()

    def gender(self) -> str:
        # Medical-aesthetics customers are mostly women.
        return "female" if self.rng.random() < 0.86 else "male"

    def name(self, gender: str) -> str:
        surname = self.rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
        pool = FEMALE_GIVEN if gender == "female" else MALE_GIVEN
        given = "".join(self.rng.choice(pool) for _ in range(self.rng.choice((1, 2, 2))))
        return surname + given

    def mobile(self) -> str:
        while True:
            phone = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.used_phones:
                self.used_phones.add(phone)
                return phone

    def birth_date(self, today: date) -> date:
        age_days = self.rng.randint(19 * 365, 58 * 365)
        return today - timedelta(days=age_days)

    def id_card(self, birth: date, gender: str) -> str:
        sequence = self.rng.randrange(100) * 10 + (
            self.rng.choice((1, 3, 5, 7, 9))
            if gender == "male"
            else self.rng.choice((0, 2, 4, 6, 8))
        )
        first17 = f"{self.rng.choice(REGION_CODES)}{birth:%Y%m%d}{sequence:03d}"
        return first17 + id_card_check_char(first17)
