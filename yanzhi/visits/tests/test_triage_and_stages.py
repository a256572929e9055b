"""Triage (roles, store, active) and the stage timestamps (monotonic, not after leaving)."""

from datetime import timedelta

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.customers.tests.factories import make_customer
from yanzhi.org.models import Staff
from yanzhi.org.tests.factories import make_staff
from yanzhi.visits.models import Visit
from yanzhi.visits.services import leave, record_stage, register_arrival, triage
from yanzhi.visits.tests.conftest import NOW

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def visit(store_a, customer, store_a_front_desk):
    return register_arrival(
        store_a, customer=customer, by=store_a_front_desk, arrived_at=NOW - timedelta(minutes=30)
    )


def test_triage_assigns_consultant_and_doctor(
    visit, store_a_front_desk, store_a_consultant_2, store_a_doctor
):
    triage(visit, consultant=store_a_consultant_2, doctor=store_a_doctor, by=store_a_front_desk)
    visit.refresh_from_db()
    assert visit.consultant == store_a_consultant_2 and visit.doctor == store_a_doctor
    assert visit.triaged_at == NOW


def test_triage_keeps_the_person_not_given(
    visit, store_a_front_desk, store_a_consultant, store_a_doctor
):
    triage(visit, consultant=store_a_consultant, by=store_a_front_desk)
    triage(visit, doctor=store_a_doctor, by=store_a_front_desk)
    visit.refresh_from_db()
    assert visit.consultant == store_a_consultant and visit.doctor == store_a_doctor


def test_first_triage_gives_a_customer_without_a_team_the_triaged_people(
    store_a, store_a_front_desk, store_a_consultant_2, store_a_doctor, client_for
):
    # given a new customer without a responsible consultant or doctor, arrived and waiting
    newcomer = make_customer(store_a, name="林新客")
    walk_in = register_arrival(store_a, customer=newcomer, by=store_a_front_desk)
    # when the front desk triages the visit
    triage(walk_in, consultant=store_a_consultant_2, doctor=store_a_doctor, by=store_a_front_desk)
    # then the triaged consultant and doctor become the customer's "1+1" team, and the
    # consultant may open the customer (to write the consultation)
    newcomer.refresh_from_db()
    assert (newcomer.consultant, newcomer.doctor) == (store_a_consultant_2, store_a_doctor)
    response = client_for(store_a_consultant_2).get(f"/customers/{newcomer.pk}/")
    assert response.status_code == 200


def test_triage_never_changes_an_existing_team(
    visit, customer, store_a_front_desk, store_a_consultant, store_a_consultant_2, store_a_doctor
):
    # given a customer whose responsible consultant is 张敏
    # when the visit is triaged to another consultant
    triage(visit, consultant=store_a_consultant_2, by=store_a_front_desk)
    # then the customer's team stays as it was
    customer.refresh_from_db()
    assert (customer.consultant, customer.doctor) == (store_a_consultant, store_a_doctor)


@pytest.mark.parametrize(
    "kwargs_of, code",
    [
        (lambda p: {"consultant": p["store_a_doctor"]}, "wrong_role"),
        (lambda p: {"doctor": p["store_a_consultant"]}, "wrong_role"),
        (lambda p: {"consultant": p["store_b_consultant"]}, "not_in_store"),
        (lambda p: {"consultant": p["inactive"]}, "not_in_store"),
        (lambda p: {}, "triage_empty"),
    ],
)
def test_triage_refuses_the_wrong_people(
    visit,
    store_a,
    store_a_front_desk,
    store_a_doctor,
    store_a_consultant,
    store_b_consultant,
    kwargs_of,
    code,
):
    inactive = make_staff(store_a.org, "consultant", [store_a])
    Staff.objects.filter(pk=inactive.pk).update(is_active=False)
    inactive.refresh_from_db()
    people = {
        "store_a_doctor": store_a_doctor,
        "store_a_consultant": store_a_consultant,
        "store_b_consultant": store_b_consultant,
        "inactive": inactive,
    }
    with pytest.raises(BusinessError, match=code):
        triage(visit, by=store_a_front_desk, **kwargs_of(people))
    visit.refresh_from_db()
    assert visit.consultant is None and visit.doctor is None and visit.triaged_at is None


