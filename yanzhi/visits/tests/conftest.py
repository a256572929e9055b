"""Fixtures for the visits app: a frozen clock in the stores' day, customers and appointments."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from yanzhi.customers.tests.factories import make_customer
from yanzhi.scheduling.models import Appointment

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday morning in the stores' timezone; the stores open 09:00-21:00.
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def customer(store_a, store_a_consultant, store_a_doctor):
    return make_customer(
        store_a, name="王小美", consultant=store_a_consultant, doctor=store_a_doctor
    )


@pytest.fixture
def make_appointment(store_a_front_desk):
    def make(store, customer, *, purpose="consultation", status="booked", starts_at=None, **extra):
        starts_at = starts_at or NOW + timedelta(minutes=30)
        return Appointment.objects.create(
            org_id=store.org_id,
            store=store,
            customer=customer,
            purpose=purpose,
            status=status,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=30),
            booked_by=store_a_front_desk,
            **extra,
        )

    return make


def set_summary(customer, **facts):
    from yanzhi.customers.models import CustomerSummary

    CustomerSummary.objects.filter(customer_id=customer.pk).update(**facts)
