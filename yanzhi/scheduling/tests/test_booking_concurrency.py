"""Two front desks booking the same doctor slot at the same moment: exactly one succeeds.
Real threads and real transactions, on SQLite (BEGIN IMMEDIATE) and PostgreSQL (row locks)."""

import threading

import pytest
from django.db import connection

from yanzhi.core.errors import BusinessError
from yanzhi.scheduling.models import Appointment
from yanzhi.scheduling.services import book_appointment
from yanzhi.scheduling.tests.conftest import at


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_doctor_slot(store_a, doctor_on_duty, store_a_front_desk):
    from yanzhi.customers.tests.factories import make_customer

    customers = [make_customer(store_a, name=f"客户{i}") for i in range(4)]
    barrier = threading.Barrier(len(customers))
    results: list[str] = []
    lock = threading.Lock()

    def attempt(customer):
        try:
            barrier.wait()
            book_appointment(
                store_a,
                customer=customer,
                starts_at=at(10),
                ends_at=at(11),
                purpose="consultation",
                doctor=doctor_on_duty,
                by=store_a_front_desk,
            )
            outcome = "booked"
        except BusinessError as error:
            outcome = error.code
        except Exception as error:  # noqa: BLE001 - reported in the assertion below
            outcome = repr(error)
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt, args=(c,)) for c in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == ["booked"] + ["overlap"] * (len(customers) - 1), results
    assert Appointment.objects.filter(doctor=doctor_on_duty).count() == 1
