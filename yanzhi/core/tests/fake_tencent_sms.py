"""A local fake of Tencent Cloud SMS (API 3.0, SendSms 2021-01-11) for tests: a real HTTP server
in a thread that checks the TC3-HMAC-SHA256 signature the way Tencent documents it (computed
here independently of yanzhi.core.sms_tencent) and answers with Tencent's response shapes."""

import hashlib
import hmac
import json
import re
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET_ID = "AKIDfakeYanzhiTest0000000000000000"
SECRET_KEY = "fakeSecretKeyForYanzhiTests000000"
SDK_APP_ID = "1400000000"

AUTH_RE = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>\w+)/"
    r"tc3_request, SignedHeaders=(?P<signed>[a-z;-]+), Signature=(?P<sig>[0-9a-f]{64})$"
)


def expected_signature(headers, body: bytes, date: str, signed: str) -> str:
    canonical_headers = "".join(
        f"{name}:{headers[name].strip().lower()}\n" for name in signed.split(";")
    )
    canonical = f"POST\n/\n\n{canonical_headers}\n{signed}\n{hashlib.sha256(body).hexdigest()}"
    to_sign = (
        f"TC3-HMAC-SHA256\n{headers['X-TC-Timestamp']}\n{date}/sms/tc3_request\n"
        f"{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    key = ("TC3" + SECRET_KEY).encode()
    for part in (date, "sms", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def error(code: str, message: str) -> dict:
    return {
        "Response": {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4())}
    }


def status(phone: str, code: str, message: str, serial: str = "") -> dict:
    return {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": serial,
                    "PhoneNumber": phone,
                    "Fee": 1 if code == "Ok" else 0,
                    "SessionContext": "",
                    "Code": code,
                    "Message": message,
                    "IsoCode": "CN",
                }
            ],
            "RequestId": str(uuid.uuid4()),
        }
    }


# What the fake answers, by name (tests queue these with FakeTencentSms.answer_next()).
ANSWERS = {
    "rate_limit": lambda phone: error("RequestLimitExceeded", "请求的次数超过了频率限制。"),
    "internal": lambda phone: error("InternalError.Timeout", "请求下发短信超时。"),
    "phone_limit": lambda phone: status(
        phone,
        "LimitExceeded.PhoneNumberThirtySecondLimit",
        "单个手机号30秒内下发短信条数超过设定的上限",
    ),
}


class FakeTencentSms:
    def __init__(self):
        self.requests: list[dict] = []  # the accepted (correctly signed) SendSms bodies
        self.rejected: list[str] = []  # error codes answered to bad requests
        self.script: list[str] = []
        self.invalid_numbers: set[str] = set()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = fake.answer(self.headers, body)
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(200)  # Tencent answers errors with 200 and an Error object
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def config(self, **extra) -> dict:
        return {
            "SECRET_ID": SECRET_ID,
            "SECRET_KEY": SECRET_KEY,
            "SDK_APP_ID": SDK_APP_ID,
            "SIGN_NAME": "颜值",
            "REGION": "ap-guangzhou",
            "ENDPOINT": self.endpoint,
            "TEMPLATE_IDS": {"appointment_reminder": "100001", "*": "100000"},
            "TIMEOUT": 5.0,
        } | extra

    def answer_next(self, *names: str) -> None:
        with self._lock:
            self.script.extend(names)

    def _reject(self, code: str, message: str) -> dict:
        self.rejected.append(code)
        return error(code, message)

    def answer(self, headers, body: bytes) -> dict:
        with self._lock:
            if (
                headers.get("X-TC-Action") != "SendSms"
                or headers.get("X-TC-Version") != "2021-01-11"
            ):
                return self._reject("InvalidAction", "接口不存在。")
            if headers.get("Content-Type") != "application/json; charset=utf-8":
                return self._reject("InvalidParameter", "Content-Type 错误。")
            match = AUTH_RE.match(headers.get("Authorization", ""))
            if not match or match["id"] != SECRET_ID:
                return self._reject("AuthFailure.SecretIdNotFound", "密钥不存在。")
            timestamp = int(headers.get("X-TC-Timestamp", "0"))
            date = datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")
            if (
                match["date"] != date
                or match["service"] != "sms"
                or match["signed"] != "content-type;host;x-tc-action"
            ):
                return self._reject("AuthFailure.InvalidAuthorization", "Authorization 格式错误。")
            signature = expected_signature(headers, body, date, match["signed"])
            if not hmac.compare_digest(signature, match["sig"]):
                return self._reject("AuthFailure.SignatureFailure", "请求签名验证失败。")
            request = json.loads(body)
            if request.get("SmsSdkAppId") != SDK_APP_ID or not request.get("TemplateId"):
                return self._reject("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId 不存在。")
            phone = request["PhoneNumberSet"][0]
            self.requests.append(request)
            if phone in self.invalid_numbers:
                return status(phone, "InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误")
            if self.script:
                return ANSWERS[self.script.pop(0)](phone)
            return status(phone, "Ok", "send success", f"2433:{uuid.uuid4().int % 10**28}")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
