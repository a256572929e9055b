"""The customer list's filter options (consultants, tags, channels, levels) are this process's
copy while the chain's settings are unchanged, and the next page after an edit shows it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yanzhi.customers import membership, services
from yanzhi.org import settings_cache
from yanzhi.org.tests.factories import make_staff

pytestmark = pytest.mark.django_db

OPTION_TABLES = ("customers_tag", "customers_sourcechannel", "customers_membershiplevel")


def list_page(client):
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/customers/").content.decode()
    read = {table for table in OPTION_TABLES for q in queries if f'FROM "{table}"' in q["sql"]}
    return html, read


def test_options_are_kept_and_an_edit_shows_on_the_next_page(
    client_for, chain, store_a, store_a_manager, hq_admin
):
    settings_cache.clear()
    client = client_for(store_a_manager)
    services.create_tag(chain, name="VIP", color="#aa3355", by=hq_admin)
    channel = services.create_channel(chain, name="小红书", by=hq_admin)
    html, read = list_page(client)
    assert read == set(OPTION_TABLES) and "VIP" in html and "小红书" in html
    html, read = list_page(client)
    assert read == set() and "VIP" in html  # the kept copy
    # each kind of edit shows on the next page
    services.create_tag(chain, name="敏感肌", color="#3355aa", by=hq_admin)
    assert "敏感肌" in list_page(client)[0]
    services.update_channel(channel, name="抖音", by=hq_admin)
    html = list_page(client)[0]
    assert "抖音" in html and "小红书" not in html
    membership.create_level(chain, name="黑金卡", min_spend_amount="90000", rank=9, by=hq_admin)
    assert "黑金卡" in list_page(client)[0]
    make_staff(chain, "consultant", [store_a], name="新咨询师", username="newc")
    assert "新咨询师" in list_page(client)[0]
