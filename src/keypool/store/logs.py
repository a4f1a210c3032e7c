"""The `request_logs` table, and the usage counters each logged request adds to."""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..ports import Database

LOG_FIELDS = ("ts", "client_key_id", "key_id", "method", "endpoint", "model", "stream", "status", "latency_ms",
              "ttfb_ms", "attempts", "error_class", "prompt_tokens", "completion_tokens")


# Filters of the log's read side: name -> SQL with one parameter.
FILTER_SQL = {
    "client_key_id": "l.client_key_id = ?",
    "key_id": "l.key_id = ?",
    "status": "l.status = ?",
    "model": "l.model = ?",
    "error_class": "l.error_class = ?",
    "since": "l.ts >= ?",
    "until": "l.ts < ?",
}
# The upstream key by (part of) its text: `key` is ("part", text) or, for a masked key as the
# pages show them, ("masked", head, tail). Not LIKE: D1 refuses patterns over 50 bytes.
KEY_SQL = {
    "part": "l.key_id IN (SELECT id FROM keys WHERE instr(key, ?) > 0)",
    "masked": "l.key_id IN (SELECT id FROM keys WHERE instr(key, ?) = 1 AND substr(key, -length(?)) = ?)",
}
# A log row with the names it refers to: the client key's name and the upstream key's text
# (the caller masks it; a full key never leaves the admin API).
_LABELLED = (f"SELECT l.id, {', '.join('l.' + name for name in LOG_FIELDS)}, c.name AS client_name, "
             "k.key AS upstream_key FROM request_logs AS l LEFT JOIN client_keys AS c ON c.id = l.client_key_id "
             "LEFT JOIN keys AS k ON k.id = l.key_id")


def _where(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for name, sql in FILTER_SQL.items():
        if filters.get(name) is not None:
            clauses.append(sql)
            params.append(filters[name])
    if key := filters.get("key"):
        kind, *texts = key
        clauses.append(KEY_SQL[kind])
        params += texts if kind == "part" else [texts[0], texts[1], texts[1]]
    if filters.get("errors_only"):
        clauses.append("l.status >= 400")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


class LogStore:
    def __init__(self, db: Database):
        self.db = db

    async def write(self, entries: Sequence[dict[str, Any]]) -> None:
        """Logs and usage counters for a batch of requests, in one transaction of four statements."""
        if not entries:
            return
        rows = json.dumps([[entry.get(f) for f in LOG_FIELDS] for entry in entries])
        columns = ", ".join(LOG_FIELDS)
        picks = ", ".join(f"value ->> {i}" for i in range(len(LOG_FIELDS)))
        usage = json.dumps([
            [e.get("key_id"), e.get("client_key_id"), e.get("prompt_tokens") or 0,
             e.get("completion_tokens") or 0, int(e["ts"]), 1 if e.get("key_id") and e.get("status", 500) < 400 else 0]
            for e in entries
        ])
        await self.db.batch([
            (f"INSERT INTO request_logs ({columns}) SELECT {picks} FROM json_each(?)", [rows]),
            ("UPDATE keys SET request_count = request_count + u.n, prompt_tokens = prompt_tokens + u.p, "
             "completion_tokens = completion_tokens + u.c, last_used_at = max(coalesce(last_used_at, 0), u.t) "
             "FROM (SELECT value ->> 0 AS id, count(*) AS n, sum(value ->> 2) AS p, sum(value ->> 3) AS c, "
             "max(value ->> 4) AS t FROM json_each(?) WHERE value ->> 0 IS NOT NULL GROUP BY 1) AS u "
             "WHERE keys.id = u.id", [usage]),
            ("UPDATE client_keys SET request_count = request_count + u.n, prompt_tokens = prompt_tokens + u.p, "
             "completion_tokens = completion_tokens + u.c, last_used_at = max(coalesce(last_used_at, 0), u.t) "
             "FROM (SELECT value ->> 1 AS id, count(*) AS n, sum(value ->> 2) AS p, sum(value ->> 3) AS c, "
             "max(value ->> 4) AS t FROM json_each(?) WHERE value ->> 1 IS NOT NULL GROUP BY 1) AS u "
             "WHERE client_keys.id = u.id", [usage]),
            # A key that just served a paid request has balance: it is valid.
            ("UPDATE keys SET status = 'valid' WHERE status = 'unchecked' AND id IN "
             "(SELECT value ->> 0 FROM json_each(?) WHERE value ->> 5 = 1)", [usage]),
        ])

    async def page(self, limit: int, offset: int, filters: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
        """A page of the log, newest first, and how many rows match (one round trip)."""
        where, params = _where(filters)
        totals, rows = await self.db.read([
            (f"SELECT count(*) AS n FROM request_logs AS l{where}", params),
            (f"{_LABELLED}{where} ORDER BY l.id DESC LIMIT ? OFFSET ?", [*params, limit, offset]),
        ])
        return rows, totals[0]["n"] if totals else 0

    async def export_rows(self, filters: dict[str, Any], before: int | None, limit: int) -> list[dict[str, Any]]:
        """Matching rows older than id `before` (all when None), newest first: a part of a CSV export.
        Walking the id index from `before` keeps every part's reads bounded, however long the log."""
        where, params = _where(filters)
        if before is not None:
            where += (" AND " if where else " WHERE ") + "l.id < ?"
            params = [*params, before]
        return await self.db.all(f"{_LABELLED}{where} ORDER BY l.id DESC LIMIT ?", [*params, limit])

    async def clear(self) -> int:
        return (await self.db.run("DELETE FROM request_logs")).changes

    async def prune(self, older_than: float, keep_rows: int) -> int:
        results = await self.db.batch([
            ("DELETE FROM request_logs WHERE ts < ?", [older_than]),
            ("DELETE FROM request_logs WHERE id <= (SELECT id FROM request_logs ORDER BY id DESC LIMIT 1 OFFSET ?)",
             [keep_rows]),
        ])
        return sum(r.changes for r in results)
