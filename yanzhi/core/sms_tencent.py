"""Tencent Cloud SMS (API 3.0, SendSms, version 2021-01-11) with TC3-HMAC-SHA256 signing.

Configured by settings.SMS_TENCENT (environment SMS_TENCENT_*); select it with
SMS_SENDER=yanzhi.core.sms_tencent.TencentSmsSender. Tencent sends approved templates only: the
TemplateId comes from SMS_TENCENT["TEMPLATE_IDS"] by the message's template key, else its purpose,
else "*"; the parameters are the template's values in order (a free-text message is sent as the
single parameter of the "*" template).
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings

from yanzhi.core.models import SmsMessage
from yanzhi.core.sms import INVALID_PHONE, SmsSender, SmsSendError

SERVICE = "sms"
ACTION = "SendSms"
VERSION = "2021-01-11"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"

# Per-number status codes (SendStatusSet[].Code) that no retry can fix.
PERMANENT_CODES = {
    "InvalidParameterValue.IncorrectPhoneNumber": INVALID_PHONE,
    "FailedOperation.PhoneNumberInBlacklist": "phone_blacklisted",
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber": INVALID_PHONE,
    "UnsupportedOperation.UnsupportedRegion": INVALID_PHONE,
    "FailedOperation.TemplateIncorrectOrUnapproved": "template_not_approved",
    "InvalidParameterValue.TemplateParameterFormatError": "template_parameters",
    "FailedOperation.SignatureIncorrectOrUnapproved": "signature_not_approved",
}


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def tc3_signature(
    *, secret_key: str, host: str, payload: str, timestamp: int, action: str = ACTION
) -> tuple[str, str, str]:
    """(signature, credential scope, signed headers) of one POST request, as Tencent's
    signature v3 specifies: canonical request → string to sign → key derived from the date,
    the service and "tc3_request"."""
    date = datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")
    signed_headers = "content-type;host;x-tc-action"
    canonical_headers = f"content-type:{CONTENT_TYPE}\nhost:{host}\nx-tc-action:{action.lower()}\n"
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            canonical_headers,
            signed_headers,
            hashlib.sha256(payload.encode("utf-8")).hexdigest(),
        ]
    )
    scope = f"{date}/{SERVICE}/tc3_request"
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            str(timestamp),
            scope,
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
        ]
    )
    secret_date = _hmac(f"TC3{secret_key}".encode(), date)
    secret_service = _hmac(secret_date, SERVICE)
    secret_signing = _hmac(secret_service, "tc3_request")
    signature = hmac.new(secret_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return signature, scope, signed_headers


class TencentSmsSender(SmsSender):
    def __init__(self, config: dict | None = None):
        self.config = config or settings.SMS_TENCENT

    def template_id(self, message: SmsMessage) -> str:
        ids = self.config["TEMPLATE_IDS"]
        found = ids.get(message.template) or ids.get(message.purpose) or ids.get("*")
        if not found:
            raise SmsSendError(
                "template_not_configured",
                f"no Tencent TemplateId for {message.template or message.purpose}",
                permanent=True,
            )
        return found

    def body(self, message: SmsMessage) -> dict:
        params = list(message.params) if message.template else [_strip_signature(message.text)]
        return {
            "PhoneNumberSet": [f"+86{message.phone}"],
            "SmsSdkAppId": self.config["SDK_APP_ID"],
            "SignName": self.config["SIGN_NAME"],
            "TemplateId": self.template_id(message),
            "TemplateParamSet": params,
            "SessionContext": str(message.pk),
        }

    def send(self, message: SmsMessage) -> str:
        payload = json.dumps(self.body(message), ensure_ascii=False, separators=(",", ":"))
        endpoint = self.config["ENDPOINT"]
        host = urlsplit(endpoint).netloc
        timestamp = int(time.time())
        signature, scope, signed_headers = tc3_signature(
            secret_key=self.config["SECRET_KEY"], host=host, payload=payload, timestamp=timestamp
        )
        request = urllib.request.Request(
            endpoint,
            data=payload.encode("utf-8"),
            method="POST",
            headers={
                "Authorization": f"{ALGORITHM} Credential={self.config['SECRET_ID']}/{scope}, "
                f"SignedHeaders={signed_headers}, Signature={signature}",
                "Content-Type": CONTENT_TYPE,
                "Host": host,
                "X-TC-Action": ACTION,
                "X-TC-Timestamp": str(timestamp),
                "X-TC-Version": VERSION,
                "X-TC-Region": self.config["REGION"],
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.config["TIMEOUT"]) as response:
                answer = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise SmsSendError("http_error", f"HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise SmsSendError("network_error", str(exc)[:200]) from exc
        return _read_answer(answer)


def _strip_signature(text: str) -> str:
    """Tencent adds the approved signature itself; the stored text starts with 【签名】."""
    return text.split("】", 1)[1] if text.startswith("【") and "】" in text else text


def _read_answer(answer: dict) -> str:
    response = answer.get("Response") or {}
    if "Error" in response:
        # A request-level error (signature, rate limit, internal): nothing was sent; retry.
        error = response["Error"]
        raise SmsSendError(error.get("Code", "Error"), error.get("Message", ""))
    statuses = response.get("SendStatusSet") or []
    if not statuses:
        raise SmsSendError("empty_answer", "no SendStatusSet in the answer")
    status = statuses[0]
    code = status.get("Code", "")
    if code == "Ok":
        return status.get("SerialNo", "")
    permanent = code in PERMANENT_CODES
    raise SmsSendError(
        PERMANENT_CODES.get(code, code), f"{code}: {status.get('Message', '')}", permanent=permanent
    )
