"""The visit-type rule (到访类型), as one pure function over the facts it needs.

docs/visit-types.md explains the rule with the clinic's own words and examples. The services
gather the facts (`visits.services.propose_visit_type`) and apply the result; nothing else
decides a visit type.
"""

from dataclasses import dataclass

from yanzhi.customers.models import VisitType


@dataclass(frozen=True)
class VisitFacts:
    """What the rule looks at, for one customer arriving at one moment."""

    # The type of the customer's first arrival on the same store-local day, in any store of the
    # chain (None when this is the day's first arrival).
    first_type_today: str | None
    # Whether the customer has any visit before this arrival (any store, any earlier day).
    has_earlier_visit: bool
    # From the customer summary (kept by the sales app): deals so far and courses still open.
    deal_count: int
    open_course_count: int
    # The arrival comes from an appointment booked as a check-up (复查).
    checkup_appointment: bool


def decide_visit_type(facts: VisitFacts) -> VisitType:
    """The first matching rule decides:

    a. the customer already arrived today (any store of the chain) → the type of the day's
       first arrival ("同一天客户多次到访:到访类型统一以当天的第一次到访为准");
    b. no earlier visit at all → 初诊 (even a customer gifted a course);
    c. no deal yet → 复诊 (even a gifted customer who holds a course);
    d. booked as a check-up → 复查;
    e. open courses → 疗程内;
    f. otherwise → 再消费.
    """
    if facts.first_type_today:
        return VisitType(facts.first_type_today)
    if not facts.has_earlier_visit:
        return VisitType.FIRST
    if facts.deal_count == 0:
        return VisitType.RETURN
    if facts.checkup_appointment:
        return VisitType.CHECKUP
    if facts.open_course_count > 0:
        return VisitType.IN_COURSE
    return VisitType.REPURCHASE
