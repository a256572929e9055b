"""The course extension page (疗程延期) shows the course's extension history from the audit
log: old and new expiry, the reason, who did it."""

from datetime import date

from yanzhi.treatments.services import extend_entitlement


def test_extend_page_shows_the_history(customer_a, hydra, grant, store_a_manager, client_for):
    course = grant(customer_a, hydra, expires_on=date(2026, 4, 1))
    url = f"/treatments/courses/{course.pk}/extend/"
    c = client_for(store_a_manager)
    assert "暂无延期记录" in c.get(url).content.decode()
    # when extended twice
    extend_entitlement(
        course, new_expires_on=date(2026, 5, 1), reason="客户住院", by=store_a_manager
    )
    c.post(url, {"new_expires_on": "2026-06-15", "reason": "疫情顺延"})
    # then both extensions are listed, newest first
    page = c.get(url).content.decode()
    history = page.split('id="extension-history"')[1]
    assert history.index("疫情顺延") < history.index("客户住院")
    assert "2026-04-01" in history and "2026-05-01" in history and "2026-06-15" in history
    assert store_a_manager.name in history
