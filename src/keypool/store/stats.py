"""Pool statistics and balance history (the `balance_history` table).

The pool's balance is the sum of known balances of enabled keys that are not
invalid (exhausted keys add their zero or slightly negative amounts). A row
per key records a balance that changed; one row per UTC day (key_id NULL)
holds the pool total and the number of valid keys, for the trend chart.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..ports import Database

USABLE = "enabled = 1 AND status != 'invalid'"


def _round(value: Any) -> float | None:
    return round(float(value), 6) if value is not None else None


class StatsStore:
    def __init__(self, db: Database):
        self.db = db

    async def pool_totals(self) -> dict[str, Any]:
        """The pool's balance (None while no balance is known: unknown is not 0) and valid keys."""
        row = await self.db.first(
            "SELECT sum(balance) FILTER (WHERE status != 'invalid') AS total_balance, "
            "count(*) FILTER (WHERE status = 'valid') AS valid_keys FROM keys WHERE enabled = 1")
        row = row or {"total_balance": None, "valid_keys": 0}
        return {"total_balance": _round(row["total_balance"]), "valid_keys": int(row["valid_keys"] or 0)}

    async def save_day(self, day: str, now: float, totals: dict[str, Any]) -> None:
        """Today's pool total; written only when it changed."""
        await self.db.run(
            "INSERT INTO balance_history (ts, key_id, balance, valid_keys, day) VALUES (?, NULL, ?, ?, ?) "
            "ON CONFLICT (day) WHERE key_id IS NULL DO UPDATE SET ts = excluded.ts, balance = excluded.balance, "
            "valid_keys = excluded.valid_keys "
            "WHERE balance IS NOT excluded.balance OR valid_keys IS NOT excluded.valid_keys",
            (int(now), totals["total_balance"], totals["valid_keys"], day))

    @staticmethod
    def key_history_statement(rows: Sequence[tuple[int, float]], now: float) -> tuple[str, list[Any]]:
        """A snapshot per key whose balance changed: `rows` are (key id, balance)."""
        return ("INSERT INTO balance_history (ts, key_id, balance) SELECT ?, value ->> 0, value ->> 1 "
                "FROM json_each(?)", [int(now), json.dumps([list(row) for row in rows])])

    async def balances(self) -> dict[str, Any]:
        row = await self.db.first(
            f"SELECT count(balance) AS known, count(*) - count(balance) AS unknown, sum(balance) AS sum, "
            f"avg(balance) AS avg, min(balance) AS min, max(balance) AS max FROM keys WHERE {USABLE}") or {}
        return {"known": row.get("known") or 0, "unknown": row.get("unknown") or 0,
                **{name: _round(row.get(name)) for name in ("sum", "avg", "min", "max")}}

    async def distribution(self, edges: Sequence[float]) -> dict[int, int]:
        """Keys per balance bucket: 0 is <= edges[0], i is (edges[i-1], edges[i]], last is > edges[-1]."""
        cases = " ".join(f"WHEN balance <= ? THEN {i}" for i in range(len(edges)))
        rows = await self.db.all(
            f"SELECT CASE {cases} ELSE {len(edges)} END AS bucket, count(*) AS n FROM keys "
            f"WHERE {USABLE} AND balance IS NOT NULL GROUP BY bucket", list(edges))
        return {row["bucket"]: row["n"] for row in rows}

    async def trend(self, since_day: str | None) -> list[dict[str, Any]]:
        clause, params = ("AND day >= ?", [since_day]) if since_day else ("", [])
        rows = await self.db.all(
            f"SELECT day, balance, valid_keys FROM balance_history WHERE key_id IS NULL {clause} ORDER BY day",
            params)
        return [{"day": r["day"], "total_balance": _round(r["balance"]), "valid_keys": r["valid_keys"]}
                for r in rows]

    async def key_history(self, key_id: int, limit: int) -> list[dict[str, Any]]:
        rows = await self.db.all(
            "SELECT ts, balance FROM balance_history WHERE key_id = ? ORDER BY ts DESC, id DESC LIMIT ?",
            (key_id, limit))
        return [{"ts": r["ts"], "balance": _round(r["balance"])} for r in rows]

    @staticmethod
    def prune_key_history_statement(older_than: float) -> tuple[str, list[Any]]:
        """Per-key snapshots age out with the logs; the daily pool totals stay."""
        return ("DELETE FROM balance_history WHERE key_id IS NOT NULL AND ts < ?", [int(older_than)])
