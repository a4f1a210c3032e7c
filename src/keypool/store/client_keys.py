"""The `client_keys` table: who may use /v1, with limits and usage."""

from __future__ import annotations

import json
from typing import Any

from ..ports import Database
from .usage import UNFOLDED_CLIENTS, with_unfolded

# Usage totals include what store/usage.py has not folded into the row yet.
_SELECT = (
    "SELECT c.id, c.name, c.key_hint, c.enabled, c.created_at, c.expires_at, c.models, c.rpm_limit, "
    "c.request_quota, c.token_quota, c.allow_upstream_key, " + with_unfolded("c") +
    f" FROM client_keys c LEFT JOIN ({UNFOLDED_CLIENTS}) u ON u.uid = c.id"
)
EDITABLE = ("name", "enabled", "expires_at", "models", "rpm_limit", "request_quota", "token_quota",
            "allow_upstream_key")


def _decode(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    row = dict(row)
    row["models"] = json.loads(row["models"]) if row.get("models") else None
    row["enabled"] = bool(row["enabled"])
    row["allow_upstream_key"] = bool(row["allow_upstream_key"])
    return row


def _encode(field: str, value: Any) -> Any:
    if field == "models":
        return json.dumps(value) if value is not None else None
    if isinstance(value, bool):
        return int(value)
    return value


class ClientKeyStore:
    def __init__(self, db: Database):
        self.db = db

    async def create(self, name: str, key_hash: str, key_hint: str, now: int, fields: dict[str, Any]) -> int:
        columns = ["name", "key_hash", "key_hint", "created_at", *fields]
        values = [name, key_hash, key_hint, now, *(_encode(f, v) for f, v in fields.items())]
        result = await self.db.run(
            f"INSERT INTO client_keys ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", values)
        return int(result.last_row_id or 0)

    async def list(self) -> list[dict[str, Any]]:
        return [_decode(row) for row in await self.db.all(f"{_SELECT} ORDER BY c.id")]

    async def get(self, client_id: int) -> dict[str, Any] | None:
        return _decode(await self.db.first(f"{_SELECT} WHERE c.id = ?", (client_id,)))

    async def by_hash(self, key_hash: str) -> dict[str, Any] | None:
        return _decode(await self.db.first(f"{_SELECT} WHERE c.key_hash = ?", (key_hash,)))

    async def update(self, client_id: int, fields: dict[str, Any]) -> int:
        if not fields:
            return 0
        assignments = ", ".join(f"{field} = ?" for field in fields)
        result = await self.db.run(f"UPDATE client_keys SET {assignments} WHERE id = ?",
                                   [*(_encode(f, v) for f, v in fields.items()), client_id])
        return result.changes

    async def delete(self, client_id: int) -> int:
        return (await self.db.run("DELETE FROM client_keys WHERE id = ?", (client_id,))).changes