def test_only_front_desk_and_manager_may_triage(visit, store_a_consultant, store_a_doctor):
    with pytest.raises(BusinessError, match="forbidden"):
        triage(visit, doctor=store_a_doctor, by=store_a_consultant)
    visit.refresh_from_db()
    assert visit.doctor is None


def test_escort_moves_the_customer_out_of_the_queue(visit, store_a_front_desk):
    record_stage(visit, stage="escorted", by=store_a_front_desk)
    visit.refresh_from_db()
    assert visit.escorted_at == NOW and visit.status == Visit.Status.IN_SERVICE


def test_stages_may_be_skipped_but_never_run_backwards(visit, store_a_doctor, store_a_nurse):
    # given a treatment recorded at 09:50 without a separate diagnosis
    record_stage(visit, stage="treated", at=NOW - timedelta(minutes=10), by=store_a_nurse)
    # when a diagnosis is recorded afterwards for 09:55 (after the treatment)
    with pytest.raises(BusinessError, match="stage_out_of_order"):
        record_stage(visit, stage="diagnosed", by=store_a_doctor, at=NOW - timedelta(minutes=5))
    # then nothing changed; a diagnosis before the treatment is accepted
    visit.refresh_from_db()
    assert visit.diagnosed_at is None
    record_stage(visit, stage="diagnosed", by=store_a_doctor, at=NOW - timedelta(minutes=20))
    visit.refresh_from_db()
    assert visit.diagnosed_at == NOW - timedelta(minutes=20)
    assert visit.status == Visit.Status.IN_SERVICE


def test_a_stage_cannot_be_before_arrival(visit, store_a_front_desk):
    with pytest.raises(BusinessError, match="stage_out_of_order"):
        record_stage(visit, stage="escorted", by=store_a_front_desk, at=NOW - timedelta(hours=1))
    visit.refresh_from_db()
    assert visit.escorted_at is None and visit.status == Visit.Status.WAITING


def test_a_stage_is_recorded_once(visit, store_a_front_desk):
    record_stage(visit, stage="escorted", by=store_a_front_desk)
    with pytest.raises(BusinessError, match="stage_already_recorded"):
        record_stage(visit, stage="escorted", by=store_a_front_desk)


def test_unknown_stage_and_future_time_are_refused(visit, store_a_front_desk):
    with pytest.raises(BusinessError, match="invalid_stage"):
        record_stage(visit, stage="left", by=store_a_front_desk)
    with pytest.raises(BusinessError, match="time_in_future"):
        record_stage(visit, stage="escorted", by=store_a_front_desk, at=NOW + timedelta(hours=1))
    visit.refresh_from_db()
    assert visit.escorted_at is None


def test_leave_closes_the_visit_once(visit, store_a_front_desk):
    leave(visit, by=store_a_front_desk)
    visit.refresh_from_db()
    assert visit.left_at == NOW and visit.status == Visit.Status.LEFT
    assert not visit.left_automatically
    with pytest.raises(BusinessError, match="already_left"):
        leave(visit, by=store_a_front_desk, at=NOW)
    with pytest.raises(BusinessError, match="visit_left"):
        record_stage(visit, stage="treated", by=store_a_front_desk)
    visit.refresh_from_db()
    assert visit.treated_at is None


def test_leave_cannot_be_before_the_last_stage(visit, store_a_front_desk):
    record_stage(visit, stage="escorted", by=store_a_front_desk, at=NOW - timedelta(minutes=5))
    with pytest.raises(BusinessError, match="stage_out_of_order"):
        leave(visit, by=store_a_front_desk, at=NOW - timedelta(minutes=10))
    visit.refresh_from_db()
    assert visit.left_at is None and visit.status == Visit.Status.IN_SERVICE
