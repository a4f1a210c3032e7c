"""The request log: one row per logged proxied request, in two tables.

`request_logs` takes new rows; `request_logs_old` holds the part before it.
Old rows leave by rotation, not by DELETE: when the current table holds half
of `log_max_rows`, or its oldest row is half `log_retention_days` old, the
old table is dropped and the current one renamed to it. D1 bills a row
written for every row a DELETE removes, and nothing for DROP TABLE, so every
logged request costs its insert only (a DELETE would double that once the
log is full). So the log keeps at most `log_max_rows` rows and nothing older
than `log_retention_days`, and at least half of either; exact trims from the
oldest end back that up when a burst outruns the rotation (rare, billed).

No index besides the primary key: an index costs a row written per log row.
Ids are given by the insert and continue across the two tables (a plain
rowid, not AUTOINCREMENT, whose counter row D1 would bill per insert); rows
only ever leave from the oldest end or all at once, so ids are contiguous and
the unfiltered total is `max(id) - min(id) + 1`, not a count of the rows.
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
CURRENT, OLD = "request_logs", "request_logs_old"
_MAX_ID = f"coalesce((SELECT max(id) FROM {CURRENT}), (SELECT max(id) FROM {OLD}))"
_MIN_ID = f"coalesce((SELECT min(id) FROM {OLD}), (SELECT min(id) FROM {CURRENT}))"
_FIELDS = ", ".join("l." + name for name in LOG_FIELDS)


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
        """Many log rows in one statement (rows from `log_row`), numbered after the newest row."""
        picks = ", ".join(f"j.value ->> {i}" for i in range(len(LOG_FIELDS)))
        return (f"INSERT INTO {CURRENT} (id, {', '.join(LOG_FIELDS)}) SELECT b.base + j.key + 1, {picks} "
                f"FROM json_each(?) AS j, (SELECT coalesce({_MAX_ID}, 0) AS base) AS b",
                [json.dumps(rows, separators=(",", ":"))])

    @staticmethod
    def _newest(where: str, params: list[Any], limit: int) -> tuple[str, list[Any]]:
        """The newest `limit` matching rows of both tables, labelled with the client key's name and
        the upstream key's text (the caller masks it; a full key never leaves the admin API).
        Each table walks its id index from the newest end, so reads stay near `limit` per table."""
        arms = [f"SELECT * FROM (SELECT l.id, {_FIELDS} FROM {table} AS l{where} ORDER BY l.id DESC LIMIT ?)"
                for table in (CURRENT, OLD)]
        return (f"SELECT l.*, c.name AS client_name, k.key AS upstream_key FROM ({' UNION ALL '.join(arms)}) AS l "
                "LEFT JOIN client_keys AS c ON c.id = l.client_key_id LEFT JOIN keys AS k ON k.id = l.key_id "
                "ORDER BY l.id DESC", [*params, limit, *params, limit])

    async def page(self, limit: int, offset: int, filters: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
        """A page of the log, newest first, and how many rows match (one round trip; unfiltered,
        counted from the ids; a filter reads the log, which has no index but its id)."""
        where, params = _where(filters)
        if where:
            count = (f"SELECT (SELECT count(*) FROM {CURRENT} AS l{where}) + "
                     f"(SELECT count(*) FROM {OLD} AS l{where}) AS n", [*params, *params])
        else:
            count = (f"SELECT coalesce({_MAX_ID} - {_MIN_ID} + 1, 0) AS n", [])
        newest, newest_params = self._newest(where, params, limit + offset)
        totals, rows = await self.db.read([count, (f"{newest} LIMIT ? OFFSET ?", [*newest_params, limit, offset])])
        return rows, totals[0]["n"] if totals else 0

    async def export_rows(self, filters: dict[str, Any], before: int | None, limit: int) -> list[dict[str, Any]]:
        """Matching rows older than id `before` (all when None), newest first: a part of a CSV export.
        Walking the id index from `before` keeps every part's reads bounded, however long the log."""
        where, params = _where(filters)
        if before is not None:
            where += (" AND " if where else " WHERE ") + "l.id < ?"
            params = [*params, before]
        newest, newest_params = self._newest(where, params, limit)
        return await self.db.all(f"{newest} LIMIT ?", [*newest_params, limit])

    async def clear(self) -> int:
        results = await self.db.batch([(f"DELETE FROM {CURRENT}", []), (f"DELETE FROM {OLD}", [])])
        return sum(r.changes for r in results)

    async def prune(self, now: float, retention_s: float, keep_rows: int) -> int:
        """Rotate when the current table holds half of what may be kept, by rows or by age, or when
        all of the old table is past the retention age (the log went quiet). Then trim
        from the oldest end what still exceeds the limits (nothing, unless a burst outran the
        rotation). Returns the rows removed by DELETE (a rotation removes without deleting)."""
        state = await self.db.first(
            f"SELECT {_MAX_ID} - coalesce((SELECT min(id) FROM {CURRENT}), {_MAX_ID} + 1) + 1 AS current_rows, "
            f"(SELECT ts FROM {CURRENT} ORDER BY id LIMIT 1) AS current_oldest, "
            f"(SELECT ts FROM {OLD} ORDER BY id DESC LIMIT 1) AS old_newest, "
            f"(SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{CURRENT}') AS current_sql")
        statements: list[tuple[str, list[Any]]] = []
        current_rows = int(state["current_rows"] or 0)  # a SELECT without FROM always gives its one row
        full = current_rows and (current_rows * 2 >= keep_rows or state["current_oldest"] < now - retention_s / 2)
        quiet = state["old_newest"] is not None and state["old_newest"] < now - retention_s
        if full or quiet:
            # The new current table is made by the current one's own CREATE statement (one
            # definition, migrations/schema.sql); a quiet log rotates an empty current table.
            statements += [(f"DROP TABLE {OLD}", []), (f"ALTER TABLE {CURRENT} RENAME TO {OLD}", []),
                           (state["current_sql"], [])]
        older_than = now - retention_s
        for table in (OLD, CURRENT):
            # By age, reading only the rows it removes (ids up to the first recent one); by count,
            # from the ids alone (contiguous: the newest id minus the rows kept).
            statements.append((f"DELETE FROM {table} WHERE id < coalesce((SELECT id FROM {table} WHERE ts >= ? "
                               f"ORDER BY id LIMIT 1), (SELECT max(id) + 1 FROM {table}))", [older_than]))
            statements.append((f"DELETE FROM {table} WHERE id <= {_MAX_ID} - ?", [keep_rows]))
        results = await self.db.batch(statements)
        return sum(r.changes for r in results)
