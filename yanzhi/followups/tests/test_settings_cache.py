"""Settings rows kept per process (org.settings_cache), seen through the follow-up rules an
execution fires: a request reads them once per settings version; an edit takes effect on the
very next request; another process's edit (only the version changes here) too; and every
watched kind of row gives the chain a new version when it changes."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yanzhi.catalog import services as catalog
from yanzhi.customers.models import ActivitySettings, MembershipLevel, MembershipProgram
from yanzhi.followups import services
from yanzhi.followups.models import AdviceTemplate, CallingWindows, FollowupRule, FollowupTask
from yanzhi.org import settings_cache
from yanzhi.org.models import Organization
from yanzhi.sales.models import DealDefinition
from yanzhi.treatments.models import Entitlement

pytestmark = pytest.mark.django_db

SETTINGS_TABLES = ("followups_followuprule", "followups_followupnode", "followups_callingwindows")


@pytest.fixture
def execute_over_http(client_for, store_a, store_a_doctor, customer, eyelid, sell):
    """Sell 双眼皮 and execute it through the API as the store's doctor; (the execution's id,
    the settings tables the request read)."""
    doctor = client_for(store_a_doctor)

    def run():
        order = sell(customer, eyelid)
        entitlement = Entitlement.objects.get(source_line_id=order.lines.get().pk)
        with CaptureQueriesContext(connection) as queries:
            response = doctor.post(
                "/api/v1/executions",
                json.dumps({"entitlement_id": entitlement.pk, "store_id": store_a.pk}),
                content_type="application/json",
            )
        assert response.status_code == 201, response.content
        sql = " ".join(q["sql"] for q in queries.captured_queries)
        return response.json()["id"], {t for t in SETTINGS_TABLES if f'"{t}"' in sql}

    return run


def tasks_of(execution_id):
    return list(
        FollowupTask.objects.filter(cause=f"execution:{execution_id}")
        .order_by("due_at", "pk")
        .values_list("title", flat=True)
    )


def test_rules_are_read_once_and_an_edit_applies_to_the_next_request(
    rules, staff_a, hq_admin, execute_over_http
):
    settings_cache.clear()
    first, read = execute_over_http()
    assert read == set(SETTINGS_TABLES)
    titles = tasks_of(first)
    assert len(titles) >= 4  # the post-op nodes
    # the same settings: nothing read again, the same tasks made from the kept rules
    second, read = execute_over_http()
    assert read == set()
    assert tasks_of(second) == titles
    # HQ renames the first node of the post-op rule: the next execution uses the new label
    rule = rules["post_op"]
    node = rule.nodes.order_by("position").first()
    node.label = "术后2小时关怀(新)"
    node.save()
    third, read = execute_over_http()
    assert read == set(SETTINGS_TABLES)
    assert "术后2小时关怀(新)" in tasks_of(third)
    # the rule is switched off: no post-op tasks any more
    services.deactivate_rule(rule, by=hq_admin)
    fourth, _read = execute_over_http()
    assert tasks_of(fourth) == []


def test_another_processs_edit_applies_once_the_version_moves(
    rules, staff_a, customer, execute_over_http
):
    settings_cache.clear()
    execute_over_http()
    rule = rules["post_op"]
    # a write that bypasses the signals, as if made by another process: this process keeps
    # its copy while the chain's version is unchanged …
    FollowupRule.objects.filter(pk=rule.pk).update(is_active=False)
    kept, read = execute_over_http()
    assert read == set() and tasks_of(kept) != []
    # … and reads the rows again once the other process's commit moved it
    Organization.objects.filter(pk=customer.org_id).update(
        settings_version=settings_cache.new_version()
    )
    fresh, read = execute_over_http()
    assert "followups_followuprule" in read and tasks_of(fresh) == []


def test_without_a_request_nothing_is_kept(rules, customer, store_a):
    calls = []

    def load():
        calls.append(1)
        return "value"

    for _ in range(2):
        assert settings_cache.cached(customer.org_id, "k", load) == "value"
    assert len(calls) == 2
    org = Organization.objects.get(pk=customer.org_id)
    with settings_cache.bound(org.pk, org.settings_version):
        settings_cache.cached(org.pk, "k", load)
        settings_cache.cached(org.pk, "k", load)
        assert len(calls) == 3
        # a change inside the request: the rest of it reads again, as does any later request
        settings_cache.settings_changed(org.pk)
        settings_cache.cached(org.pk, "k", load)
        assert len(calls) == 4
    org.refresh_from_db()
    with settings_cache.bound(org.pk, org.settings_version):
        settings_cache.cached(org.pk, "k", load)
        settings_cache.cached(org.pk, "k", load)
    assert len(calls) == 5


def test_every_watched_kind_of_row_moves_the_version(
    chain, hq_admin, rules, eyelid, store_a, departments
):
    def version():
        return Organization.objects.values_list("settings_version", flat=True).get(pk=chain.pk)

    rule = rules["post_op"]
    material = catalog_material(chain)
    changes = {
        "rule": lambda: rule.save(),
        "rule items": lambda: rule.items.add(eyelid),
        "rule departments": lambda: rule.departments.clear(),
        "node": lambda: rule.nodes.first().save(),
        "calling windows": lambda: CallingWindows.objects.create(org=chain, windows=[]),
        "advice template": lambda: AdviceTemplate.objects.create(
            org=chain, item=eyelid, text="术后注意事项", updated_by=hq_admin
        ),
        "activity settings": lambda: ActivitySettings.objects.create(org=chain),
        "membership programme": lambda: MembershipProgram.objects.create(org=chain),
        "membership level": lambda: MembershipLevel.objects.create(
            org=chain, name="金卡", rank=1, min_spend_amount=Decimal("1000.00")
        ),
        "deal definition": lambda: DealDefinition.objects.create(
            org=chain, min_amount=Decimal("0.00"), effective_from=timezone.now()
        ),
        "item": lambda: eyelid.save(),
        "materials (bulk)": lambda: catalog._write_materials(eyelid, [(material, Decimal("1"))]),
    }
    for name, change in changes.items():
        before = version()
        change()
        assert version() != before, name


def catalog_material(org):
    from yanzhi.catalog.models import Item

    return Item.objects.create(
        org=org,
        kind=Item.Kind.PRODUCT,
        code="M01",
        name="玻尿酸",
        price_amount=Decimal("0.00"),
        track_stock=True,
    )
