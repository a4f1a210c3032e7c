"""The admin API over request logs."""

from __future__ import annotations

from ..auth import require_admin
from ..http import HTTPError, Request, Response
from ..routing import Route
from ..services import Services


def routes(services: Services) -> list[Route]:
    store, settings = services.store, services.settings

    async def list_logs(request: Request) -> Response:
        require_admin(request, settings)
        query = request.query
        filters = {}
        try:
            page = int(query.get("page") or 1)
            page_size = int(query.get("page_size") or 50)
            for name in ("client_key_id", "key_id", "status"):
                if query.get(name):
                    filters[name] = int(query[name])
        except ValueError:
            raise HTTPError(400, "page, page_size, client_key_id, key_id and status must be integers") from None
        if page < 1 or not 1 <= page_size <= 500:
            raise HTTPError(400, "page must be >= 1 and page_size between 1 and 500")
        for name in ("model", "error_class"):
            if query.get(name):
                filters[name] = query[name]
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
