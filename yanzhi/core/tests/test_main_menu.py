"""The main menu ({% main_menu allowed %}) is drawn once per language and set of allowed
actions: each role still sees only its own entries, in its own language."""

import pytest
from django.conf import settings

from yanzhi.core.templatetags import yanzhi as tags

REPORTS = '<li class="nav-item"><a class="nav-link" href="/reports/">报表</a></li>'


@pytest.fixture(autouse=True)
def no_debug(settings):
    settings.DEBUG = False  # the menu is kept only outside development


def _home(client, language=None):
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/customers/")
    assert response.status_code == 200
    return response.content.decode()


def test_each_role_sees_its_own_entries(client_for, store_a_front_desk, store_a_manager):
    tags._MENUS.clear()
    desk = client_for(store_a_front_desk)
    assert REPORTS not in _home(desk)
    manager = _home(client_for(store_a_manager))
    assert REPORTS in manager and 'href="/settings/"' in manager
    assert REPORTS not in _home(desk)  # the manager's menu is not the front desk's
    assert len(tags._MENUS) == 2


def test_the_menu_in_each_language(client_for, store_a_manager):
    tags._MENUS.clear()
    client = client_for(store_a_manager)
    assert REPORTS in _home(client)
    english = _home(client, "en")
    assert '<a class="nav-link" href="/reports/">Reports</a>' in english
    assert '<a class="nav-link" href="/customers/">Customers</a>' in english
    assert REPORTS in _home(client, "zh-hans")
