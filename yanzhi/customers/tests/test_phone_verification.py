import re
from datetime import datetime, timedelta

import pytest
import time_machine

from yanzhi.core.errors import BusinessError
from yanzhi.core.models import SmsMessage
from yanzhi.customers import services
from yanzhi.customers.models import PhoneVerification

T0 = "2026-03-02 10:00:00+08:00"


def sent_code(customer) -> str:
    message = SmsMessage.objects.filter(customer_id=customer.pk).order_by("-id").first()
    return re.search(r"验证码为(\d{6})", message.text).group(1)


@pytest.fixture
def customer(create):
    return create(name="王小美", gender="female")


def test_code_goes_through_the_outbox_and_confirms(customer, store_a_front_desk):
    with time_machine.travel(T0, tick=False):
        verification = services.send_phone_verification(customer, by=store_a_front_desk)
        message = SmsMessage.objects.get(customer_id=customer.pk)
        assert message.purpose == "phone_verification" and message.phone == customer.phone
        assert "王女士您好" in message.text
        code = sent_code(customer)
        # the provider template gets the code and its lifetime as parameters
        assert (message.template, message.params) == ("phone_verification", ["王女士", code, "5"])
        assert code not in verification.code_hash  # only a hash is stored
        services.confirm_phone_verification(customer, code, by=store_a_front_desk)
    customer.refresh_from_db()
    assert customer.phone_verified_at == datetime.fromisoformat(T0)


def test_wrong_code_is_counted_and_refused(customer, store_a_front_desk):
    services.send_phone_verification(customer, by=store_a_front_desk)
    wrong = "000000" if sent_code(customer) != "000000" else "111111"
    with pytest.raises(BusinessError) as exc:
        services.confirm_phone_verification(customer, wrong, by=store_a_front_desk)
    assert exc.value.code == "wrong_code"
    assert PhoneVerification.objects.get().attempt_count == 1
    customer.refresh_from_db()
    assert not customer.phone_verified


def test_five_wrong_attempts_lock_the_code(customer, store_a_front_desk):
    services.send_phone_verification(customer, by=store_a_front_desk)
    code = sent_code(customer)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(BusinessError):
            services.confirm_phone_verification(customer, wrong, by=store_a_front_desk)
    # then: even the right code no longer works
    with pytest.raises(BusinessError) as exc:
        services.confirm_phone_verification(customer, code, by=store_a_front_desk)
    assert exc.value.code == "too_many_attempts"
    customer.refresh_from_db()
    assert not customer.phone_verified


def test_code_expires_after_five_minutes(customer, store_a_front_desk):
    with time_machine.travel(T0, tick=False) as clock:
        services.send_phone_verification(customer, by=store_a_front_desk)
        code = sent_code(customer)
        clock.shift(timedelta(minutes=5, seconds=1))
        with pytest.raises(BusinessError) as exc:
            services.confirm_phone_verification(customer, code, by=store_a_front_desk)
    assert exc.value.code == "code_expired"
    customer.refresh_from_db()
    assert not customer.phone_verified


def test_resend_only_after_sixty_seconds(customer, store_a_front_desk):
    with time_machine.travel(T0, tick=False) as clock:
        services.send_phone_verification(customer, by=store_a_front_desk)
        clock.shift(timedelta(seconds=59))
        with pytest.raises(BusinessError) as exc:
            services.send_phone_verification(customer, by=store_a_front_desk)
        assert exc.value.code == "resend_too_soon" and exc.value.status == 429
        assert SmsMessage.objects.count() == 1
        clock.shift(timedelta(seconds=2))
        services.send_phone_verification(customer, by=store_a_front_desk)
        # the newest code is the one that counts
        services.confirm_phone_verification(customer, sent_code(customer), by=store_a_front_desk)
    assert SmsMessage.objects.count() == 2


def test_no_code_sent_yet(customer, store_a_front_desk):
    with pytest.raises(BusinessError) as exc:
        services.confirm_phone_verification(customer, "123456", by=store_a_front_desk)
    assert exc.value.code == "no_code"


def test_code_never_in_page_or_api(customer, store_a_front_desk, client_for, api_for):
    # when: sent from the profile page
    response = client_for(store_a_front_desk).post(
        f"/customers/{customer.pk}/verify/send/", HTTP_HX_REQUEST="true"
    )
    code = sent_code(customer)
    # then
    assert response.status_code == 200 and code not in response.content.decode()
    assert 'name="code"' in response.content.decode()
    # and the confirmation from the page verifies the phone
    response = client_for(store_a_front_desk).post(
        f"/customers/{customer.pk}/verify/confirm/", {"code": code}, HTTP_HX_REQUEST="true"
    )
    assert "已验证" in response.content.decode()
    customer.refresh_from_db()
    assert customer.phone_verified


def test_code_not_in_api_response(customer, store_a_front_desk, api_for):
    api = api_for(store_a_front_desk)
    response = api.post(f"/customers/{customer.pk}/phone-verifications")
    assert response.status_code == 201
    code = sent_code(customer)
    assert code not in response.text
    wrong = "000000" if code != "000000" else "111111"
    response = api.post(
        f"/customers/{customer.pk}/phone-verifications/confirm", json={"code": wrong}
    )
    assert response.status_code == 400 and response.json()["code"] == "wrong_code"
    response = api.post(
        f"/customers/{customer.pk}/phone-verifications/confirm", json={"code": code}
    )
    assert response.status_code == 200 and response.json()["phone_verified"] is True
