"""One error type for broken business rules; views and the API turn it into a clear message."""


class BusinessError(Exception):
    """A rule refused an action. `code` is stable for clients; `message` is translated."""

    def __init__(self, code: str, message, *, fields: dict | None = None, status: int = 400):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.status = status

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "message": str(self.message),
            "fields": {
                k: [str(m) for m in v] if isinstance(v, list | tuple) else [str(v)]
                for k, v in self.fields.items()
            },
        }


class NotFound(BusinessError):
    def __init__(self, message="记录不存在"):
        super().__init__("not_found", message, status=404)
