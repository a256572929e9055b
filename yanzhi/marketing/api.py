"""/api/v1 endpoints of marketing."""

from ninja import Router

router = Router(tags=["marketing"])
