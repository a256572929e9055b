"""Shared fixtures: named personas of two chains, logged-in clients, and a real-HTTP API client.

Personas (healthchecks style): chain "A" has stores A and B; `other_chain_admin` belongs to a
different chain and must never see chain A's data.
"""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright + ORM in tests


# --- the test databases: built from the models -----------------------------------------------------
@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Each test database is created from the models, not by replaying every migration: the
    replay cost each worker a minute (Django renders the project's state again for most
    operations). core/tests/test_migrations.py proves the two give the same schema."""
    from django.conf import settings

    for db_settings in settings.DATABASES.values():
        db_settings.setdefault("TEST", {})["MIGRATE"] = False


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """…and gets what only a migration writes: the audit log's append-only triggers."""
    import importlib

    from django.db import connection

    migration = importlib.import_module("yanzhi.core.migrations.0002_audit_log_append_only")
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        migration.reverse(None, editor)  # a reused database has them already
        migration.forward(None, editor)


# --- the flush after a transactional test ---------------------------------------------------------
@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete(django_db_blocker):
    """Transactional tests (real HTTP, the browser) empty every table after each test.

    PostgreSQL: Django's single TRUNCATE of ~130 tables replaces the files of every table and
    index (~2 s a test); DELETE of their few rows takes milliseconds. The audit log refuses
    DELETE (append-only triggers), so it alone is truncated.

    SQLite: the flush is DELETE already, which the audit log's triggers refuse; they are
    re-created around it."""
    import importlib

    from django.db.backends.postgresql import base as postgresql
    from django.db.backends.sqlite3 import base as sqlite

    migration = importlib.import_module("yanzhi.core.migrations.0002_audit_log_append_only")
    audit_log = "core_auditlog"
    SqliteOperations, PostgresOperations = sqlite.DatabaseOperations, postgresql.DatabaseOperations
    sqlite_flush, postgres_flush = SqliteOperations.sql_flush, PostgresOperations.sql_flush

    def flush_sqlite(self, style, tables, **kwargs):
        statements = sqlite_flush(self, style, tables, **kwargs)
        if audit_log not in tables:
            return statements
        return [*migration.SQLITE_REVERSE, *statements, *migration.SQLITE_FORWARD]

    def flush_postgres(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade or not tables:
            return postgres_flush(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        # the foreign keys are deferred to the commit: the tables empty in any order
        deletes = [f"DELETE FROM {self.quote_name(t)}" for t in tables if t != audit_log]
        statements = ["SET CONSTRAINTS ALL DEFERRED; " + "; ".join(deletes)]
        if audit_log in tables:
            statements.append(f"TRUNCATE {self.quote_name(audit_log)}")
        return statements

    SqliteOperations.sql_flush, PostgresOperations.sql_flush = flush_sqlite, flush_postgres
    yield
    SqliteOperations.sql_flush, PostgresOperations.sql_flush = sqlite_flush, postgres_flush


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
