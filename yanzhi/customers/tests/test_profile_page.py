"""The 360° page reads what it shows in a fixed number of queries, however many tags, consents
and level changes the customer has (queries.customer_profile loads only the shown columns: a
column the page reads but the query left out would cost a query of its own), and shows each of
them, escaped."""

from decimal import Decimal

import pytest
from django.utils import timezone

from yanzhi.customers import membership, services
from yanzhi.customers.models import (
    Customer,
    CustomerSummary,
    MembershipProgram,
    SourceChannel,
    Tag,
)
from yanzhi.customers.tests.factories import make_customer

# session, staff member (their stores and the membership programme are kept per process,
# org.settings_cache); the customer (one row with what it points at), its consents, the
# chain's current consent kinds, level changes, tags.
PROFILE_QUERIES = 7


@pytest.fixture
def levels(chain, hq_admin):
    return [
        membership.create_level(chain, name=name, min_spend_amount=amount, rank=rank, by=hq_admin)
        for rank, name, amount in [(1, "银卡", "1000"), (2, "金<卡>", "5000")]
    ]


@pytest.fixture
def customer(
    store_a, store_a_consultant, store_a_doctor, store_a_front_desk, chain, hq_admin, levels
):
    referrer = make_customer(store_a, name="老客<户>")
    channel = SourceChannel.objects.create(org=chain, name="美团&点评")
    customer = make_customer(
        store_a,
        name="王<script>美",
        phone="13912345678",
        consultant=store_a_consultant,
        doctor=store_a_doctor,
        online_consultant=store_a_consultant,
        referrer=referrer,
        source_channel=channel,
        allergies="利多卡因<b>",
        notes="备注 & 说明",
        id_card="11010519491231002X",
    )
    CustomerSummary.objects.filter(customer=customer).update(
        visit_count=3, deal_count=2, arrears_amount=Decimal("120.50")
    )
    desk = store_a_front_desk
    vip = Tag.objects.create(org=chain, name="VIP<1>", color="#d63384")
    Tag.objects.create(org=chain, name="未用标签", color="#000000")
    customer.tags.add(vip)
    services.create_consent_document(
        chain, kind="medical", title="医疗同意书", body="…", by=hq_admin
    )
    services.record_consent(customer, kind="medical", method="paper", by=desk)
    membership.apply_rolling_spend(customer.pk, Decimal("1200"), org_id=chain.pk, reason="payment")
    return customer


def _add_more(customer, chain, hq_admin):
    """Another tag, consent, withdrawn consent and level change."""
    desk = customer.store.staff.get(role="front_desk")
    customer.tags.add(Tag.objects.create(org=chain, name="老客", color="#198754"))
    services.create_consent_document(
        chain, kind="marketing", title="营销同意书", body="…", by=hq_admin
    )
    consent = services.record_consent(customer, kind="marketing", method="online", by=desk)
    services.withdraw_consent(consent, by=desk)
    services.record_consent(customer, kind="marketing", method="verbal", by=desk)
    membership.apply_rolling_spend(customer.pk, Decimal("6000"), org_id=chain.pk, reason="payment")


def test_the_profile_reads_a_fixed_number_of_queries(
    client_for, store_a_manager, customer, chain, hq_admin, django_assert_num_queries
):
    client = client_for(store_a_manager)
    client.get(f"/customers/{customer.pk}/")  # warm up the session
    with django_assert_num_queries(PROFILE_QUERIES):
        assert client.get(f"/customers/{customer.pk}/").status_code == 200
    _add_more(customer, chain, hq_admin)
    # a new tag is a settings change (the list's filter options): the next request reads
    # the kept settings again, once
    client.get(f"/customers/{customer.pk}/")
    with django_assert_num_queries(PROFILE_QUERIES):
        html = client.get(f"/customers/{customer.pk}/").content.decode()
    assert html.count('class="tag-chip"') == 2 + 3  # applied chips + the picker's three tags
    assert html.count("<li>") >= 2 + 3  # level changes, consent records


