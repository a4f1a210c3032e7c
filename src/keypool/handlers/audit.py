"""The admin API over the audit trail."""

from __future__ import annotations

from ..auth import require_admin
from ..http import Request, Response
from ..routing import Route
from ..services import Services
from .params import int_param

MAX_PAGE_SIZE = 500


def routes(services: Services) -> list[Route]:
    store, settings = services.store, services.settings

    async def list_audit(request: Request) -> Response:
        """Admin and guest actions, newest first; `action` narrows to one kind
        ("keys" matches every "keys.*"), `actor` to one actor."""
        require_admin(request, settings)
        query = request.query
        page = int_param(query.get("page"), "page", 1, 1, 10_000_000)
        page_size = int_param(query.get("page_size"), "page_size", 50, 1, MAX_PAGE_SIZE)
        rows, total = await store.audit.page(page_size, (page - 1) * page_size,
                                             action=(query.get("action") or "").strip()[:100] or None,
                                             actor=(query.get("actor") or "").strip()[:100] or None)
        return Response.json({"items": rows, "total": total, "page": page, "page_size": page_size})

    return [Route("/api/audit", list_audit, ("GET",))]
