"""The `request_logs` table, and the usage counters each logged request adds to."""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..ports import Database

LOG_FIELDS = ("ts", "client_key_id", "key_id", "method", "endpoint", "model", "stream", "status", "latency_ms",
              "ttfb_ms", "attempts", "error_class", "prompt_tokens", "completion_tokens")


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
        clauses, params = [], []
        for field in ("client_key_id", "key_id", "status", "model", "error_class"):
            if filters.get(field) is not None:
                clauses.append(f"{field} = ?")
                params.append(filters[field])
        if filters.get("errors_only"):
            clauses.append("status >= 400")
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        total = await self.db.first(f"SELECT count(*) AS n FROM request_logs{where}", params)
        rows = await self.db.all(
            f"SELECT id, {', '.join(LOG_FIELDS)} FROM request_logs{where} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset])
        return rows, total["n"] if total else 0

    async def clear(self) -> int:
        return (await self.db.run("DELETE FROM request_logs")).changes

    async def prune(self, older_than: float, keep_rows: int) -> int:
        results = await self.db.batch([
            ("DELETE FROM request_logs WHERE ts < ?", [older_than]),
            ("DELETE FROM request_logs WHERE id <= (SELECT id FROM request_logs ORDER BY id DESC LIMIT 1 OFFSET ?)",
             [keep_rows]),
        ])
        return sum(r.changes for r in results)
