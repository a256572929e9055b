"""/api/v1 endpoints of insight."""

from ninja import Router

router = Router(tags=["insight"])
