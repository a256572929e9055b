"""The customer pages over HTTP: create form, profile, list filters, edit."""

import re
from urllib.parse import parse_qs

from django.utils import timezone

from yanzhi.core.models import AuditLog
from yanzhi.customers.models import Customer, CustomerSummary, Tag
from yanzhi.customers.tests.factories import make_customer


def test_create_form_saves_and_redirects(client_for, store_a_front_desk, store_a_doctor):
    client = client_for(store_a_front_desk)
    page = client.get("/customers/new/").content.decode()
    assert 'hx-get="/customers/phone-check/"' in page and store_a_doctor.name in page
    response = client.post(
        "/customers/new/",
        {"phone": "13812345678", "name": "王小美", "gender": "female", "doctor": store_a_doctor.pk},
        HTTP_HX_REQUEST="true",
    )
    customer = Customer.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/customers/{customer.pk}/"
    assert customer.doctor == store_a_doctor and customer.salutation == "王女士"


def test_invalid_create_is_422_with_chinese_errors(client_for, store_a_front_desk, store_a):
    make_customer(store_a, phone="13812345678")
    client = client_for(store_a_front_desk)
    response = client.post(
        "/customers/new/",
        {"phone": "13812345678", "name": "王小美", "gender": "unknown", "id_card": "123"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "身份证号码应为18位" in html
    assert Customer.objects.count() == 1
    response = client.post(
        "/customers/new/", {"phone": "13812345678", "name": "王小美", "gender": "unknown"}
    )
    assert response.status_code == 422 and "已是静安店" in response.content.decode()
    assert Customer.objects.count() == 1


def test_profile_shows_allergy_banner_team_tags_and_sections(
    client_for, store_a, store_a_front_desk, store_a_consultant, store_a_doctor
):
    customer = make_customer(
        store_a,
        name="王小美",
        consultant=store_a_consultant,
        doctor=store_a_doctor,
        allergies="利多卡因",
    )
    customer.tags.add(Tag.objects.create(org=store_a.org, name="VIP", color="#d63384"))
    CustomerSummary.objects.filter(customer=customer).update(visit_count=3, deal_count=1)
    html = client_for(store_a_front_desk).get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="allergy-banner"' in html and "利多卡因" in html
    assert store_a_consultant.name in html and store_a_doctor.name in html
    assert "background:#d63384" in html and "首次成交" in html
    for section in ("appointments", "visits", "clinical"):
        assert f'hx-get="/customers/{customer.pk}/{section}/"' in html
    assert "发送验证码" in html
    # front desk has no audit.view: no audit tab, and the fragment is 404
    assert f"/customers/{customer.pk}/audit/" not in html
    assert client_for(store_a_front_desk).get(f"/customers/{customer.pk}/audit/").status_code == 404


def test_no_allergy_no_banner(client_for, store_a, store_a_front_desk):
    customer = make_customer(store_a)
    html = client_for(store_a_front_desk).get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="allergy-banner"' not in html


def test_audit_tab_for_managers(client_for, create, store_a_manager, store_a_front_desk):
    customer = create(name="王小美")
    html = client_for(store_a_manager).get(f"/customers/{customer.pk}/").content.decode()
    assert f'hx-get="/customers/{customer.pk}/audit/"' in html
    fragment = client_for(store_a_manager).get(f"/customers/{customer.pk}/audit/").content.decode()
    assert "customer.created" in fragment and store_a_front_desk.name in fragment
    assert "13800001111" not in fragment


def test_edit_page_updates_and_audits(client_for, create, store_a_front_desk):
    customer = create(name="王小美", gender="female")
    client = client_for(store_a_front_desk)
    assert client.get(f"/customers/{customer.pk}/edit/").status_code == 200
    response = client.post(
        f"/customers/{customer.pk}/edit/",
        {"phone": customer.phone, "name": "王美", "gender": "female", "allergies": "青霉素"},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.allergies) == ("王美", "青霉素")
    entry = AuditLog.objects.get(action="customer.updated")
    assert entry.after == {"name": "王美", "allergies": "青霉素"}


def test_list_filters_and_local_search(client_for, store_a, store_a_front_desk):
    allergic = make_customer(store_a, name="张伟", allergies="花粉")
    make_customer(store_a, name="李丽", phone_verified_at=timezone.now())
    client = client_for(store_a_front_desk)
    html = client.get("/customers/", {"allergy": "1"}).content.decode()
    assert "张伟" in html and "李丽" not in html
    html = client.get("/customers/", {"verified": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "李丽" in html and "张伟" not in html and "<html" not in html
    html = client.get("/customers/", {"q": "zw"}).content.decode()
    assert f"/customers/{allergic.pk}/" in html and "李丽" not in html


def test_list_pages_by_twenty(client_for, store_a, store_a_front_desk):
    for i in range(25):
        make_customer(store_a, name=f"客户{i:02d}")
    html = client_for(store_a_front_desk).get("/customers/").content.decode()
    assert html.count('<a href="/customers/') == 20 and "下一页" in html
    html = client_for(store_a_front_desk).get("/customers/", {"page": 2}).content.decode()
    assert html.count('<a href="/customers/') == 5


def test_the_next_page_keeps_every_value_of_a_repeated_filter(
    client_for, store_a, store_a_front_desk
):
    for i in range(25):
        customer = make_customer(store_a, name=f"客户{i:02d}")
        CustomerSummary.objects.filter(customer=customer).update(deal_count=1 + i % 2)
    make_customer(store_a, name="零单客户")  # neither first nor repeat: never listed
    client = client_for(store_a_front_desk)
    query = {"deal_status": ["first", "repeat"], "q": ""}
    html = client.get("/customers/", query).content.decode()
    assert html.count('<a href="/customers/') == 20
    link = re.search(r'href="(\?[^"]*page=2[^"]*)"', html).group(1).replace("&amp;", "&")
    assert parse_qs(link[1:], keep_blank_values=True) == {
        "deal_status": ["first", "repeat"],
        "q": [""],
        "page": ["2"],
    }
    html = client.get("/customers/" + link).content.decode()
    assert html.count('<a href="/customers/') == 5 and "零单客户" not in html


def test_referrer_options(client_for, store_a, store_b, store_a_front_desk):
    make_customer(store_a, name="李丽", phone="13800000001")
    outsider = make_customer(store_b, name="赵敏", phone="13800000002")
    client = client_for(store_a_front_desk)
    html = client.get("/customers/referrer-options/", {"rq": "ll"}).content.decode()
    assert "李丽" in html
    html = client.get("/customers/referrer-options/", {"rq": outsider.phone}).content.decode()
    assert f'value="{outsider.pk}"' in html and "赵*" in html and "赵敏" not in html


def test_store_settings_choose_the_list_columns(client_for, store_a, store_a_front_desk):
    make_customer(store_a, name="王小美", member_no="10000077")
    store_a.search_fields = ["member_no"]
    store_a.save()
    html = client_for(store_a_front_desk).get("/customers/").content.decode()
    assert "<th>会员号</th>" in html and "<th>手机号</th>" not in html


def test_the_chain_list_counts_up_to_its_limit_and_a_store_list_counts_all(
    client_for, store_a, store_b, hq_admin, store_a_front_desk, monkeypatch
):
    monkeypatch.setattr("yanzhi.customers.queries.CHAIN_LIST_COUNT_LIMIT", 21)
    for i in range(30):  # 24 of store A, 6 of store B
        make_customer(store_a if i % 5 else store_b, name=f"客户{i:02d}")
    hq = client_for(hq_admin)
    html = hq.get("/customers/").content.decode()
    assert html.count('<a href="/customers/') == 20
    assert "第1页,超过21位客户" in html and "下一页" in html and "缩小范围" not in html
    html = hq.get("/customers/", {"page": 2}).content.decode()
    assert html.count('<a href="/customers/') == 1  # the 21st newest: the pages end there
    assert "第2页,超过21位客户" in html and "下一页" not in html and "缩小范围" in html
    assert "客户09" in html  # newest first: 客户29 … 客户09
    # within the limit, the chain's list counts exactly
    html = hq.get("/customers/", {"q": "客户1"}).content.decode()
    assert html.count('<a href="/customers/') == 10 and "超过" not in html
    # a store's list counts every one of its customers
    html = client_for(store_a_front_desk).get("/customers/").content.decode()
    assert "第1/2页,共24位客户" in html and "超过" not in html


def test_the_chain_list_by_one_tag_counts_its_holders(
    client_for, chain, store_a, store_b, hq_admin, other_chain, monkeypatch
):
    # the tag alone is counted from the tag table; with another filter, from the customers:
    # the same numbers either way
    monkeypatch.setattr("yanzhi.customers.views.PAGE_SIZE", 1)
    vip, new = Tag.objects.create(org=chain, name="VIP"), Tag.objects.create(org=chain, name="新")
    foreign = Tag.objects.create(org=other_chain, name="VIP")
    for i in range(9):
        customer = make_customer(store_a if i % 2 else store_b, name=f"客户{i}")
        customer.tags.set([vip] if i < 7 else [new])
    hq = client_for(hq_admin)

    def said(**params) -> str:
        html = hq.get("/customers/", params).content.decode()
        return re.search(r"第[^,]*,(超过\d+|共\d+)位客户", html).group(1)

    for limit, held in ((5, "超过5"), (7, "共7"), (10, "共7")):
        monkeypatch.setattr("yanzhi.customers.queries.CHAIN_LIST_COUNT_LIMIT", limit)
        assert said(tag=vip.pk) == said(tag=vip.pk, verified=0) == held
        assert said(tag=new.pk) == "共2"
    assert said(tag=vip.pk, q="客户") == "共7"
    # another chain's tag holds none of this chain's customers
    assert "没有符合条件的客户" in hq.get("/customers/", {"tag": foreign.pk}).content.decode()
