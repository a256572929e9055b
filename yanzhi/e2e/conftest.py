"""Browser tests: Debian's Chromium driven by Playwright against the live server.

The clock is frozen (ticking) at a Tuesday morning in Shanghai for the server thread and the test
alike; the day is in the future so that the session cookie's expiry stays valid for Chromium.
Data is set up through the services, the way staff would create it.
"""

from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2030, 3, 12, 9, 0, tzinfo=SHANGHAI)  # a Tuesday, store opens at 09:00
TODAY = NOW.date()
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TIMEOUT_MS = 10_000


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def _short_timeouts(page):
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)


@pytest.fixture
def shot():
    """shot(page, name) saves a full-page PNG under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / (name if name.endswith(".png") else f"{name}.png")
        page.evaluate("window.scrollTo(0, 0)")  # the sticky navbar stays on top of the image
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def sign_in(live_server):
    """sign_in(page, staff) fills the real login form and waits for the today page."""
    from yanzhi.org.tests.factories import TEST_PASSWORD

    def login(page, staff, password: str = TEST_PASSWORD):
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", staff.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    return login


@pytest.fixture
def url(live_server):
    return lambda path: f"{live_server.url}{path}"


@pytest.fixture
def clinic(
    chain,
    store_a,
    hq_admin,
    store_a_manager,
    store_a_front_desk,
    store_a_consultant,
    store_a_consultant_2,
    store_a_doctor,
):
    """Store A on a working Tuesday: the doctor and both consultants on the day shift, the
    chain's consent documents published."""
    from yanzhi.customers.services import create_consent_document
    from yanzhi.scheduling.services import assign_shift, create_shift_type

    day_shift = create_shift_type(
        chain,
        name="白班",
        starts_at=time(9, 0),
        ends_at=time(18, 0),
        store=store_a,
        by=store_a_manager,
    )
    for person in (store_a_doctor, store_a_consultant, store_a_consultant_2):
        assign_shift(store_a, staff=person, day=TODAY, shift_type=day_shift, by=store_a_manager)
    create_consent_document(
        chain,
        kind="medical",
        title="医疗数据与照片使用知情同意书",
        body="本人同意诊所为诊疗目的记录并保存病历与照片。",
        by=hq_admin,
    )
    create_consent_document(
        chain, kind="marketing", title="营销信息告知书", body="本人同意接收活动通知。", by=hq_admin
    )
    return store_a


@pytest.fixture
def new_customer(clinic, chain, store_a_front_desk):
    """A customer registered at the front desk who has never visited."""
    from yanzhi.customers.services import create_customer

    return create_customer(
        chain, store=clinic, by=store_a_front_desk, name="林晓雨", phone="13812345678"
    )


# --- sales and treatment: store A's catalogue, stock and a customer's purchases ---------------------
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def shots(shot):
    """shots(page, name) saves the page at desktop width and at a phone's (…_phone.png)."""

    def take(page, name: str):
        desktop = page.viewport_size
        shot(page, name)
        page.set_viewport_size(PHONE)
        try:
            shot(page, f"{name}_phone")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name}: the page scrolls sideways on a phone by {overflow}px"
        finally:
            page.set_viewport_size(desktop)

    return take


@pytest.fixture
def shop(clinic, chain, hq_admin, store_a_manager):
    """Store A sells 水光针 (a service using one 玻尿酸 syringe per session), 修复霜 (a
    product), 水光5次卡 (a session card of 水光针) and 万元储值卡 (¥10,000 paid, ¥11,000 stored);
    its pharmacy holds 10 syringes. Built by HQ and the store manager through the services."""
    from types import SimpleNamespace

    from yanzhi.catalog.models import Item
    from yanzhi.catalog.services import assign_items, create_item
    from yanzhi.inventory.services import ReceiptLine, create_warehouse, receive_stock
    from yanzhi.org.tests.factories import DepartmentFactory

    skin = DepartmentFactory(org=chain, name="皮肤科")

    def item(kind, code, name, price, **fields):
        return create_item(
            chain,
            kind=kind,
            code=code,
            name=name,
            price_amount=Decimal(price),
            by=hq_admin,
            order_type="医美",
            **fields,
        )

    filler = item(
        Item.Kind.DRUG,
        "D01",
        "玻尿酸1ml",
        "600.00",
        unit="支",
        track_stock=True,
        material_no="M-HA1",
    )
    hydra = item(
        Item.Kind.SERVICE,
        "S01",
        "水光针",
        "1000.00",
        department=skin,
        materials=[(filler, Decimal("1"))],
    )
    cream = item(Item.Kind.PRODUCT, "P01", "修复霜", "200.00", unit="支")
    session_card = item(
        Item.Kind.CARD,
        "C01",
        "水光5次卡",
        "4000.00",
        card_type=Item.CardType.SESSIONS,
        card_sessions=5,
        card_service=hydra.pk,
        valid_days=365,
    )
    sv_card = item(
        Item.Kind.CARD,
        "C02",
        "万元储值卡",
        "10000.00",
        card_type=Item.CardType.STORED_VALUE,
        card_value_amount=Decimal("11000.00"),
        valid_days=365,
    )
    items = [filler, hydra, cream, session_card, sv_card]
    assign_items(chain, item_ids=[i.pk for i in items], store_ids=[clinic.pk], by=hq_admin)
    pharmacy = create_warehouse(clinic, name="静安药房", kind="pharmacy", by=store_a_manager)
    receive_stock(
        pharmacy,
        lines=[ReceiptLine(filler, Decimal("10"), "HA-IN-01")],
        by=store_a_manager,
        business_date=TODAY,
    )
    return SimpleNamespace(
        store=clinic,
        filler=filler,
        hydra=hydra,
        cream=cream,
        session_card=session_card,
        sv_card=sv_card,
        pharmacy=pharmacy,
    )


@pytest.fixture
def regular(shop, chain, store_a_front_desk, store_a_consultant, store_a_cashier):
    """林晓雨, 张敏's customer, holding a 万元储值卡 with ¥11,000 stored (bought earlier today and
    paid in cash: the clock is frozen on one day)."""
    from yanzhi.customers.services import create_customer
    from yanzhi.sales import services
    from yanzhi.sales.services import PaymentLine

    customer = create_customer(
        chain,
        store=shop.store,
        by=store_a_front_desk,
        name="林晓雨",
        phone="13812345678",
        consultant=store_a_consultant,
    )
    order = services.open_order(
        customer, store=shop.store, by=store_a_consultant, lines=[(shop.sv_card.pk, 1, 0)]
    )
    services.submit_order(order, by=store_a_consultant)
    services.pay_order(order, payments=[PaymentLine("cash", Decimal("10000"))], by=store_a_cashier)
    return customer


# The order of the flows: 水光针 ¥1,000 + 修复霜 2 × ¥200 + 水光5次卡 ¥4,000 less ¥200 = ¥5,200.
def order_lines(shop):
    return [(shop.hydra.pk, 1, 0), (shop.cream.pk, 2, 0), (shop.session_card.pk, 1, "200")]


def assert_balances_agree():
    """`manage.py check_balances` — every balance equals its ledger."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("check_balances", stdout=out)  # raises CommandError on any difference
    lines = out.getvalue().split("\n")
    assert lines[0] and all(line.endswith(": ok") for line in lines if line), out.getvalue()


def open_tab(page, name: str, pane: str):
    """Click a tab of the customer profile and wait until its pane has faded in."""
    page.get_by_role("tab", name=name).click()
    page.wait_for_function(f"getComputedStyle(document.querySelector('#{pane}')).opacity === '1'")
    return page.locator(f"#{pane}")
