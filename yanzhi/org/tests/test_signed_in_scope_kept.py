"""What sign-in keeps per process (org.backends, org.settings_cache): a signed-in request reads
the session and the staff row only; taking a store from someone, or a member from a leader's
group, applies to their very next request."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yanzhi.customers.tests.factories import make_customer
from yanzhi.org import services, settings_cache
from yanzhi.org.models import Staff

pytestmark = pytest.mark.django_db


def customer_ids(client):
    """The customers the signed-in staff member's API list shows, and the tables it read."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/customers?limit=50")
    assert response.status_code == 200, response.content
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    return {row["id"] for row in json.loads(response.content)["items"]}, sql


def test_a_store_taken_away_applies_to_the_next_request(
    client_for, store_a, store_b, store_a_front_desk, hq_admin
):
    settings_cache.clear()
    ours = make_customer(store_a, name="甲店客户")
    theirs = make_customer(store_b, name="乙店客户")
    services.update_staff(store_a_front_desk, by=hq_admin, stores=[store_a, store_b])
    desk = client_for(store_a_front_desk)
    seen, sql = customer_ids(desk)
    assert seen == {ours.pk, theirs.pk} and '"org_staff_stores"' in sql
    # the second request: the stores are kept, not read again
    seen, sql = customer_ids(desk)
    assert seen == {ours.pk, theirs.pk} and '"org_staff_stores"' not in sql
    # HQ takes store B away: the very next request no longer sees its customers
    services.update_staff(store_a_front_desk, by=hq_admin, stores=[store_a])
    seen, sql = customer_ids(desk)
    assert seen == {ours.pk}


def test_a_member_leaving_the_group_applies_to_the_leaders_next_request(
    client_for, chain, store_a, store_a_manager, store_a_consultant, store_a_consultant_2
):
    settings_cache.clear()
    mine = make_customer(store_a, name="组长客户", consultant=store_a_consultant)
    member = make_customer(store_a, name="组员客户", consultant=store_a_consultant_2)
    group = services.create_staff_group(
        chain,
        name="咨询一组",
        store=store_a,
        leader=store_a_consultant,
        members=[store_a_consultant, store_a_consultant_2],
        by=store_a_manager,
    )
    leader = client_for(store_a_consultant)
    assert customer_ids(leader)[0] == {mine.pk, member.pk}
    assert customer_ids(leader)[0] == {mine.pk, member.pk}  # kept
    services.update_staff_group(
        group,
        name="咨询一组",
        store=store_a,
        leader=store_a_consultant,
        members=[store_a_consultant],
        by=store_a_manager,
    )
    assert customer_ids(leader)[0] == {mine.pk}


def test_signing_in_changes_nothing_kept(chain, store_a_front_desk):
    def version():
        return type(chain).objects.values_list("settings_version", flat=True).get(pk=chain.pk)

    before = version()
    staff = Staff.objects.get(pk=store_a_front_desk.pk)
    staff.save(update_fields=["last_login"])
    staff.save(update_fields=["failed_login_count", "first_failed_login_at", "locked_until"])
    assert version() == before
    staff.title = "主管"
    staff.save()
    assert version() != before
