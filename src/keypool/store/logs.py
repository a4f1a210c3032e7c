"""The `request_logs` table: one row per logged proxied request.

No index besides the primary key: an index costs a row written per log row
on D1. Rows are only ever removed from the oldest end (pruning) or all at
once, so ids are contiguous and the unfiltered total is `max(id) - min(id) + 1`,
two index seeks instead of counting 100,000 rows on every page of the log.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..ports import Database

LOG_FIELDS = ("ts", "client_key_id", "key_id", "method", "endpoint", "model", "stream", "status", "latency_ms",
              "ttfb_ms", "attempts", "error_class", "prompt_tokens", "completion_tokens")
# Longest text stored per field: nothing a client sends reaches the database unbounded.
TEXT_LIMITS = {"method": 16, "endpoint": 300, "model": 200, "error_class": 40}


def log_row(entry: dict[str, Any]) -> list[Any]:
    row = [entry.get(name) for name in LOG_FIELDS]
    for index, name in enumerate(LOG_FIELDS):
        limit = TEXT_LIMITS.get(name)
        if limit is not None and isinstance(row[index], str) and len(row[index]) > limit:
            row[index] = row[index][:limit]
    return row


class LogStore:
    def __init__(self, db: Database):
        self.db = db

    @staticmethod
    def insert_statement(rows: Sequence[list[Any]]) -> tuple[str, list[Any]]:
        """Many log rows in one statement (rows from `log_row`)."""
        picks = ", ".join(f"value ->> {i}" for i in range(len(LOG_FIELDS)))
        return (f"INSERT INTO request_logs ({', '.join(LOG_FIELDS)}) SELECT {picks} FROM json_each(?)",
                [json.dumps(rows, separators=(",", ":"))])

    async def page(self, limit: int, offset: int, filters: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
        clauses, params = [], []
        for field in ("client_key_id", "key_id", "status", "model", "error_class"):
            if filters.get(field) is not None:
                clauses.append(f"{field} = ?")
                params.append(filters[field])
        if filters.get("errors_only"):
            clauses.append("status >= 400")
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        if where:
            count = ("SELECT count(*) AS n FROM request_logs" + where, params)
        else:
            count = ("SELECT coalesce((SELECT max(id) FROM request_logs) - (SELECT min(id) FROM request_logs) + 1, 0)"
                     " AS n", [])
        totals, rows = await self.db.read([
            count,
            (f"SELECT id, {', '.join(LOG_FIELDS)} FROM request_logs{where} ORDER BY id DESC LIMIT ? OFFSET ?",
             [*params, limit, offset]),
        ])
        return rows, totals[0]["n"] if totals else 0

    async def clear(self) -> int:
        return (await self.db.run("DELETE FROM request_logs")).changes

    async def prune(self, older_than: float, keep_rows: int) -> int:
        """By age and by row count, always from the oldest end (ids stay contiguous); the age
        rule reads only the rows it removes, walking ids up to the first recent one."""
        results = await self.db.batch([
            ("DELETE FROM request_logs WHERE id < coalesce((SELECT id FROM request_logs WHERE ts >= ? ORDER BY id "
             "LIMIT 1), (SELECT max(id) + 1 FROM request_logs))", [older_than]),
            ("DELETE FROM request_logs WHERE id <= (SELECT id FROM request_logs ORDER BY id DESC LIMIT 1 OFFSET ?)",
             [keep_rows]),
        ])
        return sum(r.changes for r in results)
