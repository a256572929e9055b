"""Courses are opened by sales (paid lines, packages, session cards) or given as gifts."""

from decimal import Decimal

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.customers.models import CustomerSummary
from yanzhi.treatments.models import Entitlement, EntitlementLedger
from yanzhi.treatments.tests.conftest import make_item

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "line_id"),
    [("purchase", 101), ("package", 102), ("session_card", 103), ("gift", None)],
)
def test_grant_each_kind_opens_a_course_with_its_ledger(customer_a, hydra, grant, kind, line_id):
    # when
    course = grant(
        customer_a, hydra, sessions=5, value="198.00", source_kind=kind, source_line_id=line_id
    )
    # then
    course.refresh_from_db()
    assert (course.total_sessions, course.remaining_sessions) == (5, 5)
    assert course.source_kind == kind and course.source_line_id == line_id
    assert course.unit_value_amount == Decimal("198.00")
    assert course.status == Entitlement.Status.ACTIVE
    row = EntitlementLedger.objects.get(entitlement=course)
    assert (row.delta, row.remaining_after, row.reason) == (5, 5, "granted")
    assert CustomerSummary.objects.get(customer=customer_a).open_course_count == 1
    assert AuditLog.objects.filter(action="entitlement.granted", object_id=str(course.pk)).exists()


def test_package_components_each_become_a_course(customer_a, hydra, chain, grant):
    # given: a package line (id 7) of a hydra × 3 and a peel × 2, sold twice
    peel = make_item(chain, "GS", name="果酸焕肤")
    # when: sales grants one course per component × quantity
    grant(customer_a, hydra, sessions=6, source_kind="package", source_line_id=7)
    grant(customer_a, peel, sessions=4, source_kind="package", source_line_id=7)
    # then
    assert sorted(
        Entitlement.objects.filter(source_line_id=7).values_list("item__name", "total_sessions")
    ) == [("果酸焕肤", 4), ("水光针", 6)]
    assert CustomerSummary.objects.get(customer=customer_a).open_course_count == 2


@pytest.mark.parametrize(
    ("sessions", "value", "code"),
    [(0, "100", "invalid_sessions"), (-1, "100", "invalid_sessions"), (2, "-1", "invalid_amount")],
)
def test_bad_grants_are_refused_and_change_nothing(customer_a, hydra, grant, sessions, value, code):
    with pytest.raises(BusinessError) as refused:
        grant(customer_a, hydra, sessions=sessions, value=value)
    assert refused.value.code == code
    assert not Entitlement.objects.exists() and not EntitlementLedger.objects.exists()
    assert CustomerSummary.objects.get(customer=customer_a).open_course_count == 0


def test_only_a_service_of_the_same_chain_becomes_a_course(customer_a, chain, other_chain, grant):
    product = make_item(chain, "MASK", name="面膜", kind="product")
    foreign = make_item(other_chain, "SGZ", name="别家水光针")
    with pytest.raises(BusinessError, match="not_a_service"):
        grant(customer_a, product)
    with pytest.raises(BusinessError, match="not_found"):
        grant(customer_a, foreign)
    assert not Entitlement.objects.exists()
