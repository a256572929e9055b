"""Browser tests: Debian's Chromium driven by Playwright against the live server.

The clock is frozen (ticking) at a Tuesday morning in Shanghai for the server thread and the test
alike; the day is in the future so that the session cookie's expiry stays valid for Chromium.
Data is set up through the services, the way staff would create it.
"""

from datetime import datetime, time
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
