import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from yanzhi.customers import queries
from yanzhi.customers.models import CustomerSummary, SourceChannel, Tag
from yanzhi.customers.tests.conftest import make_id_card
from yanzhi.customers.tests.factories import make_customer
from yanzhi.org.policy import scope_for
from yanzhi.org.services import SEARCH_RESULT_FIELDS


@pytest.fixture
def scope(store_a_front_desk):
    return scope_for(store_a_front_desk)


@pytest.fixture
def clock_at_noon():
    with time_machine.travel(datetime(2026, 3, 10, 4, 0, tzinfo=UTC), tick=False):
        yield


def names(customers):
    return sorted(c.name for c in customers)


def test_pinyin_initials_find_both_homophones(store_a, scope):
    # given: 张伟 and 章薇 share the initials zw and the pinyin zhangwei by design
    make_customer(store_a, name="张伟")
    make_customer(store_a, name="章薇")
    make_customer(store_a, name="王芳")
    # then
    assert names(queries.search_customers(scope, "zw", store_a)) == ["张伟", "章薇"]
    assert names(queries.search_customers(scope, "ZhangW", store_a)) == ["张伟", "章薇"]
    assert names(queries.search_customers(scope, "wf", store_a)) == ["王芳"]


def test_phone_tail_full_phone_and_prefix(store_a, scope):
    make_customer(store_a, name="甲", phone="13811112222")
    make_customer(store_a, name="乙", phone="13911112222")
    make_customer(store_a, name="丙", phone="13811113333")
    assert names(queries.search_customers(scope, "2222", store_a)) == ["乙", "甲"]
    assert names(queries.search_customers(scope, "13811112222", store_a)) == ["甲"]
    assert names(queries.search_customers(scope, "138111", store_a)) == ["丙", "甲"]


def test_chinese_name_prefix_first_then_contains(store_a, scope):
    make_customer(store_a, name="李小美")
    make_customer(store_a, name="美美")
    results = queries.search_customers(scope, "美", store_a)
    assert [c.name for c in results] == ["美美", "李小美"]


def test_member_number_and_id_card(store_a, scope):
    number = make_id_card()
    make_customer(store_a, name="甲", member_no="10000042", id_card=number)
    make_customer(store_a, name="乙", member_no="10000043")
    assert names(queries.search_customers(scope, "10000042", store_a)) == ["甲"]
    assert names(queries.search_customers(scope, number.lower(), store_a)) == ["甲"]
    assert queries.search_customers(scope, "", store_a) == []


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("phone", ["乙", "甲", "丙"]),
        ("member_no", ["丙", "乙", "甲"]),
        ("name", ["丙", "甲", "乙"]),
        ("recent", ["甲", "丙", "乙"]),
    ],
)
def test_results_follow_the_store_sort_order(store_a, scope, order, expected):
    # given: three customers of 王 with different phones, member numbers and visits
    a = make_customer(store_a, name="王甲", phone="13900000002", member_no="10000003")
    b = make_customer(store_a, name="王乙", phone="13900000001", member_no="10000002")
    c = make_customer(store_a, name="王丙", phone="13900000003", member_no="10000001")
    now = timezone.now()
    CustomerSummary.objects.filter(customer=a).update(last_visit_at=now)
    CustomerSummary.objects.filter(customer=c).update(last_visit_at=now - timedelta(days=3))
    store_a.search_order = order
    store_a.save()
    # when
    results = queries.search_customers(scope, "wang", store_a)
    # then
    assert [r.name[1] for r in results] == expected
    assert {a.pk, b.pk, c.pk} == {r.pk for r in results}


def test_search_is_limited_to_twenty(store_a, scope):
    for i in range(25):
        make_customer(store_a, name=f"王{i}")
    assert len(queries.search_customers(scope, "w", store_a)) == 20


def test_search_fragment_shows_the_store_fields(store_a, store_a_front_desk, client_for):
    # given: the store shows member number and source channel only
    make_customer(store_a, name="王小美", phone="13812345678", member_no="10000077")
    store_a.search_fields = ["member_no", "gender"]
    store_a.save()
    # when
    html = client_for(store_a_front_desk).get("/customers/search/", {"q": "wxm"}).content.decode()
    # then
    assert "王小美" in html and "10000077" in html and "未知" in html
    assert "138****5678" not in html and "13812345678" not in html
    # and with the default fields the masked phone shows
    store_a.search_fields = []
    store_a.save()
    html = client_for(store_a_front_desk).get("/customers/search/", {"q": "wxm"}).content.decode()
    assert "138****5678" in html and "13812345678" not in html


def test_search_fragment_empty_state(store_a_front_desk, client_for):
    html = client_for(store_a_front_desk).get("/customers/search/", {"q": "zzz"}).content.decode()
    assert "没有找到“zzz”相关的客户" in html


@pytest.mark.usefixtures("clock_at_noon")
def test_search_fragment_shows_every_column_a_store_may_choose(
    store_a, store_a_front_desk, store_a_consultant, store_a_doctor, client_for
):
    # given a customer with an online consultant only, born 1990-06-01, seen on 2026-03-01
    channel = SourceChannel.objects.create(org=store_a.org, name="小红书")
    customer = make_customer(
        store_a,
        name="林晓雨",
        phone="13812345678",
        member_no="M7",
        gender="female",
        birth_date=date(1990, 6, 1),
        doctor=store_a_doctor,
        online_consultant=store_a_consultant,
        source_channel=channel,
        allergies="青霉素",
    )
    for tag_name in ("VIP", "复购"):
        customer.tags.add(Tag.objects.create(org=store_a.org, name=tag_name, color="#123456"))
    seen = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    CustomerSummary.objects.filter(customer=customer).update(last_visit_at=seen)
    store_a.search_fields = list(SEARCH_RESULT_FIELDS)
    store_a.save()
    # when the front desk searches for her
    html = client_for(store_a_front_desk).get("/customers/search/", {"q": "lxy"}).content.decode()
    # then the line under her name shows each column, in the store's order
    line = re.search(r'<div class="small text-muted">(.*?)</div>', html).group(1)
    texts = re.findall(r'<span class="(?:me-2 text-nowrap|tag-chip)"[^>]*>(.*?)</span>', line)
    assert texts == [
        "138****5678",
        "M7",
        "女",
        "35岁",
        store_a_consultant.name,
        store_a_doctor.name,
        "小红书",
        "最近到访 2026-03-01",
        "VIP",
        "复购",
        store_a.name,
    ]
    assert "过敏" in html and f"/customers/{customer.pk}/" in html


def test_a_consultant_finds_only_own_customers_of_the_store(
    store_a, store_a_consultant, store_a_doctor
):
    # given two customers named 王 in the store, one of them the consultant's
    mine = make_customer(store_a, name="王一", consultant=store_a_consultant)
    make_customer(store_a, name="王二", consultant=store_a_doctor)
    scope = scope_for(store_a_consultant)
    # then every kind of search returns only the consultant's own
    for q in ("王", "wang", "w", mine.phone[-4:], mine.phone, mine.member_no):
        assert [c.pk for c in queries.search_customers(scope, q, store_a)] == [mine.pk], q
