from datetime import datetime

from ninja import Schema

from yanzhi.core.validators import mask_phone


class MessageOut(Schema):
    id: int
    customer_id: int | None
    phone: str
    purpose: str
    text: str
    status: str
    attempt_count: int
    attempt_limit: int
    next_attempt_at: datetime | None
    error_code: str
    last_error: str
    provider_message_id: str
    created_at: datetime
    sent_at: datetime | None

    @staticmethod
    def resolve_phone(obj) -> str:
        return mask_phone(obj.phone)
