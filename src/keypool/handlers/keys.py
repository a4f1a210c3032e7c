"""The admin API over the upstream key pool: import, list, act on, export."""

from __future__ import annotations

import re
import time
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
from .params import choice_param, int_param, json_ids, number_param, text_param

MAX_PAGE_SIZE = 1000
MAX_IMPORT_KEYS = 200_000
PREVIEW_ITEMS = 5


def _status(value: Any) -> str | None:
    return choice_param(value, "status", ("all", *STATUS_SQL), empty=(None, "", "all"))


def filter_from_query(query: dict[str, str]) -> KeyFilter:
    return KeyFilter(
        status=_status(query.get("status")),
        q=text_param(query.get("q"), "q"),
        min_balance=number_param(query.get("min_balance"), "min_balance"),
        max_balance=number_param(query.get("max_balance"), "max_balance"),
    )


def filter_from_body(body: dict[str, Any]) -> KeyFilter:
    """`{"ids": [...]}`, a filter (`status`, `q`, `min_balance`, `max_balance`,
    `zero_balance`), or `{"all": true}`. An empty body selects nothing: a
    bulk action on every key must be asked for explicitly."""
    ids = body.get("ids")
    key_filter = KeyFilter(
        ids=json_ids(ids) if ids is not None else None,
        status=_status(body.get("status")),
        q=text_param(body.get("q"), "q"),
        min_balance=number_param(body.get("min_balance"), "min_balance"),
        max_balance=number_param(body.get("max_balance"), "max_balance"),
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


def balance_unknown(row: dict[str, Any]) -> str | None:
    """Why a key has no balance: never checked, or checked but SiliconFlow's
    /v1/user/info gave none (retired: 404/410, or the key was refused)."""
    if row["balance"] is not None:
        return None
    return "never_checked" if row["checked_at"] is None else "not_reported"


def export_options(fmt: Any, sep: Any, custom_sep: Any) -> tuple[str, str]:
    fmt = fmt or "plain"
    if fmt not in FORMATS:
        raise HTTPError(400, f"format must be one of {', '.join(FORMATS)}")
    if not isinstance(sep, (str, type(None))) or not isinstance(custom_sep, (str, type(None))):
        raise HTTPError(400, "sep and custom_sep must be text")
    try:
        return fmt, resolve_separator(sep, custom_sep)
    except ValueError as exc:
        raise HTTPError(400, str(exc)) from None


def export_filename(request: Request, key_filter: KeyFilter, fmt: str, now: float) -> str:
    """Says which pool, which keys and which day: e.g. keypool-127.0.0.1-8787-valid-min-1-2026-05-01.txt."""
    host = re.sub(r"[^A-Za-z0-9.-]+", "-", request.headers.get("host", "")).strip("-.")[:60]
    parts = ["keypool", *([host] if host else [])]
    if key_filter.ids is not None:
        parts.append(f"selected-{len(key_filter.ids)}")
    if key_filter.status:
        parts.append(key_filter.status)
    if key_filter.min_balance is not None:
        parts.append(f"min-{key_filter.min_balance:g}")
    if key_filter.max_balance is not None:
        parts.append(f"max-{key_filter.max_balance:g}")
    if key_filter.q:
        parts.append("search")
    if len(parts) == 1 + bool(host):
        parts.append("all")
    if fmt == "with_balance":
        parts.append("with-balance")
    parts.append(time.strftime("%Y-%m-%d", time.gmtime(now)))
    return "-".join(parts) + ".txt"


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
        now = int(clock.now())
        if parsed.carried:  # an older project's export or dump: its balances and dates come along
            added = await store.backup.add_keys(parsed.keys, parsed.carried, now)
        else:
            added = await store.keys.add(parsed.keys, now)
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
        blocks = await store.keys.blocks([row["id"] for row in rows], clock.now())
        return Response.json({
            "items": [{**public_key(row), "balance_unknown": balance_unknown(row), "blocks": blocks.get(row["id"], [])}
                      for row in rows],
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

    async def export_response(request: Request, key_filter: KeyFilter, fmt: str, sep: str,
                              download: bool) -> Response:
        rows = await store.keys.export_rows(key_filter)
        await services.audit.record(request, "keys.export", count=len(rows), detail={"format": fmt})
        headers = [("cache-control", "no-store")]
        if download:
            name = export_filename(request, key_filter, fmt, clock.now())
            headers.append(("content-disposition", f'attachment; filename="{name}"'))
        return Response.text(format_export(rows, fmt, sep), headers=headers)

    async def export_keys(request: Request) -> Response:
        require_admin(request, settings)
        query = request.query
        fmt, sep = export_options(query.get("format"), query.get("sep"), query.get("custom_sep"))
        return await export_response(request, filter_from_query(query), fmt, sep,
                                     query.get("download") in ("1", "true"))

    async def export_selection(request: Request) -> Response:
        """The export of `ids`, a filter or `"all": true` (a selection too long for a URL)."""
        require_admin(request, settings)
        body = request.json_object()
        fmt, sep = export_options(body.get("format"), body.get("sep"), body.get("custom_sep"))
        return await export_response(request, filter_from_body(body), fmt, sep, body.get("download") is True)

    async def export_preview(request: Request) -> Response:
        """How an export will look: its first keys masked, and how many keys it holds (not audited:
        no key leaves in full)."""
        require_admin(request, settings)
        body = request.json_object()
        fmt, sep = export_options(body.get("format"), body.get("sep"), body.get("custom_sep"))
        key_filter = filter_from_body(body)
        rows = await store.keys.export_rows(key_filter, limit=PREVIEW_ITEMS)
        return Response.json({
            "total": await store.keys.count(key_filter),
            "text": format_export([(mask_key(key), balance) for key, balance in rows], fmt, sep),
            "shown": len(rows),
        })

    async def full_key(request: Request) -> Response:
        """One key in full, for the admin's copy button; every copy is in the audit trail."""
        require_admin(request, settings)
        key_id = request.path_params["id"]
        row = await store.keys.get(key_id)
        if row is None:
            raise HTTPError(404, "no such key")
        await services.audit.record(request, "keys.copy", detail={"id": key_id})
        return Response.json({"id": key_id, "key": row["key"]}, headers=[("cache-control", "no-store")])

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
        Route("/api/keys/export", export_selection, ("POST",)),
        Route("/api/keys/export/preview", export_preview, ("POST",)),
        Route("/api/keys/{id:int}/key", full_key, ("GET",)),
        Route("/api/key", one_key, ("GET",)),
    ]