def test_the_profile_shows_the_customer_escaped(client_for, store_a_manager, customer):
    html = client_for(store_a_manager).get(f"/customers/{customer.pk}/").content.decode()
    assert "<title>王&lt;script&gt;美 ·" in html
    assert '<h1 class="h4 mb-1">王&lt;script&gt;美' in html
    assert "<script>美" not in html and "<b>" not in html
    assert 'id="allergy-banner"' in html and "</strong> 利多卡因&lt;b&gt;</div>" in html
    assert '<span id="phone-value">139****5678</span>' in html and "13912345678" not in html
    assert '<span id="id-card-value">' in html and "11010519491231002X" not in html
    # the team, channel and referrer by name
    assert f"责任咨询师</div>{customer.consultant.name}</div>" in html
    assert f"责任医生</div>{customer.doctor.name}</div>" in html
    assert "来源渠道</div>美团&amp;点评</div>" in html
    assert "推荐人</div>老客&lt;户&gt; <a" in html
    assert 'white-space: pre-wrap">备注 &amp; 说明</div>' in html
    # summary facts and dynamic tags
    assert '<div class="fs-5">3</div>' in html and "多次成交" in html
    assert '<div class="text-danger fw-semibold">¥120.50</div>' in html
    assert "dynamic-tag-allergy" in html and "dynamic-tag-arrears" in html
    # level, its history
    assert '<span class="badge text-bg-warning fs-6 align-middle" id="member-level"' in html
    assert "· 无等级 → 银卡 ·" in html


def test_the_profile_shows_tags_consents_and_level_changes(
    client_for, store_a_manager, customer, chain, hq_admin
):
    _add_more(customer, chain, hq_admin)
    html = client_for(store_a_manager).get(f"/customers/{customer.pk}/").content.decode()
    # applied tags as chips, every tag in the picker, the applied ones checked
    vip, unused, old = (Tag.objects.get(name=n) for n in ("VIP<1>", "未用标签", "老客"))
    assert '<span class="tag-chip" style="background:#d63384">VIP&lt;1&gt;</span>' in html
    assert f'value="{vip.pk}" id="ctag-{vip.pk}" checked>' in html
    assert f'value="{old.pk}" id="ctag-{old.pk}" checked>' in html
    assert f'value="{unused.pk}" id="ctag-{unused.pk}">' in html
    # the standing consents with their document, date and method; the withdrawn one listed
    medical = customer.consents.get(kind="medical")
    day = timezone.localtime(medical.granted_at).strftime("%Y-%m-%d")
    assert f"医疗同意书 v1 · {day} · 纸质签字" in html
    assert "营销同意书 v1" in html and "口头同意(已录音)" in html
    assert html.count('<span class="text-danger">已撤回') == 1
    assert "机构尚未配置同意书" not in html
    # the level changes, newest first
    assert html.index("银卡 → 金&lt;卡&gt;") < html.index("无等级 → 银卡")


def test_outdated_and_unconfigured_consents(
    client_for, store_a_manager, store_a_front_desk, chain, hq_admin, store_a
):
    customer = make_customer(store_a, name="李娜")
    desk = store_a_front_desk
    services.create_consent_document(
        chain, kind="medical", title="医疗同意书", body="…", by=hq_admin
    )
    services.record_consent(customer, kind="medical", method="paper", by=desk)
    services.create_consent_document(
        chain, kind="medical", title="医疗同意书", body="新", by=hq_admin
    )
    html = client_for(store_a_manager).get(f"/customers/{customer.pk}/").content.decode()
    assert "需按新版本重新签署" in html  # medical: signed v1, v2 is current
    assert html.count("机构尚未配置同意书") == 1  # marketing: no document


def test_the_profile_of_a_customer_without_a_summary(client_for, store_a_manager, store_a):
    customer = make_customer(store_a, name="新客")
    Customer.objects.filter(pk=customer.pk).update(member_level=None)
    CustomerSummary.objects.filter(customer=customer).delete()
    html = client_for(store_a_manager).get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="facts"' not in html and "新客" in html and "未成交" in html


def test_the_spend_window_is_the_chains(client_for, store_a_manager, customer, chain):
    client = client_for(store_a_manager)
    assert (
        "近12个月消费</div>¥1,200.00</div>"
        in client.get(f"/customers/{customer.pk}/").content.decode()
    )
    MembershipProgram.objects.create(org=chain, window_months=6)
    assert (
        "近6个月消费</div>¥1,200.00</div>"
        in client.get(f"/customers/{customer.pk}/").content.decode()
    )
