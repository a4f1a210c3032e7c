"""The admin API over request logs: pages of it, its CSV export, clearing it.

Every answer names the upstream key masked and the client key by its name;
a full key never leaves here.
"""

from __future__ import annotations

from typing import Any

from ..auth import require_admin
from ..core.keys import mask_key
from ..core.log_csv import csv_filename, csv_part
from ..http import Request, Response
from ..routing import Route
from ..services import Services
from .params import MAX_INT, int_param, optional_int_param, text_param

MAX_PAGE_SIZE = 500
# Rows per part of a CSV export: the browser asks for parts until none is left.
EXPORT_PART = 5000
MAX_EXPORT_PART = 10_000
NEXT_HEADER = "x-logs-next-before"


def key_filter(text: str) -> tuple[str, ...]:
    """The upstream-key filter for what the admin typed: a part of a key (a whole key too), or a
    masked key ("sk-abcd...wxyz", as the pages show them) for every key it could be."""
    head, dots, tail = text.partition("...")
    return ("masked", head, tail) if dots and head and tail else ("part", text.replace("...", ""))


def filters_from_query(query: dict[str, str]) -> dict[str, Any]:
    filters: dict[str, Any] = {name: value for name in ("client_key_id", "key_id")
                               if (value := optional_int_param(query.get(name), name)) is not None}
    if (status := optional_int_param(query.get("status"), "status", 100, 599)) is not None:
        filters["status"] = status
    for name in ("model", "error_class"):
        if (value := text_param(query.get(name), name)) is not None:
            filters[name] = value
    for name in ("since", "until"):  # Unix seconds; `until` is exclusive
        if (value := optional_int_param(query.get(name), name, 0, MAX_INT)) is not None:
            filters[name] = value
    if (key := text_param(query.get("key"), "key", 300)) is not None:
        filters["key"] = key_filter(key)
    filters["errors_only"] = query.get("errors") in ("1", "true")
    return filters


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """A log row as the admin API gives it: the upstream key masked."""
    key = row.pop("upstream_key", None)
    row["upstream_key"] = mask_key(key) if key else None
    return row


def routes(services: Services) -> list[Route]:
    store, settings, clock = services.store, services.settings, services.clock

    async def list_logs(request: Request) -> Response:
        require_admin(request, settings)
        query = request.query
        page = int_param(query.get("page"), "page", 1, 1, 10_000_000)
        page_size = int_param(query.get("page_size"), "page_size", 50, 1, MAX_PAGE_SIZE)
        rows, total = await store.logs.page(page_size, (page - 1) * page_size, filters_from_query(query))
        return Response.json({"items": [shown(row) for row in rows], "total": total, "page": page,
                              "page_size": page_size})

    async def export_logs(request: Request) -> Response:
        """The filtered rows as CSV, newest first, in parts: a part ends after `limit` rows and
        names where the next one starts (`x-logs-next-before`; absent on the last part).
        The first part (no `before`) starts with the header row."""
        require_admin(request, settings)
        query = request.query
        before = optional_int_param(query.get("before"), "before", 1, MAX_INT)
        limit = int_param(query.get("limit"), "limit", EXPORT_PART, 1, MAX_EXPORT_PART)
        rows = [shown(row) for row in await store.logs.export_rows(filters_from_query(query), before, limit)]
        headers = [("cache-control", "no-store"),
                   ("content-disposition", f'attachment; filename="{csv_filename(clock.now())}"')]
        if len(rows) == limit:
            headers.append((NEXT_HEADER, str(rows[-1]["id"])))
        return Response.text(csv_part(rows, header=before is None), content_type="text/csv; charset=utf-8",
                             headers=headers)

    async def clear_logs(request: Request) -> Response:
        require_admin(request, settings)
        deleted = await store.logs.clear()
        await services.audit.record(request, "logs.clear", count=deleted)
        return Response.json({"deleted": deleted})

    return [
        Route("/api/logs", list_logs, ("GET",)),
        Route("/api/logs", clear_logs, ("DELETE",)),
        Route("/api/logs/export", export_logs, ("GET",)),
    ]
