"""The Tencent Cloud sender against a local fake of SendSms that checks the TC3 signature."""

import pytest

from yanzhi.core.models import SmsMessage
from yanzhi.core.sms import INVALID_PHONE, SmsSendError
from yanzhi.core.sms_tencent import TencentSmsSender, tc3_signature
from yanzhi.core.tests.fake_tencent_sms import FakeTencentSms


@pytest.fixture
def fake():
    with FakeTencentSms() as server:
        yield server


def message(**fields) -> SmsMessage:
    values = dict(
        pk=7, org_id=1, phone="13812345678", text="【颜值】王女士您好,验证码为123456。", purpose="x"
    )
    return SmsMessage(**(values | fields))


def test_signed_request_is_accepted_and_returns_the_serial_no(fake):
    # when
    serial = TencentSmsSender(fake.config()).send(message())
    # then: the fake verified the signature and saw Tencent's request shape
    assert fake.rejected == [] and serial.startswith("2433:")
    (body,) = fake.requests
    assert body["PhoneNumberSet"] == ["+8613812345678"]
    assert body["TemplateId"] == "100000" and body["SignName"] == "颜值"
    assert body["TemplateParamSet"] == ["王女士您好,验证码为123456。"]


def test_template_messages_send_their_parameters_in_order(fake):
    reminder = message(
        template="appointment_reminder", params=["王女士", "3月3日", "10:00", "静安店", "021-1"]
    )
    TencentSmsSender(fake.config()).send(reminder)
    (body,) = fake.requests
    assert body["TemplateId"] == "100001"
    assert body["TemplateParamSet"] == ["王女士", "3月3日", "10:00", "静安店", "021-1"]


def test_a_wrong_secret_key_fails_the_signature_check(fake):
    with pytest.raises(SmsSendError) as exc:
        TencentSmsSender(fake.config(SECRET_KEY="not-the-key")).send(message())
    assert exc.value.code == "AuthFailure.SignatureFailure" and not exc.value.permanent
    assert fake.rejected == ["AuthFailure.SignatureFailure"] and fake.requests == []


def test_an_invalid_number_is_a_permanent_failure(fake):
    fake.invalid_numbers.add("+8613800000000")
    with pytest.raises(SmsSendError) as exc:
        TencentSmsSender(fake.config()).send(message(phone="13800000000"))
    assert exc.value.code == INVALID_PHONE and exc.value.permanent
    assert "IncorrectPhoneNumber" in exc.value.message


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ("rate_limit", "RequestLimitExceeded"),
        ("phone_limit", "LimitExceeded.PhoneNumberThirtySecondLimit"),
        ("internal", "InternalError.Timeout"),
    ],
)
def test_rate_limits_and_provider_errors_are_retryable(fake, answer, code):
    fake.answer_next(answer)
    with pytest.raises(SmsSendError) as exc:
        TencentSmsSender(fake.config()).send(message())
    assert exc.value.code == code and not exc.value.permanent


def test_an_unreachable_provider_is_retryable():
    config = FakeTencentSms().config(ENDPOINT="http://127.0.0.1:9", TIMEOUT=2.0)
    with pytest.raises(SmsSendError) as exc:
        TencentSmsSender(config).send(message())
    assert exc.value.code == "network_error" and not exc.value.permanent


def test_signature_depends_on_every_signed_part():
    base = dict(secret_key="k", host="sms.tencentcloudapi.com", payload="{}", timestamp=1551113065)
    signature, scope, signed = tc3_signature(**base)
    assert scope == "2019-02-25/sms/tc3_request" and signed == "content-type;host;x-tc-action"
    for change in (
        {"payload": "{ }"},
        {"host": "x"},
        {"timestamp": 1551113066},
        {"secret_key": "K"},
    ):
        assert tc3_signature(**(base | change))[0] != signature
