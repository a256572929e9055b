"""Roster services: assigning shifts (one and in bulk), the overlap and store rules, removal,
shift types and the audit trail."""

from datetime import time, timedelta

import pytest

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.scheduling import services
from yanzhi.scheduling.models import RosterEntry, ShiftType
from yanzhi.scheduling.tests.conftest import DAY


def test_assign_copies_times_and_audits(store_a, store_a_doctor, morning, store_a_manager):
    entry = services.assign_shift(
        store_a, staff=store_a_doctor, day=DAY, shift_type=morning, by=store_a_manager
    )
    assert (entry.starts_at, entry.ends_at, entry.is_rest) == (time(9), time(12), False)
    # a later edit of the shift type does not rewrite the rostered day
    services.update_shift_type(morning, ends_at=time(13), by=store_a_manager)
    entry.refresh_from_db()
    assert entry.ends_at == time(12)
    assert AuditLog.objects.filter(action="roster.assigned", object_id=str(entry.pk)).exists()
    assert AuditLog.objects.filter(action="shift_type.updated").exists()


def test_refuses_overlapping_work_shifts(
    store_a, store_a_doctor, morning, full_day, store_a_manager
):
    services.assign_shift(
        store_a, staff=store_a_doctor, day=DAY, shift_type=morning, by=store_a_manager
    )
    with pytest.raises(BusinessError) as info:
        services.assign_shift(
            store_a, staff=store_a_doctor, day=DAY, shift_type=full_day, by=store_a_manager
        )
    assert info.value.code == "shift_overlap" and "09:00-12:00" in str(info.value.message)
    assert RosterEntry.objects.count() == 1


def test_rest_shift_may_sit_inside_a_work_shift(
    store_a, store_a_doctor, full_day, lunch_rest, store_a_manager
):
    services.assign_shift(
        store_a, staff=store_a_doctor, day=DAY, shift_type=full_day, by=store_a_manager
    )
    services.assign_shift(
        store_a, staff=store_a_doctor, day=DAY, shift_type=lunch_rest, by=store_a_manager
    )
    assert RosterEntry.objects.count() == 2


def test_refuses_the_same_shift_twice(store_a, store_a_doctor, morning, store_a_manager):
    services.assign_shift(
        store_a, staff=store_a_doctor, day=DAY, shift_type=morning, by=store_a_manager
    )
    with pytest.raises(BusinessError, match="duplicate_shift"):
        services.assign_shift(
            store_a, staff=store_a_doctor, day=DAY, shift_type=morning, by=store_a_manager
        )


def test_refuses_staff_not_working_in_the_store(
    store_a, store_b_consultant, morning, store_a_manager
):
    with pytest.raises(BusinessError, match="staff_not_in_store"):
        services.assign_shift(
            store_a, staff=store_b_consultant, day=DAY, shift_type=morning, by=store_a_manager
        )
    assert not RosterEntry.objects.exists()


def test_refuses_shift_types_of_another_store_or_chain(
    store_a, store_b, other_chain, store_a_doctor, store_a_manager
):
    of_b = ShiftType.objects.create(
        org_id=store_b.org_id, store=store_b, name="B早班", starts_at=time(9), ends_at=time(12)
    )
    other = ShiftType.objects.create(
        org=other_chain, name="别家班", starts_at=time(9), ends_at=time(12)
    )
    for shift_type in (of_b, other):
        with pytest.raises(BusinessError, match="invalid_shift_type"):
            services.assign_shift(
                store_a, staff=store_a_doctor, day=DAY, shift_type=shift_type, by=store_a_manager
            )
    assert not RosterEntry.objects.exists()


def test_only_roster_managers_may_assign(store_a, store_a_doctor, morning, store_a_front_desk):
    with pytest.raises(BusinessError, match="forbidden"):
        services.assign_shift(
            store_a, staff=store_a_doctor, day=DAY, shift_type=morning, by=store_a_front_desk
        )


def test_manager_of_another_store_gets_not_found(chain, store_a, store_b, store_a_doctor, morning):
    from yanzhi.org.tests.factories import make_staff

    manager_b = make_staff(chain, "store_manager", [store_b])
    with pytest.raises(BusinessError, match="not_found"):
        services.assign_shift(
            store_a, staff=store_a_doctor, day=DAY, shift_type=morning, by=manager_b
        )


def test_bulk_assign_a_week_skips_existing_and_is_all_or_nothing(
    store_a, store_a_doctor, store_a_nurse, morning, full_day, store_a_manager
):
    week = [DAY + timedelta(days=i) for i in range(7)]
    services.assign_shift(
        store_a, staff=store_a_doctor, day=DAY, shift_type=morning, by=store_a_manager
    )
    # when: the same shift for the week (the existing day is kept, not doubled)
    created = services.assign_shifts(
        store_a,
        staff_ids=[store_a_doctor.pk, store_a_nurse.pk],
        days=week,
        shift_type=morning,
        by=store_a_manager,
    )
    assert len(created) == 13
    assert RosterEntry.objects.count() == 14
    # when: an overlapping shift for the week → nothing at all is added
    with pytest.raises(BusinessError, match="shift_overlap"):
        services.assign_shifts(
            store_a,
            staff_ids=[store_a_nurse.pk],
            days=week,
            shift_type=full_day,
            by=store_a_manager,
        )
    assert RosterEntry.objects.count() == 14


def test_remove_roster_entry(store_a, store_a_doctor, morning, store_a_manager):
    entry = services.assign_shift(
        store_a, staff=store_a_doctor, day=DAY, shift_type=morning, by=store_a_manager
    )
    services.remove_roster_entry(entry, by=store_a_manager)
    assert not RosterEntry.objects.exists()
    log = AuditLog.objects.get(action="roster.removed")
    assert log.before["staff_id"] == store_a_doctor.pk


def test_shift_type_rules(chain, store_a, store_a_manager, hq_admin):
    with pytest.raises(BusinessError, match="invalid_time"):
        services.create_shift_type(
            chain,
            store=store_a,
            name="错班",
            starts_at=time(12),
            ends_at=time(9),
            by=store_a_manager,
        )
    with pytest.raises(BusinessError, match="chain_wide_forbidden"):
        services.create_shift_type(
            chain, name="通用班", starts_at=time(9), ends_at=time(18), by=store_a_manager
        )
    assert not ShiftType.objects.exists()
    chain_wide = services.create_shift_type(
        chain, name="通用班", starts_at=time(9), ends_at=time(18), by=hq_admin
    )
    assert chain_wide.store_id is None
    assert AuditLog.objects.filter(action="shift_type.created").count() == 1


def test_rooms_need_store_settings_and_unique_names(store_a, store_a_manager, store_a_front_desk):
    room = services.create_room(store_a, name="激光室", kind="room", by=store_a_manager)
    with pytest.raises(BusinessError, match="duplicate_room"):
        services.create_room(store_a, name="激光室", by=store_a_manager)
    with pytest.raises(BusinessError, match="forbidden"):
        services.create_room(store_a, name="热玛吉", kind="device", by=store_a_front_desk)
    services.update_room(room, is_active=False, by=store_a_manager)
    room.refresh_from_db()
    assert room.is_active is False
    assert AuditLog.objects.filter(action="room.updated").exists()
