"""The admin API over the upstream key pool: import, list, act on, export."""

from __future__ import annotations

from typing import Any

from ..auth import is_admin, require_admin
from ..clients import ClientGate
from ..core.selection import NoKey
from ..core.export import FORMATS, format_export, resolve_separator
from ..core.keys import mask_key, parse_keys
from ..core.request_body import BodyError, check_model_name
from ..http import HTTPError, Request, Response
from ..jobs import JobRunner
from ..pool import KeyPool
from ..routing import Route
from ..services import Services
from ..store import KeyFilter
from ..store.keys import SORT_SQL, STATUS_SQL

MAX_PAGE_SIZE = 1000
MAX_IMPORT_KEYS = 200_000


def _float(value: Any, name: str) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise HTTPError(400, f"{name} must be a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise HTTPError(400, f"{name} must be a number, got {value!r}") from None


def int_param(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise HTTPError(400, f"{name} must be an integer, got {value!r}") from None
    if not low <= number <= high:
        raise HTTPError(400, f"{name} must be between {low} and {high}")
    return number


def _status(value: Any) -> str | None:
    if value in (None, "", "all"):
        return None
    if value not in STATUS_SQL:
        raise HTTPError(400, f"status must be one of all, {', '.join(STATUS_SQL)}")
    return value


def filter_from_query(query: dict[str, str]) -> KeyFilter:
    return KeyFilter(
        status=_status(query.get("status")),
        q=(query.get("q") or "").strip() or None,
        min_balance=_float(query.get("min_balance"), "min_balance"),
        max_balance=_float(query.get("max_balance"), "max_balance"),
    )


def filter_from_body(body: dict[str, Any]) -> KeyFilter:
    """`{"ids": [...]}`, a filter (`status`, `q`, `min_balance`, `max_balance`,
    `zero_balance`), or `{"all": true}`. An empty body selects nothing: a
    bulk action on every key must be asked for explicitly."""
    ids = body.get("ids")
    if ids is not None:
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise HTTPError(400, "ids must be a list of integers")
    key_filter = KeyFilter(
        ids=ids,
        status=_status(body.get("status")),
        q=(body.get("q") or "").strip() or None if isinstance(body.get("q"), (str, type(None))) else None,
        min_balance=_float(body.get("min_balance"), "min_balance"),
        max_balance=_float(body.get("max_balance"), "max_balance"),
    )
    if body.get("zero_balance"):
        key_filter.max_balance = 0.0 if key_filter.max_balance is None else min(key_filter.max_balance, 0.0)
    if key_filter.is_empty() and body.get("all") is not True:
        raise HTTPError(400, 'say which keys: "ids", a filter such as "status", or "all": true')
    return key_filter


def public_key(row: dict[str, Any]) -> dict[str, Any]:
    item = dict(row)
    item["key"] = mask_key(row["key"])
    item["enabled"] = bool(row["enabled"])
    if not row["enabled"]:
        item["status"] = "disabled"
    return item


def routes(services: Services, pool: KeyPool, gate: ClientGate, jobs: JobRunner) -> list[Route]:
    store, settings, clock = services.store, services.settings, services.clock

    async def import_keys(request: Request) -> Response:
        require_admin(request, settings)
        body = request.json_object()
        text = body.get("keys")
        if isinstance(text, list) and all(isinstance(k, str) for k in text):
            text = "\n".join(text)
        if not isinstance(text, str):
            raise HTTPError(400, '"keys" must be text (newline, comma or space separated) or a list of strings')
        parsed = parse_keys(text)
        if len(parsed.keys) > MAX_IMPORT_KEYS:
            raise HTTPError(413, f"at most {MAX_IMPORT_KEYS} keys per import; split the list")
        before = await store.keys.last_id()
        added = await store.keys.add(parsed.keys, int(clock.now()))
        pool.invalidate()
        # New keys are checked in the background before traffic meets many of them (dead
        # and empty keys leave the rotation): locally at once, in a Worker a chunk after
        # this response, the rest on the next ticks and job polls.
        job_id = await jobs.check_new_keys(before, request.defer) if added else None
        detail = {"duplicates": parsed.duplicates + len(parsed.keys) - added, "invalid": parsed.invalid}
        await services.audit.record(request, "keys.import", count=added,
                                    detail={**detail, "job": job_id} if job_id else detail)
        return Response.json({
            "added": added,
            "duplicates": parsed.duplicates + len(parsed.keys) - added,
            "invalid": parsed.invalid,
            "invalid_samples": parsed.invalid_samples,
            "job": job_id,
        })

    async def list_keys(request: Request) -> Response:
        require_admin(request, settings)
        query = request.query
        key_filter = filter_from_query(query)
        sort = query.get("sort") or "added"
        if sort not in SORT_SQL:
            raise HTTPError(400, f"sort must be one of {', '.join(SORT_SQL)}")
        order = query.get("order") or "desc"
        if order not in ("asc", "desc"):
            raise HTTPError(400, "order must be asc or desc")
        page = int_param(query.get("page"), "page", 1, 1, 10_000_000)
        page_size = int_param(query.get("page_size"), "page_size", 50, 1, MAX_PAGE_SIZE)
        total = await store.keys.count(key_filter)
        rows = await store.keys.page(key_filter, sort, order == "desc", page_size, (page - 1) * page_size)
        return Response.json({
            "items": [public_key(row) for row in rows],
            "total": total,
            "page": page,
            "page_size": page_size,
        })

    async def key_ids(request: Request) -> Response:
        """Every id matching a filter: lets the UI select across pages."""
        require_admin(request, settings)
        ids = await store.keys.ids(filter_from_query(request.query))
        return Response.json({"ids": ids, "total": len(ids)})

    def bulk(action: str):
        async def handler(request: Request) -> Response:
            require_admin(request, settings)
            key_filter = filter_from_body(request.json_object())
            if action == "delete":
                changed = await store.keys.delete(key_filter)
            else:
                changed = await store.keys.set_enabled(key_filter, action == "enable")
            pool.invalidate()
            await services.audit.record(request, f"keys.{action}", count=changed)
            return Response.json({"changed": changed})
        return handler

    async def export_keys(request: Request) -> Response:
        require_admin(request, settings)
        query = request.query
        fmt = query.get("format") or "plain"
        if fmt not in FORMATS:
            raise HTTPError(400, f"format must be one of {', '.join(FORMATS)}")
        try:
            sep = resolve_separator(query.get("sep"), query.get("custom_sep"))
        except ValueError as exc:
            raise HTTPError(400, str(exc)) from None
        rows = await store.keys.export_rows(filter_from_query(query))
        await services.audit.record(request, "keys.export", count=len(rows), detail={"format": fmt})
        headers = [("cache-control", "no-store")]
        if query.get("download") in ("1", "true"):
            headers.append(("content-disposition", 'attachment; filename="siliconflow-keys.txt"'))
        return Response.text(format_export(rows, fmt, sep), headers=headers)

    async def one_key(request: Request) -> Response:
        """One upstream key for a caller that talks to SiliconFlow itself: the
        admin, or a client key created with allow_upstream_key."""
        model = request.query.get("model", "")
        if model:
            try:
                check_model_name(model)
            except BodyError as exc:
                raise HTTPError(400, str(exc)) from None
        if not is_admin(request, settings):
            client = await gate.authenticate(request)
            if not client["allow_upstream_key"]:
                raise HTTPError(403, "this client key may not fetch upstream keys", code="upstream_key_not_allowed")
            # A raw upstream key serves any model: a key limited to some models names one of them.
            if client["models"] and model not in client["models"]:
                raise HTTPError(403, "this client key may use only some models: ask with ?model= one of them",
                                code="model_not_allowed")
        found = await pool.pick(model, set())
        if isinstance(found, NoKey):
            headers = [("retry-after", str(int(found.retry_after + 0.999)))] if found.retry_after else []
            raise HTTPError(503, found.reason, code="no_available_key", headers=headers)
        return Response.json({"key": found.key}, headers=[("cache-control", "no-store")])

    return [
        Route("/api/keys", list_keys, ("GET",)),
        Route("/api/keys", import_keys, ("POST",)),
        Route("/api/keys/ids", key_ids, ("GET",)),
        Route("/api/keys/delete", bulk("delete"), ("POST",)),
        Route("/api/keys/enable", bulk("enable"), ("POST",)),
        Route("/api/keys/disable", bulk("disable"), ("POST",)),
        Route("/api/keys/export", export_keys, ("GET",)),
        Route("/api/key", one_key, ("GET",)),
    ]
