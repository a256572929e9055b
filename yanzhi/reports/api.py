"""/api/v1 endpoints of reports."""

from ninja import Router

router = Router(tags=["reports"])
