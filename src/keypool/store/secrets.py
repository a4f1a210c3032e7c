"""The `secrets` and `revoked_sessions` tables: what sign-in needs to decide."""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..ports import Database


class SecretStore:
    def __init__(self, db: Database):
        self.db = db

    @staticmethod
    def state_queries(now: float, config_names: Sequence[str]) -> list[tuple[str, list[Any]]]:
        """One round trip for everything a session check needs: the secrets, the
        sessions revoked and not yet expired, and the named settings."""
        return [
            ("SELECT name, value FROM secrets", []),
            ("SELECT id FROM revoked_sessions WHERE expires_at > ?", [int(now)]),
            ("SELECT name, value FROM config WHERE name IN (SELECT value FROM json_each(?))",
             [json.dumps(list(config_names))]),
        ]

    async def get(self, name: str) -> str | None:
        row = await self.db.first("SELECT value FROM secrets WHERE name = ?", (name,))
        return row["value"] if row else None

    async def put(self, name: str, value: str, now: float) -> None:
        await self.db.run(
            "INSERT INTO secrets (name, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (name, value, now))

    async def put_once(self, name: str, value: str, now: float) -> str:
        """Store `value` unless the name has one already; the value that holds."""
        await self.db.run("INSERT OR IGNORE INTO secrets (name, value, updated_at) VALUES (?, ?, ?)",
                          (name, value, now))
        return await self.get(name) or value

    async def delete(self, name: str) -> int:
        return (await self.db.run("DELETE FROM secrets WHERE name = ?", (name,))).changes

    async def bump(self, name: str, now: float) -> None:
        """Add one to a counter kept as text (the session generation)."""
        await self.db.run(
            "INSERT INTO secrets (name, value, updated_at) VALUES (?, '1', ?) "
            "ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT), "
            "updated_at = excluded.updated_at", (name, now))

    async def revoke(self, session_id: str, expires_at: int) -> None:
        await self.db.run("INSERT OR IGNORE INTO revoked_sessions (id, expires_at) VALUES (?, ?)",
                          (session_id, expires_at))

    @staticmethod
    def prune_revoked_statement(now: float) -> tuple[str, list[Any]]:
        return ("DELETE FROM revoked_sessions WHERE expires_at <= ?", [int(now)])
