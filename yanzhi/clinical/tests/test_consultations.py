from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from yanzhi.clinical import services
from yanzhi.clinical.models import Consultation
from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.customers.tests.factories import make_customer
from yanzhi.visits.models import Visit


def test_draft_save_finalize(customer, visit, store_a_consultant):
    # given a draft started during the visit
    consultation = services.start_consultation(
        customer, by=store_a_consultant, visit=visit, demands="想改善法令纹"
    )
    assert consultation.status == Consultation.Status.DRAFT
    assert consultation.consultant == store_a_consultant
    assert consultation.store_id == visit.store_id
    # when it is saved and then finalized
    services.save_consultation(
        consultation, by=store_a_consultant, notes="介绍玻尿酸填充", quoted_amount="6800"
    )
    final = services.finalize_consultation(
        consultation, outcome="treat_today", by=store_a_consultant
    )
    # then
    final.refresh_from_db()
    assert final.status == Consultation.Status.FINAL
    assert final.finalized_at is not None
    assert final.outcome == "treat_today"
    assert final.quoted_amount == Decimal("6800.00")
    actions = list(
        AuditLog.objects.filter(object_id=str(final.pk), object_type="clinical.consultation")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["consultation.started", "consultation.saved", "consultation.finalized"]


def test_finalize_without_outcome_is_refused(customer, store_a_consultant):
    # given
    consultation = services.start_consultation(
        customer, by=store_a_consultant, demands="祛斑", notes="已沟通"
    )
    # when / then
    with pytest.raises(BusinessError) as refused:
        services.finalize_consultation(
            consultation, outcome="", by=store_a_consultant, notes="改过的内容"
        )
    assert refused.value.code == "consultation_incomplete"
    assert "outcome" in refused.value.fields
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.DRAFT
    assert consultation.notes == "已沟通"  # the fields sent along were not saved either


def test_finalize_needs_demands_and_notes(customer, store_a_consultant):
    consultation = services.start_consultation(customer, by=store_a_consultant)
    with pytest.raises(BusinessError) as refused:
        services.finalize_consultation(consultation, outcome="think_over", by=store_a_consultant)
    assert set(refused.value.fields) == {"demands", "notes"}


def test_book_later_needs_a_date(customer, store_a_consultant):
    # given
    consultation = services.start_consultation(
        customer, by=store_a_consultant, demands="瘦脸", notes="下周再来"
    )
    # when no date: refused
    with pytest.raises(BusinessError) as refused:
        services.finalize_consultation(consultation, outcome="book_later", by=store_a_consultant)
    assert "next_contact_on" in refused.value.fields
    # then with a date: accepted
    day = timezone.localdate() + timedelta(days=7)
    final = services.finalize_consultation(
        consultation, outcome="book_later", by=store_a_consultant, next_contact_on=day
    )
    assert final.next_contact_on == day and final.status == "final"


def test_editing_a_final_consultation_is_refused(customer, store_a_consultant, store_a_manager):
    consultation = services.start_consultation(
        customer, by=store_a_consultant, demands="祛痘", notes="已完成"
    )
    services.finalize_consultation(consultation, outcome="think_over", by=store_a_consultant)
    for staff in (store_a_consultant, store_a_manager):
        with pytest.raises(BusinessError, match="consultation_final"):
            services.save_consultation(consultation, by=staff, notes="事后修改")
    consultation.refresh_from_db()
    assert consultation.notes == "已完成"


def test_only_author_or_store_manager_edits_a_draft(
    customer, store_a_consultant, store_a_consultant_2, store_a_manager
):
    consultation = services.start_consultation(customer, by=store_a_consultant, demands="A")
    with pytest.raises(BusinessError) as refused:
        services.save_consultation(consultation, by=store_a_consultant_2, demands="B")
    assert refused.value.status == 403
    services.save_consultation(consultation, by=store_a_manager, demands="店长补充")
    consultation.refresh_from_db()
    assert consultation.demands == "店长补充"


def test_roles_without_write_cannot_start(customer, store_a_front_desk, store_a_doctor):
    for staff in (store_a_front_desk, store_a_doctor):
        with pytest.raises(BusinessError) as refused:
            services.start_consultation(customer, by=staff, demands="x")
        assert refused.value.status == 403
    assert not Consultation.objects.exists()


def test_visit_of_another_customer_is_refused(customer, visit, store_a, store_a_consultant):
    other = make_customer(store_a, name="别人", consultant=store_a_consultant)
    with pytest.raises(BusinessError, match="visit_mismatch"):
        services.start_consultation(other, by=store_a_consultant, visit=visit)
    assert not Consultation.objects.exists()


def test_negative_quote_is_refused(customer, store_a_consultant):
    with pytest.raises(BusinessError) as refused:
        services.start_consultation(customer, by=store_a_consultant, quoted_amount="-1")
    assert "quoted_amount" in refused.value.fields
    assert not Consultation.objects.exists()


def test_consultant_of_another_store_cannot_write_there(customer, store_b_consultant):
    # A store-B consultant who somehow holds a store-A customer still cannot write in store A.
    with pytest.raises(BusinessError) as refused:
        services.start_consultation(customer, by=store_b_consultant, demands="x")
    assert refused.value.code == "store_forbidden"


# --- over HTTP ---------------------------------------------------------------------------------
def test_pages_draft_then_finalize(client_for, customer, visit, store_a_consultant):
    client = client_for(store_a_consultant)
    # given the new-consultation page of the visit
    page = client.get(f"/consultations/new/?customer={customer.pk}&visit={visit.pk}")
    assert page.status_code == 200 and "暂存草稿" in page.text
    # when a draft is saved
    response = client.post(
        "/consultations/new/",
        {"customer": customer.pk, "visit": visit.pk, "demands": "改善黑眼圈", "action": "save"},
    )
    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/consultations/{consultation.pk}/"
    assert consultation.status == "draft" and consultation.visit == visit
    # and "完成" is pressed without an outcome: 422, still a draft
    response = client.post(
        f"/consultations/{consultation.pk}/",
        {"demands": "改善黑眼圈", "notes": "建议光电", "action": "finalize"},
    )
    assert response.status_code == 422 and "请选择咨询结果" in response.text
    consultation.refresh_from_db()
    assert consultation.status == "draft"
    # then with an outcome it is final and shown read-only
    response = client.post(
        f"/consultations/{consultation.pk}/",
        {
            "demands": "改善黑眼圈",
            "notes": "建议光电",
            "outcome": "think_over",
            "action": "finalize",
        },
    )
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == "final" and consultation.outcome == "think_over"
    page = client.get(f"/consultations/{consultation.pk}/")
    assert "consultation-form" not in page.text and "建议光电" in page.text


def test_finalize_on_new_page_fails_whole(client_for, customer, store_a_consultant):
    response = client_for(store_a_consultant).post(
        "/consultations/new/", {"customer": customer.pk, "demands": "x", "action": "finalize"}
    )
    assert response.status_code == 422
    assert not Consultation.objects.exists()


def test_other_consultant_gets_404(
    client_for,
    customer,
    store_a_consultant,
    store_a_consultant_2,
    store_b_consultant,
    other_chain_admin,
):
    consultation = services.start_consultation(customer, by=store_a_consultant, demands="秘密")
    for staff in (store_a_consultant_2, store_b_consultant, other_chain_admin):
        client = client_for(staff)
        assert client.get(f"/consultations/{consultation.pk}/").status_code == 404
        assert (
            client.post(
                f"/consultations/{consultation.pk}/", {"demands": "改", "action": "save"}
            ).status_code
            == 404
        )
        assert client.get(f"/consultations/new/?customer={customer.pk}").status_code in (403, 404)
    consultation.refresh_from_db()
    assert consultation.demands == "秘密"


def test_front_desk_may_never_view_consultations(
    client_for, customer, store_a_consultant, store_a_front_desk
):
    consultation = services.start_consultation(customer, by=store_a_consultant, demands="x")
    assert (
        client_for(store_a_front_desk).get(f"/consultations/{consultation.pk}/").status_code == 403
    )


def test_visit_of_other_store_is_404(client_for, customer, store_b, store_a_consultant):
    visit_b = Visit.objects.create(
        org_id=customer.org_id,
        store=store_b,
        customer=customer,
        day=timezone.localdate(),
        visit_type="first",
        proposed_visit_type="first",
        arrived_at=timezone.now(),
    )
    response = client_for(store_a_consultant).get(
        f"/consultations/new/?customer={customer.pk}&visit={visit_b.pk}"
    )
    assert response.status_code == 404
