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

    @staticmethod
    def insert_statement(rows: Sequence[list[Any]]) -> tuple[str, list[Any]]:
        """Many log rows in one statement (rows from `log_row`)."""
        picks = ", ".join(f"value ->> {i}" for i in range(len(LOG_FIELDS)))
        return (f"INSERT INTO request_logs ({', '.join(LOG_FIELDS)}) SELECT {picks} FROM json_each(?)",
                [json.dumps(rows, separators=(",", ":"))])

    async def page(self, limit: int, offset: int, filters: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
        """A page of the log, newest first, and how many rows match (one round trip; unfiltered,
        counted from the ids; a filter reads the log, which has no index but its id)."""
        where, params = _where(filters)
        count = (f"SELECT count(*) AS n FROM request_logs AS l{where}", params) if where else (
            "SELECT coalesce((SELECT max(id) FROM request_logs) - (SELECT min(id) FROM request_logs) + 1, 0) AS n", [])
        totals, rows = await self.db.read([
            count,
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
        """By age and by row count, always from the oldest end (ids stay contiguous); the age
        rule reads only the rows it removes, walking ids up to the first recent one."""
        results = await self.db.batch([
            ("DELETE FROM request_logs WHERE id < coalesce((SELECT id FROM request_logs WHERE ts >= ? ORDER BY id "
             "LIMIT 1), (SELECT max(id) + 1 FROM request_logs))", [older_than]),
            ("DELETE FROM request_logs WHERE id <= (SELECT id FROM request_logs ORDER BY id DESC LIMIT 1 OFFSET ?)",
             [keep_rows]),
        ])
        return sum(r.changes for r in results)
