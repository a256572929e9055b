"""A segment turned into follow-up tasks (one per member, in the member's own store) or an SMS
campaign (only members with marketing consent and a valid mobile; queued, never sent here)."""

import pytest
import time_machine

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import SmsMessage
from yanzhi.customers.models import Customer
from yanzhi.followups.models import FollowupTask
from yanzhi.insight import services
from yanzhi.insight.models import SegmentCampaign
from yanzhi.insight.scoring import refresh_scores
from yanzhi.insight.tests.conftest import TODAY, local

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning():
    with time_machine.travel(local(2025, 6, 16, 10), tick=False):
        yield


@pytest.fixture
def dealing(chain, scored_chain, store_b_consultant, hq_admin):
    Customer.objects.filter(pk=scored_chain["c5"].pk).update(consultant=store_b_consultant)
    refresh_scores(chain, day=TODAY)
    return services.create_segment(
        chain, name="成交客户", store=None,
        definition={"deal_statuses": ["first", "repeat"]}, by=hq_admin,
    )  # fmt: skip


def test_followup_campaign_gives_each_member_a_task_in_their_store(
    hq_admin, dealing, scored_chain, store_a_consultant, store_a_consultant_2, store_b_consultant
):
    # when HQ runs the chain-wide segment as a satisfaction survey by the consultants
    run = services.run_followup_campaign(
        dealing, title="满意度回访", owner_role="consultant", script="{称呼}您好", by=hq_admin
    )
    # then one task per member, in the member's own store, owned by their consultant
    tasks = FollowupTask.objects.filter(cause=f"segment-campaign:{run.pk}")
    got = {(t.customer.name, t.store_id, t.owner_id) for t in tasks}
    c = scored_chain
    assert got == {
        ("客户c1", c["c1"].store_id, store_a_consultant.pk),
        ("客户c2", c["c2"].store_id, store_a_consultant.pk),
        ("客户c3", c["c3"].store_id, store_a_consultant_2.pk),
        ("客户c4", c["c4"].store_id, store_a_consultant_2.pk),
        ("客户c5", c["c5"].store_id, store_b_consultant.pk),
    }
    assert (run.kind, run.member_count, run.created_count) == ("followup", 5, 5)
    assert SegmentCampaign.objects.get().title == "满意度回访"


def test_a_store_manager_creates_tasks_only_in_their_store(store_a_manager, dealing):
    run = services.run_followup_campaign(
        dealing, title="回访", owner_role="consultant", by=store_a_manager
    )
    tasks = FollowupTask.objects.filter(cause=run.cause)
    assert {t.customer.name for t in tasks} == {"客户c1", "客户c2", "客户c3", "客户c4"}
    assert run.member_count == 4


def test_bad_followup_input_creates_nothing(hq_admin, dealing, store_a_consultant):
    with pytest.raises(BusinessError) as caught:
        services.run_followup_campaign(dealing, title="", owner_role="consultant", by=hq_admin)
    assert "title" in caught.value.fields
    with pytest.raises(BusinessError):
        services.run_followup_campaign(dealing, title="x", owner_role="pilot", by=hq_admin)
    with pytest.raises(BusinessError) as caught:  # consultants may not run segment campaigns
        services.run_followup_campaign(
            dealing, title="x", owner_role="consultant", by=store_a_consultant
        )
    assert caught.value.status == 403
    assert not FollowupTask.objects.exists() and not SegmentCampaign.objects.exists()


@pytest.fixture
def everyone(chain, scored_chain, hq_admin):
    """c1 (张丽, 女) and c2 consented; c3 consented with an invalid number; c4–c6 did not."""
    c = scored_chain
    Customer.objects.filter(pk=c["c1"].pk).update(
        name="张丽", gender="female", marketing_consent=True
    )
    Customer.objects.filter(pk=c["c2"].pk).update(salutation="李姐", marketing_consent=True)
    Customer.objects.filter(pk=c["c3"].pk).update(phone="10000000000", marketing_consent=True)
    return services.create_segment(chain, name="全部", store=None, definition={}, by=hq_admin)


def test_sms_reach_is_shown_before_confirming(client_for, hq_admin, everyone):
    reach = services.sms_reach(everyone, services_scope(hq_admin))
    assert (reach.members, reach.receiving, reach.no_consent, reach.invalid_phone) == (6, 2, 3, 1)
    html = client_for(hq_admin).get(f"/segments/{everyone.pk}/sms/").content.decode()
    assert 'id="reach-receiving">2<' in html
    assert 'id="reach-no-consent">3<' in html
    assert 'id="reach-invalid">1<' in html
    assert not SmsMessage.objects.exists()


def services_scope(staff):
    from yanzhi.org.policy import scope_for

    return scope_for(staff)


def test_sms_campaign_queues_only_consenting_valid_numbers(
    client_for, hq_admin, everyone, scored_chain, django_capture_on_commit_callbacks, settings
):
    # when HQ confirms the SMS
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(hq_admin).post(
            f"/segments/{everyone.pk}/sms/",
            {"title": "夏季焕肤", "text": "{称呼}您好,夏季焕肤活动开始了"},
        )
    assert response.status_code == 302
    # then two messages are queued for the worker (one delivery task each), salutation filled
    messages = {m.customer_id: m for m in SmsMessage.objects.all()}
    assert set(messages) == {scored_chain["c1"].pk, scored_chain["c2"].pk}
    sign = f"【{settings.SMS_SIGNATURE}】"
    assert messages[scored_chain["c1"].pk].text == f"{sign}张女士您好,夏季焕肤活动开始了"
    assert messages[scored_chain["c2"].pk].text == f"{sign}李姐您好,夏季焕肤活动开始了"
    assert {m.purpose for m in messages.values()} == {"segment_campaign"}
    assert {m.status for m in messages.values()} == {SmsMessage.Status.QUEUED}
    assert len(callbacks) == 2
    run = SegmentCampaign.objects.get()
    assert (run.kind, run.member_count, run.created_count) == ("sms", 6, 2)
    assert (run.skipped_no_consent_count, run.skipped_invalid_phone_count) == (3, 1)


def test_bad_sms_text_queues_nothing(client_for, hq_admin, everyone):
    client = client_for(hq_admin)
    for text in ("{姓名}您好", "", "活动{"):
        response = client.post(f"/segments/{everyone.pk}/sms/", {"title": "t", "text": text})
        assert response.status_code == 422
        assert "is-invalid" in response.content.decode()
    assert not SmsMessage.objects.exists() and not SegmentCampaign.objects.exists()


def test_followup_page_runs_the_campaign(client_for, hq_admin, dealing):
    client = client_for(hq_admin)
    page = client.get(f"/segments/{dealing.pk}/followup/").content.decode()
    assert "客群当前5位客户" in page
    bad = client.post(
        f"/segments/{dealing.pk}/followup/",
        {"title": "", "owner_role": "consultant", "channel": "call"},
    )
    assert bad.status_code == 422
    ok = client.post(
        f"/segments/{dealing.pk}/followup/",
        {
            "title": "术后回访",
            "owner_role": "consultant",
            "channel": "call",
            "due_on": "2025-06-20",
        },
    )
    assert ok.status_code == 302
    assert FollowupTask.objects.filter(title="术后回访").count() == 5
    detail = client.get(f"/segments/{dealing.pk}/").content.decode()
    assert "术后回访" in detail
