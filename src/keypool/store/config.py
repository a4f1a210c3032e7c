"""The `config` table: pool settings the admin edits at run time."""

from __future__ import annotations

import json
from typing import Any

from ..ports import Database


class ConfigStore:
    ALL_QUERY = ("SELECT name, value FROM config", ())

    def __init__(self, db: Database):
        self.db = db

    @staticmethod
    def decode(rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {row["name"]: json.loads(row["value"]) for row in rows}

    async def get_all(self) -> dict[str, Any]:
        return self.decode(await self.db.all(*self.ALL_QUERY))

    async def put_many(self, values: dict[str, Any]) -> None:
        await self.db.run(
            "INSERT INTO config (name, value) SELECT key, value FROM json_each(?) WHERE true "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (json.dumps({name: json.dumps(value) for name, value in values.items()}),),
        )
