"""The admin API over request logs."""

from __future__ import annotations

from ..auth import require_admin
from ..http import Request, Response
from ..routing import Route
from ..services import Services
from .params import int_param, optional_int_param, text_param


def routes(services: Services) -> list[Route]:
    store, settings = services.store, services.settings

    async def list_logs(request: Request) -> Response:
        require_admin(request, settings)
        query = request.query
        page = int_param(query.get("page"), "page", 1, 1, 10_000_000)
        page_size = int_param(query.get("page_size"), "page_size", 50, 1, 500)
        filters = {name: value for name in ("client_key_id", "key_id")
                   if (value := optional_int_param(query.get(name), name)) is not None}
        if (status := optional_int_param(query.get("status"), "status", 100, 599)) is not None:
            filters["status"] = status
        for name in ("model", "error_class"):
            if (value := text_param(query.get(name), name)) is not None:
                filters[name] = value
        filters["errors_only"] = query.get("errors") in ("1", "true")
        rows, total = await store.logs.page(page_size, (page - 1) * page_size, filters)
        return Response.json({"items": rows, "total": total, "page": page, "page_size": page_size})

    async def clear_logs(request: Request) -> Response:
        require_admin(request, settings)
        return Response.json({"deleted": await store.logs.clear()})

    return [
        Route("/api/logs", list_logs, ("GET",)),
        Route("/api/logs", clear_logs, ("DELETE",)),
    ]
