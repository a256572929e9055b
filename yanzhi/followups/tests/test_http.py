"""The pages and the API over HTTP: scope (404 outside it), permissions, query counts."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from yanzhi.customers.tests.factories import make_customer
from yanzhi.followups.models import FollowupRule, FollowupTask

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def make_task(customer, owner, *, due="2026-03-16 11:00", notes="", item=None, kind="executed"):
    return FollowupTask.objects.create(
        org_id=customer.org_id,
        store=customer.store,
        customer=customer,
        kind=kind,
        cause=f"test:{FollowupTask.objects.count()}",
        title="术后24小时",
        channel="call",
        owner_role="consultant",
        owner=owner,
        script="您好",
        notes=notes,
        item=item,
        due_at=datetime.fromisoformat(due).replace(tzinfo=SHANGHAI),
    )


@pytest.fixture
def board(
    customer, store_a, store_b, store_a_consultant, store_a_consultant_2, store_b_consultant, at
):
    other = make_customer(store_a, name="钱二", consultant=store_a_consultant_2)
    b_customer = make_customer(store_b, name="孙三", consultant=store_b_consultant)
    return {
        "today": make_task(customer, store_a_consultant, due="2026-03-16 14:30"),
        "overdue": make_task(customer, store_a_consultant, due="2026-03-14 11:00"),
        "upcoming": make_task(customer, store_a_consultant, due="2026-03-18 11:00"),
        "colleague": make_task(other, store_a_consultant_2, due="2026-03-16 11:00"),
        "store_b": make_task(b_customer, store_b_consultant, due="2026-03-16 11:00"),
    }


def test_the_workbench_shows_my_tasks_by_tab_with_counts(client_for, store_a_consultant, board):
    page = client_for(store_a_consultant).get("/followups/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-task="{board["today"].pk}"' in html
    assert f'data-task="{board["overdue"].pk}"' not in html
    assert f'data-task="{board["colleague"].pk}"' not in html
    assert "139****2222" in html and "13911112222" not in html
    assert 'data-count="today">1<' in html and 'data-count="overdue">1<' in html
    overdue = client_for(store_a_consultant).get("/followups/?tab=overdue", HTTP_HX_REQUEST="true")
    assert f'data-task="{board["overdue"].pk}"' in overdue.content.decode()
    assert "<html" not in overdue.content.decode()


def test_a_task_row_shows_what_the_caller_needs(client_for, store_a_manager, board):
    # given an overdue SMS task, tried twice, about a treatment, handed over with a note
    task = board["colleague"]
    FollowupTask.objects.filter(pk=task.pk).update(
        channel="sms",
        attempt_count=2,
        owner_note="<交接>请先致电",
        due_at=datetime(2026, 3, 14, 9, 5, tzinfo=SHANGHAI),
    )
    # when the manager looks at the store's overdue tasks
    html = client_for(store_a_manager).get("/followups/?tab=overdue&all=1").content.decode()
    row = html[html.index(f'data-task="{task.pk}"') :]
    row = row[: row.index("</a>")]
    # then the row names the customer (phone masked), the kind, channel, attempts and time,
    # the title, the owner and the note (escaped), the time in red
    assert "钱二" in row and "****" in row
    assert "短信" in row and "自动发送" in row and "未接通2次" in row
    assert "03-14 09:05" in row and "text-danger" in row
    assert f"术后24小时 · 负责人:{task.owner.name}" in row
    assert "&lt;交接&gt;请先致电" in row and "<交接>" not in row


def test_a_manager_sees_the_whole_store_on_request(client_for, store_a_manager, board):
    html = client_for(store_a_manager).get("/followups/?all=1").content.decode()
    assert f'data-task="{board["colleague"].pk}"' in html
    assert f'data-task="{board["store_b"].pk}"' not in html


def test_the_workbench_makes_a_fixed_number_of_queries(
    client_for, store_a_consultant, board, customer, django_assert_max_num_queries
):
    c = client_for(store_a_consultant)
    c.get("/followups/")
    for _n in range(10):
        make_task(customer, store_a_consultant, due="2026-03-16 15:00")
    with django_assert_max_num_queries(12):
        page = c.get("/followups/")
    assert page.content.decode().count("data-task=") == 11


def test_tasks_outside_the_scope_are_404(
    client_for, store_a_consultant, store_b_consultant, other_chain_admin, board
):
    assert (
        client_for(store_a_consultant).get(f"/followups/tasks/{board['colleague'].pk}/").status_code
        == 404
    )
    assert (
        client_for(store_b_consultant).get(f"/followups/tasks/{board['today'].pk}/").status_code
        == 404
    )
    assert (
        client_for(other_chain_admin).get(f"/followups/tasks/{board['today'].pk}/").status_code
        == 404
    )
    response = client_for(store_b_consultant).post(
        f"/followups/tasks/{board['today'].pk}/complete/", {"outcome": "reached"}
    )
    assert response.status_code == 404
    board["today"].refresh_from_db()
    assert board["today"].status == "pending"


def test_recording_a_result_through_the_page(client_for, store_a_consultant, board):
    c = client_for(store_a_consultant)
    task = board["today"]
    page = c.get(f"/followups/tasks/{task.pk}/")
    assert page.status_code == 200 and "记录回访结果" in page.content.decode()
    bad = c.post(
        f"/followups/tasks/{task.pk}/complete/",
        {"outcome": "reached", "satisfaction": "3", "abnormal": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 422 and "请描述异常情况" in bad.content.decode()
    ok = c.post(
        f"/followups/tasks/{task.pk}/complete/",
        {"outcome": "reached", "satisfaction": "5", "notes": "恢复很好"},
        HTTP_HX_REQUEST="true",
    )
    assert ok.status_code == 200 and ok["HX-Redirect"] == "/followups/"
    again = c.post(
        f"/followups/tasks/{task.pk}/complete/", {"outcome": "reached"}, HTTP_HX_REQUEST="true"
    )
    assert again.status_code == 409
    task.refresh_from_db()
    assert task.status == "done" and task.satisfaction == 5 and task.notes == "恢复很好"


def test_rule_pages(client_for, hq_admin, store_a_manager, store_a_consultant, rules):
    c = client_for(hq_admin)
    assert "手术/注射术后回访" in c.get("/followups/rules/").content.decode()
    bad = c.post(
        "/followups/rules/new/",
        {
            "name": "测试",
            "trigger": "birthday",
            "node-0-offset_value": "-1",
            "node-0-offset_unit": "days",
            "node-0-owner_role": "customer_service",
            "node-0-channel": "sms",
            "node-0-script": "",
        },
    )
    assert bad.status_code == 422
    html = bad.content.decode()
    assert "间隔不能为负数" in html and "话术不能为空" in html
    assert not FollowupRule.objects.filter(name="测试").exists()
    ok = c.post(
        "/followups/rules/new/",
        {
            "name": "测试",
            "trigger": "birthday",
            "is_active": "on",
            "node-0-offset_value": "0",
            "node-0-offset_unit": "days",
            "node-0-owner_role": "customer_service",
            "node-0-channel": "sms",
            "node-0-script": "{称呼}生日快乐",
        },
    )
    assert ok.status_code == 302
    assert FollowupRule.objects.get(name="测试").nodes.get().script == "{称呼}生日快乐"
    assert client_for(store_a_consultant).get("/followups/rules/new/").status_code == 403
    chain_rule = rules["birthday"]
    assert (
        client_for(store_a_manager).get(f"/followups/rules/{chain_rule.pk}/edit/").status_code
        == 403
    )


def test_stats_aggregate_in_a_fixed_number_of_queries(
    client_for,
    store_a_manager,
    store_a_consultant,
    board,
    customer,
    eyelid,
    django_assert_max_num_queries,
):
    from yanzhi.followups.services import complete_task

    t1 = make_task(customer, store_a_consultant, due="2026-03-16 09:00", item=eyelid)
    complete_task(t1, by=store_a_consultant, outcome="reached", satisfaction=4)
    t2 = make_task(customer, store_a_consultant, due="2026-03-16 09:00", item=eyelid)
    complete_task(
        t2,
        by=store_a_consultant,
        outcome="reached",
        satisfaction=2,
        abnormal=True,
        abnormal_description="红肿",
    )
    c = client_for(store_a_manager)
    c.get("/followups/stats/")
    with django_assert_max_num_queries(16):
        page = c.get("/followups/stats/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "双眼皮" in html and "3.0" in html  # (4 + 2) / 2
    assert client_for(store_a_consultant).get("/followups/stats/").status_code == 403


def test_stats_numbers(store_a_manager, store_a_consultant, board, customer, eyelid, at):
    from yanzhi.followups.queries import completion_stats
    from yanzhi.followups.services import complete_task
    from yanzhi.org.policy import scope_for

    t1 = make_task(customer, store_a_consultant, due="2026-03-16 09:00", item=eyelid)
    complete_task(t1, by=store_a_consultant, outcome="reached", satisfaction=4)
    t2 = make_task(customer, store_a_consultant, due="2026-03-16 09:30", item=eyelid)
    complete_task(t2, by=store_a_consultant, outcome="wrong_number")
    at("2026-03-16 12:00")
    data = completion_stats(
        scope_for(store_a_manager),
        start=datetime(2026, 3, 16, tzinfo=SHANGHAI),
        end=datetime(2026, 3, 17, tzinfo=SHANGHAI),
    )
    mine = next(r for r in data["by_owner"] if r["owner_id"] == store_a_consultant.pk)
    # due today: today (14:30, pending, not yet overdue at 12:00), t1, t2
    assert (mine["due"], mine["done"], mine["overdue"], mine["reached"]) == (3, 2, 0, 1)
    assert mine["reach_rate"] == 50 and mine["satisfaction"] == 4
    colleague = next(r for r in data["by_owner"] if r["owner_id"] != store_a_consultant.pk)
    assert colleague["overdue"] == 1  # due 11:00, still pending at 12:00
    assert data["by_item"][0]["item__name"] == "双眼皮"


def test_the_api_over_http(
    api_for, hq_admin, store_a_consultant, store_b_consultant, board, rules, eyelid
):
    api = api_for(store_a_consultant)
    listed = api.get("/followup-tasks", params={"status": "pending"}).json()
    assert {t["id"] for t in listed["items"]} == {
        board["today"].pk,
        board["overdue"].pk,
        board["upcoming"].pk,
    }
    assert listed["items"][0]["customer"]["masked_phone"] == "139****2222"
    assert api.get(f"/followup-tasks/{board['colleague'].pk}").status_code == 404
    done = api.post(
        f"/followup-tasks/{board['today'].pk}/complete",
        json={"outcome": "reached", "satisfaction": 5},
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    twice = api.post(f"/followup-tasks/{board['today'].pk}/complete", json={"outcome": "reached"})
    assert twice.status_code == 409 and twice.json()["code"] == "task_closed"
    assert (
        api_for(store_b_consultant)
        .post(f"/followup-tasks/{board['upcoming'].pk}/complete", json={"outcome": "reached"})
        .status_code
        == 404
    )
    # rules: the consultant may read but not write
    assert api.get("/followup-rules").json()["count"] == 9
    assert api.post("/followup-rules", json={"name": "x", "trigger": "birthday"}).status_code == 403
    hq = api_for(hq_admin)
    bad = hq.post("/followup-rules", json={"name": "x", "trigger": "birthday", "nodes": []})
    assert bad.status_code == 422 and bad.json()["fields"]["nodes"] == ["至少需要一个回访节点"]
    created = hq.post(
        "/followup-rules",
        json={
            "name": "生日短信",
            "trigger": "birthday",
            "nodes": [
                {
                    "offset_value": 0,
                    "offset_unit": "days",
                    "owner_role": "customer_service",
                    "channel": "sms",
                    "script": "{称呼}生日快乐",
                }
            ],
        },
    )
    assert created.status_code == 201
    rule_id = created.json()["id"]
    off = hq.post(f"/followup-rules/{rule_id}/deactivate")
    assert off.json()["is_active"] is False
    advice = hq.post("/advice-templates", json={"item_id": eyelid.pk, "text": "术后冰敷"})
    assert advice.status_code == 200 and advice.json()["item"]["name"] == "双眼皮"
    assert hq.get("/advice-templates").json()["count"] == 1
    assert api.get("/advice-templates").status_code == 403


def test_the_task_list_endpoint_makes_a_fixed_number_of_queries(
    client_for, store_a_consultant, board, customer, django_assert_max_num_queries
):
    c = client_for(store_a_consultant)
    c.get("/api/v1/followup-tasks")
    for _n in range(10):
        make_task(customer, store_a_consultant)
    with django_assert_max_num_queries(12):
        body = c.get("/api/v1/followup-tasks").json()
    assert body["count"] == 13


def test_advice_windows_and_rule_edit_pages(client_for, hq_admin, store_a_manager, rules, eyelid):
    from yanzhi.followups.models import AdviceTemplate, CallingWindows

    c = client_for(hq_admin)
    assert c.get("/followups/advice/").status_code == 200
    bad = c.post("/followups/advice/", {"item_id": eyelid.pk, "text": "", "is_active": "on"})
    assert bad.status_code == 422 and "请填写医嘱内容" in bad.content.decode()
    ok = c.post("/followups/advice/", {"item_id": eyelid.pk, "text": "术后冰敷", "is_active": "on"})
    assert ok.status_code == 302 and AdviceTemplate.objects.get().text == "术后冰敷"
    assert "术后冰敷" in c.get(f"/followups/advice/?item={eyelid.pk}").content.decode()
    assert client_for(store_a_manager).get("/followups/advice/").status_code == 403
    assert "11:00-12:30" in c.get("/followups/windows/").content.decode()
    overlap = c.post("/followups/windows/", {"windows": "11:00-13:00\n12:00-14:00"})
    assert overlap.status_code == 422 and "回访时段不能重叠" in overlap.content.decode()
    assert not CallingWindows.objects.exists()
    assert c.post("/followups/windows/", {"windows": "10:00-12:00\n14:00-18:00"}).status_code == 302
    assert CallingWindows.objects.get().windows == [["10:00", "12:00"], ["14:00", "18:00"]]
    post_op = rules["post_op"]
    edit = c.get(f"/followups/rules/{post_op.pk}/edit/").content.decode()
    assert "术后72小时" in edit and "{项目}" in edit
    assert c.post(f"/followups/rules/{post_op.pk}/deactivate/").status_code == 302
    post_op.refresh_from_db()
    assert not post_op.is_active


def test_a_rule_can_have_more_nodes_than_the_form_first_shows(client_for, hq_admin, rules):
    c = client_for(hq_admin)
    # the form offers one more empty row on request, and refuses past the cap
    row = c.get("/followups/rules/node-row/?n=5", HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and 'name="node-5-script"' in row.content.decode()
    assert c.get("/followups/rules/node-row/?n=30").status_code == 422
    # a rule with ten nodes (+1 … +10 days) is saved whole
    data = {"name": "十次回访", "trigger": "customer_created", "is_active": "on"}
    for n in range(10):
        data |= {
            f"node-{n}-offset_value": str(n + 1),
            f"node-{n}-offset_unit": "days",
            f"node-{n}-owner_role": "customer_service",
            f"node-{n}-channel": "call",
            f"node-{n}-script": f"第{n + 1}次回访",
        }
    assert c.post("/followups/rules/new/", data).status_code == 302
    rule = FollowupRule.objects.get(name="十次回访")
    assert [node.offset_value for node in rule.nodes.all()] == list(range(1, 11))
    # editing shows the ten nodes and two spare rows
    edit = c.get(f"/followups/rules/{rule.pk}/edit/").content.decode()
    assert edit.count("data-node=") == 12


def test_the_rule_list_shows_dates_and_customer_filters(client_for, hq_admin, rules):
    html = client_for(hq_admin).get("/followups/rules/").content.decode()
    assert rules["womens_day"].name in html and "03-08" in html
    assert "首次成交" in html and "多次成交" in html


def test_upcoming_covers_the_next_seven_days_only(client_for, store_a_consultant, board, customer):
    far = make_task(customer, store_a_consultant, due="2026-09-16 11:00")
    html = client_for(store_a_consultant).get("/followups/?tab=upcoming").content.decode()
    assert f'data-task="{board["upcoming"].pk}"' in html
    assert f'data-task="{far.pk}"' not in html
    assert 'data-count="upcoming">1<' in html


def test_the_rule_form_sets_the_arrears_filter(client_for, hq_admin, rules):
    c = client_for(hq_admin)
    data = {
        "name": "欠费客户回访",
        "trigger": "customer_created",
        "is_active": "on",
        "has_arrears": "1",
        "has_allergy": "",
        "node-0-offset_value": "1",
        "node-0-offset_unit": "days",
        "node-0-owner_role": "customer_service",
        "node-0-channel": "call",
        "node-0-script": "{称呼}您好",
    }
    assert c.post("/followups/rules/new/", data).status_code == 302
    rule = FollowupRule.objects.get(name="欠费客户回访")
    assert (rule.has_arrears, rule.has_allergy) == (True, None)
    edit = c.get(f"/followups/rules/{rule.pk}/edit/").content.decode()
    assert '<option value="1" selected>有欠费</option>' in edit
