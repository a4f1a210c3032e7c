"""The `audit_log` table: who did what to the pool, and when."""

from __future__ import annotations

import json
from typing import Any

from ..ports import Database

COLUMNS = ("ts", "actor", "address", "action", "count", "detail")


class AuditStore:
    def __init__(self, db: Database):
        self.db = db

    async def write(self, entry: dict[str, Any]) -> None:
        await self.db.run(
            f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
            [entry.get(name) for name in COLUMNS])

    async def page(self, limit: int, offset: int, action: str | None = None,
                   actor: str | None = None) -> tuple[list[dict[str, Any]], int]:
        clauses, params = [], []
        if action:  # "keys" matches "keys.import", "keys.delete", ...
            clauses.append("(action = ? OR substr(action, 1, length(?) + 1) = ? || '.')")
            params += [action, action, action]
        if actor:
            clauses.append("actor = ?")
            params.append(actor)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        total = await self.db.first(f"SELECT count(*) AS n FROM audit_log{where}", params)
        rows = await self.db.all(
            f"SELECT id, {', '.join(COLUMNS)} FROM audit_log{where} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset])
        for row in rows:
            row["detail"] = json.loads(row["detail"]) if row["detail"] else None
        return rows, total["n"] if total else 0

    @staticmethod
    def prune_statements(older_than: float, keep_rows: int) -> list[tuple[str, list[Any]]]:
        """Retention like the request log's: by age and by row count, newest kept."""
        return [
            ("DELETE FROM audit_log WHERE ts < ?", [older_than]),
            ("DELETE FROM audit_log WHERE id <= (SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET ?)",
             [keep_rows]),
        ]
