"""Voucher verification (核销): once per channel and code, even when two desks try at the same
moment (real threads, on SQLite and PostgreSQL); reversal with a reason; scope over HTTP."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import AuditLog
from yanzhi.customers.tests.factories import make_customer
from yanzhi.marketing import services
from yanzhi.marketing.models import VoucherRedemption


@pytest.fixture
def guest(store_a, store_a_consultant, meituan):
    return make_customer(
        store_a, name="团购客", consultant=store_a_consultant, source_channel=meituan
    )


def verify(store, guest, channel, item, by, code="MT-0001", amount="199"):
    return services.verify_voucher(
        store,
        customer=guest,
        channel_id=channel.pk,
        code=code,
        item_id=item.pk,
        settlement_amount=amount,
        by=by,
    )


@pytest.mark.django_db
def test_a_code_is_verified_once_per_channel(
    store_a, guest, meituan, soyoung, hydra, store_a_front_desk
):
    # given
    first = verify(store_a, guest, meituan, hydra, store_a_front_desk, code=" MT 0001 ")
    assert (first.code, first.settlement_amount, first.status) == (
        "MT0001",
        Decimal("199.00"),
        "verified",
    )
    assert first.business_date.isoformat() == "2026-03-16"
    # when it is verified again on the same channel
    with pytest.raises(BusinessError) as error:
        verify(store_a, guest, meituan, hydra, store_a_front_desk, code="MT0001")
    # then it is refused and nothing changed; another platform's code of the same text is fine
    assert (error.value.code, error.value.status) == ("voucher_already_verified", 409)
    assert VoucherRedemption.objects.count() == 1
    verify(store_a, guest, soyoung, hydra, store_a_front_desk, code="MT0001")
    assert VoucherRedemption.objects.count() == 2
    assert AuditLog.objects.filter(action="voucher.verified").count() == 2


@pytest.mark.django_db
def test_bad_input_changes_nothing(
    store_a, guest, meituan, hydra, store_a_front_desk, store_a_consultant
):
    for code, amount, field in (
        ("", "10", "code"),
        ("X1", "-1", "settlement_amount"),
        ("X1", "y", "settlement_amount"),
    ):
        with pytest.raises(BusinessError) as error:
            verify(store_a, guest, meituan, hydra, store_a_front_desk, code=code, amount=amount)
        assert field in error.value.fields
    with pytest.raises(BusinessError) as error:
        verify(store_a, guest, meituan, hydra, store_a_consultant)
    assert error.value.status == 403
    assert not VoucherRedemption.objects.exists()


@pytest.mark.django_db
def test_a_reversed_code_can_be_verified_again(
    store_a, guest, meituan, hydra, store_a_front_desk, store_a_manager
):
    first = verify(store_a, guest, meituan, hydra, store_a_front_desk)
    with pytest.raises(BusinessError) as error:
        services.reverse_voucher(first, reason="  ", by=store_a_manager)
    assert error.value.code == "reason_required"
    with pytest.raises(BusinessError) as error:
        services.reverse_voucher(first, reason="录错", by=store_a_front_desk)
    assert error.value.status == 403
    first.refresh_from_db()
    assert first.status == "verified"
    services.reverse_voucher(first, reason="录错客户", by=store_a_manager)
    first.refresh_from_db()
    assert (first.status, first.reverse_reason, first.reversed_by) == (
        "reversed",
        "录错客户",
        store_a_manager,
    )
    with pytest.raises(BusinessError) as error:
        services.reverse_voucher(first, reason="again", by=store_a_manager)
    assert error.value.code == "voucher_already_reversed"
    again = verify(store_a, guest, meituan, hydra, store_a_front_desk)
    assert again.pk != first.pk


@pytest.mark.django_db(transaction=True)
def test_two_desks_verifying_one_code_at_once(
    store_a, guest, meituan, hydra, store_a_front_desk, store_a_cashier
):
    barrier = threading.Barrier(4)
    results, lock = [], threading.Lock()

    def attempt(staff):
        try:
            barrier.wait()
            verify(store_a, guest, meituan, hydra, staff, code="MT-RACE")
            outcome = "ok"
        except BusinessError as error:
            outcome = error.code
        except Exception as error:  # noqa: BLE001 - reported in the assertion
            outcome = repr(error)
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [
        threading.Thread(target=attempt, args=(s,))
        for s in (store_a_front_desk, store_a_cashier, store_a_front_desk, store_a_cashier)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["ok"] + ["voucher_already_verified"] * 3, results
    assert VoucherRedemption.objects.filter(code="MT-RACE").count() == 1


@pytest.mark.django_db
def test_pages_verify_list_and_reverse(
    store_a,
    guest,
    meituan,
    hydra,
    client_for,
    store_a_front_desk,
    store_a_manager,
    store_b_front_desk,
):
    desk = client_for(store_a_front_desk)
    assert desk.get("/marketing/vouchers/", {"customer": guest.pk}).status_code == 200
    data = {
        "phone": guest.phone,
        "channel_id": meituan.pk,
        "code": "MT9",
        "item_id": hydra.pk,
        "settlement_amount": "88",
    }
    assert desk.post("/marketing/vouchers/", data).status_code == 302
    redemption = VoucherRedemption.objects.get(code="MT9")
    assert redemption.customer == guest and redemption.store == store_a
    again = desk.post("/marketing/vouchers/", data)
    assert again.status_code == 422 and "该券码已核销过" in again.content.decode()
    unknown = desk.post("/marketing/vouchers/", {**data, "phone": "13000000000", "code": "MT10"})
    assert unknown.status_code == 422 and VoucherRedemption.objects.count() == 1
    # store B cannot see or reverse it, nor verify for store A's customer
    other = client_for(store_b_front_desk)
    assert "MT9" not in other.get("/marketing/vouchers/").content.decode()
    assert (
        other.post(
            "/marketing/vouchers/", {**data, "customer_id": guest.pk, "code": "MT11"}
        ).status_code
        == 404
    )
    manager_b_like = client_for(store_b_front_desk)
    assert (
        manager_b_like.post(
            f"/marketing/vouchers/{redemption.pk}/reverse/", {"reason": "x"}
        ).status_code
        == 403
    )
    # the manager reverses it
    manager = client_for(store_a_manager)
    assert (
        manager.post(
            f"/marketing/vouchers/{redemption.pk}/reverse/", {"reason": "重复"}
        ).status_code
        == 302
    )
    redemption.refresh_from_db()
    assert redemption.status == "reversed"
