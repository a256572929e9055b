"""Shared fixtures: named personas of two chains, logged-in clients, and a real-HTTP API client.

Personas (healthchecks style): chain "A" has stores A and B; `other_chain_admin` belongs to a
different chain and must never see chain A's data.
"""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright + ORM in tests


# --- the SQLite test flush and the append-only audit log ------------------------------------------
@pytest.fixture(scope="session", autouse=True)
def _allow_flush_of_audit_log(django_db_blocker):
    """Transactional tests flush every table after each test. On SQLite that is DELETE, which
    the audit log's append-only triggers refuse; re-create them around the flush."""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    import importlib

    from django.db.backends.sqlite3.operations import DatabaseOperations

    migration = importlib.import_module("yanzhi.core.migrations.0002_audit_log_append_only")
    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        if "core_auditlog" not in tables:
            return statements
        return [*migration.SQLITE_REVERSE, *statements, *migration.SQLITE_FORWARD]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


# --- Playwright with Debian's Chromium ----------------------------------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1366, "height": 900}}


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Staff fixtures hash passwords; the production hasher's cost only slows the suite."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _chinese():
    """Chinese is the default language. A request with Accept-Language: en leaves English
    active in its thread (LocaleMiddleware does not reset it), so every test starts in Chinese."""
    from django.utils import translation

    with translation.override("zh-hans"):
        yield


# --- the chain and its people --------------------------------------------------------------------
@pytest.fixture
def chain(db):
    from yanzhi.org.tests.factories import OrganizationFactory

    return OrganizationFactory(name="悦颜医美", code="yueyan")


@pytest.fixture
def store_a(chain):
    from yanzhi.org.tests.factories import StoreFactory

    return StoreFactory(org=chain, name="静安店", code="A")


@pytest.fixture
def store_b(chain):
    from yanzhi.org.tests.factories import StoreFactory

    return StoreFactory(org=chain, name="浦东店", code="B")


@pytest.fixture
def other_chain(db):
    from yanzhi.org.tests.factories import OrganizationFactory, StoreFactory

    org = OrganizationFactory(name="别家医美", code="other")
    StoreFactory(org=org, name="别家一店", code="X")
    return org


def _staff(org, role, stores, name, username):
    from yanzhi.org.tests.factories import make_staff

    return make_staff(org, role, stores, name=name, username=username)


@pytest.fixture
def hq_admin(chain, store_a, store_b):
    return _staff(chain, "hq", [], "总部王总", "hq")


@pytest.fixture
def store_a_manager(chain, store_a):
    return _staff(chain, "store_manager", [store_a], "A店长", "a_manager")


@pytest.fixture
def store_a_front_desk(chain, store_a):
    return _staff(chain, "front_desk", [store_a], "A前台小李", "a_front")


@pytest.fixture
def store_a_consultant(chain, store_a):
    return _staff(chain, "consultant", [store_a], "A咨询师张敏", "a_consultant")


@pytest.fixture
def store_a_consultant_2(chain, store_a):
    return _staff(chain, "consultant", [store_a], "A咨询师刘芳", "a_consultant2")


@pytest.fixture
def store_a_online_consultant(chain, store_a):
    return _staff(chain, "online_consultant", [store_a], "A网电陈静", "a_online")


@pytest.fixture
def store_a_doctor(chain, store_a):
    return _staff(chain, "doctor", [store_a], "A医生赵强", "a_doctor")


@pytest.fixture
def store_a_nurse(chain, store_a):
    return _staff(chain, "nurse", [store_a], "A护士孙丽", "a_nurse")


@pytest.fixture
def store_a_cashier(chain, store_a):
    return _staff(chain, "cashier", [store_a], "A收银周洁", "a_cashier")


@pytest.fixture
def store_a_service(chain, store_a):
    return _staff(chain, "customer_service", [store_a], "A客服吴静", "a_service")


@pytest.fixture
def store_b_consultant(chain, store_b):
    return _staff(chain, "consultant", [store_b], "B咨询师郑爽", "b_consultant")


@pytest.fixture
def store_b_front_desk(chain, store_b):
    return _staff(chain, "front_desk", [store_b], "B前台何静", "b_front")


@pytest.fixture
def other_chain_admin(other_chain):
    return _staff(other_chain, "hq", [], "别家总部", "other_hq")


# --- clients --------------------------------------------------------------------------------------
@pytest.fixture
def client_for(client):
    """client_for(staff) -> a Django test client signed in as that staff member."""
    from django.test import Client

    def make(staff):
        c = Client()
        c.force_login(staff, backend="yanzhi.org.backends.StaffBackend")
        return c

    return make


class HttpApi:
    """Talks to the live server over real HTTP with a staff member's API token."""

    def __init__(self, base_url: str, key: str):
        import httpx

        self.http = httpx.Client(
            base_url=f"{base_url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30
        )

    def __getattr__(self, name):  # get/post/put/patch/delete
        return getattr(self.http, name)


@pytest.fixture
def api_for(live_server):
    """api_for(staff) -> an httpx client for /api/v1 authenticated with a fresh API token."""
    from yanzhi.org.services import create_api_token

    clients = []

    def make(staff):
        _token, key = create_api_token(staff, name="test", by=staff)
        api = HttpApi(live_server.url, key)
        clients.append(api)
        return api

    yield make
    for api in clients:
        api.http.close()
