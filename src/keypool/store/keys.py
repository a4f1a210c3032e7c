"""The `keys` table: the pool of upstream keys."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from ..ports import Database
from .usage import UNFOLDED_KEYS, with_unfolded

# D1 caps a string value at 2 MB; 20k keys of ~55 bytes of JSON fit with room.
IMPORT_CHUNK = 20_000

# What the API calls a status, in SQL. "disabled" is the admin's switch.
STATUS_SQL = {
    "unchecked": "enabled = 1 AND status = 'unchecked'",
    "valid": "enabled = 1 AND status = 'valid'",
    "exhausted": "enabled = 1 AND status = 'exhausted'",
    "invalid": "enabled = 1 AND status = 'invalid'",
    "disabled": "enabled = 0",
    "enabled": "enabled = 1",
}
# Every column the admin UI's keys table shows can be sorted by.
SORT_SQL = {
    "added": "id",
    "balance": "balance",
    "checked": "checked_at",
    "used": "last_used_at",
    # healthiest first, as the status badges read: valid, unchecked, exhausted, invalid, disabled
    "status": ("CASE WHEN enabled = 0 THEN 4 WHEN status = 'valid' THEN 0 WHEN status = 'unchecked' THEN 1 "
               "WHEN status = 'exhausted' THEN 2 ELSE 3 END"),
    "key": "key",
    "requests": "request_count",
    # how many models the key is excluded from or cooling for right now
    "blocks": ("(SELECT count(*) FROM key_blocks AS b WHERE b.key_id = keys.id "
               "AND (b.until IS NULL OR b.until > CAST(strftime('%s', 'now') AS REAL)))"),
}
# What the API shows of a key; usage totals include what store/usage.py has not folded in yet.
_PUBLIC_SELECT = (
    "SELECT keys.id, keys.key, keys.status, keys.enabled, keys.balance, keys.gift_balance, keys.charge_balance, "
    "keys.added_at, keys.checked_at, keys.last_error, keys.fail_count, " + with_unfolded("keys") +
    f" FROM keys LEFT JOIN ({UNFOLDED_KEYS}) u ON u.uid = keys.id"
)


@dataclass
class KeyFilter:
    """Which keys an action or listing applies to. Empty means all keys."""

    ids: Sequence[int] | None = None
    status: str | None = None
    q: str | None = None
    min_balance: float | None = None
    max_balance: float | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if self.ids is not None:
            clauses.append("id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(self.ids)))
        if self.status:
            clauses.append(STATUS_SQL[self.status])
        if self.q:
            clauses.append("instr(key, ?) > 0")
            params.append(self.q)
        if self.min_balance is not None:
            clauses.append("balance >= ?")
            params.append(self.min_balance)
        if self.max_balance is not None:
            clauses.append("balance <= ?")
            params.append(self.max_balance)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def is_empty(self) -> bool:
        return (self.ids is None and not self.status and not self.q
                and self.min_balance is None and self.max_balance is None)


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class KeyStore:
    def __init__(self, db: Database):
        self.db = db

    async def add(self, keys: Sequence[str], now: int) -> int:
        """Insert keys not yet in the pool; returns how many were new.

        One transaction for the whole import, so a failure leaves no half-import.
        """
        statements = [
            ("INSERT OR IGNORE INTO keys (key, added_at) SELECT value, ? FROM json_each(?)",
             (now, json.dumps(list(chunk))))
            for chunk in chunks(keys, IMPORT_CHUNK)
        ]
        if not statements:
            return 0
        results = await self.db.batch(statements)
        return sum(result.changes for result in results)

    async def last_id(self) -> int:
        row = await self.db.first("SELECT coalesce(max(id), 0) AS id FROM keys")
        return row["id"] if row else 0

    async def ids_after(self, after_id: int) -> list[int]:
        """Keys added since `last_id` said `after_id`, in id order."""
        rows = await self.db.all("SELECT id FROM keys WHERE id > ? ORDER BY id", (after_id,))
        return [row["id"] for row in rows]

    async def count(self, key_filter: KeyFilter) -> int:
        where, params = key_filter.where()
        row = await self.db.first(f"SELECT count(*) AS n FROM keys{where}", params)
        return row["n"] if row else 0

    async def page(self, key_filter: KeyFilter, sort: str, descending: bool,
                   limit: int, offset: int) -> list[dict[str, Any]]:
        where, params = key_filter.where()
        column = SORT_SQL[sort]
        direction = "DESC" if descending else "ASC"
        # Unknown balances / never-checked keys sort last either way.
        order = f"{column} IS NULL, {column} {direction}, id {direction}"
        return await self.db.all(
            f"{_PUBLIC_SELECT}{where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )

    async def blocks(self, key_ids: Sequence[int], now: float) -> dict[int, list[dict[str, Any]]]:
        """The models each of these keys is excluded from or cooling for now, in one query."""
        if not key_ids:
            return {}
        rows = await self.db.all(
            "SELECT key_id, model, reason, until FROM key_blocks "
            "WHERE key_id IN (SELECT value FROM json_each(?)) AND (until IS NULL OR until > ?) "
            "ORDER BY key_id, until IS NULL DESC, until DESC, model", (json.dumps(list(key_ids)), now))
        found: dict[int, list[dict[str, Any]]] = {}
        for row in rows:
            found.setdefault(row["key_id"], []).append(
                {"model": row["model"], "reason": row["reason"], "until": row["until"]})
        return found

    async def ids(self, key_filter: KeyFilter) -> list[int]:
        where, params = key_filter.where()
        rows = await self.db.all(f"SELECT id FROM keys{where} ORDER BY id", params)
        return [row["id"] for row in rows]

    async def export_rows(self, key_filter: KeyFilter, limit: int | None = None) -> list[tuple[str, float | None]]:
        where, params = key_filter.where()
        tail = " LIMIT ?" if limit is not None else ""
        rows = await self.db.all(f"SELECT key, balance FROM keys{where} ORDER BY id{tail}",
                                 [*params, *([limit] if limit is not None else [])])
        return [(row["key"], row["balance"]) for row in rows]

    async def delete(self, key_filter: KeyFilter) -> int:
        where, params = key_filter.where()
        results = await self.db.batch([
            (f"DELETE FROM key_blocks WHERE key_id IN (SELECT id FROM keys{where})", params),
            (f"DELETE FROM keys{where}", params),
        ])
        return results[1].changes

    async def set_enabled(self, key_filter: KeyFilter, enabled: bool) -> int:
        where, params = key_filter.where()
        flag = 1 if enabled else 0
        extra = f"{' AND' if where else ' WHERE'} enabled != ?"
        result = await self.db.run(f"UPDATE keys SET enabled = ?{where}{extra}", [flag, *params, flag])
        return result.changes

    async def get(self, key_id: int) -> dict[str, Any] | None:
        return await self.db.first(f"{_PUBLIC_SELECT} WHERE keys.id = ?", (key_id,))

    async def status_counts(self) -> dict[str, int]:
        rows = await self.db.all(
            "SELECT CASE WHEN enabled = 0 THEN 'disabled' ELSE status END AS s, count(*) AS n "
            "FROM keys GROUP BY s"
        )
        return {row["s"]: row["n"] for row in rows}

    # --- the proxy's view: usable keys, state changes learned from answers ---

    @staticmethod
    def candidates_query(after_id: int, limit: int) -> tuple[str, list[Any]]:
        """A window of keys that may serve requests, in id order after `after_id`."""
        return ("SELECT id, key, status, balance, checked_at FROM keys "
                "WHERE enabled = 1 AND status IN ('valid', 'unchecked', 'exhausted') AND id > ? "
                "ORDER BY id LIMIT ?", [after_id, limit])

    async def candidates(self, after_id: int, limit: int) -> list[dict[str, Any]]:
        return await self.db.all(*self.candidates_query(after_id, limit))

    @staticmethod
    def active_blocks_query(now: float) -> tuple[str, list[Any]]:
        return ("SELECT key_id, model, until FROM key_blocks WHERE until > ?", [now])

    @staticmethod
    def status_change(key_id: int, status: str, error: str, now: float) -> tuple[str, list[Any]]:
        return ("UPDATE keys SET status = ?, last_error = ?, checked_at = ? WHERE id = ? AND status != ?",
                [status, error[:300], int(now), key_id, status])

    @staticmethod
    def block_statement(key_id: int, model: str, reason: str, until: float) -> tuple[str, list[Any]]:
        return ("INSERT INTO key_blocks (key_id, model, reason, until) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key_id, model) DO UPDATE SET reason = excluded.reason, "
                "until = max(excluded.until, key_blocks.until)",
                [key_id, model, reason, until])

    @staticmethod
    def served_statement(key_ids: Iterable[int]) -> tuple[str, list[Any]]:
        """Keys that just answered a request well are alive: unchecked ones become valid."""
        return ("UPDATE keys SET status = 'valid' WHERE status = 'unchecked' AND id IN (SELECT value FROM json_each(?))",
                [json.dumps(sorted(key_ids))])

    @staticmethod
    def prune_blocks_statement(now: float) -> tuple[str, list[Any]]:
        return ("DELETE FROM key_blocks WHERE until <= ?", [now])

    # --- balance checks (jobs.py, checks.py) ---

    async def stalest(self, limit: int) -> list[dict[str, Any]]:
        """Enabled keys worth re-checking, checked longest ago first (never-checked first of all)."""
        return await self.db.all(
            "SELECT id, key, status, balance, gift_balance, charge_balance, last_error FROM keys "
            "WHERE enabled = 1 AND status IN ('unchecked', 'valid', 'exhausted') ORDER BY checked_at, id LIMIT ?",
            (limit,))

    async def check_rows(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Keys by id, unmasked, as a check needs them."""
        return await self.db.all(
            "SELECT id, key, status, balance, gift_balance, charge_balance, last_error FROM keys "
            "WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id", (json.dumps(list(ids)),))

    @staticmethod
    def checked_statements(updates: Sequence[Any], now: float) -> list[tuple[str, list[Any]]]:
        """The writes of a chunk of checks: checked_at for every key, the other fields only for
        keys the check changed. Two statements, because D1 bills an index write for every
        indexed column a statement assigns, changed or not (status and balance are indexed):
        a key whose check found nothing new costs its row and its checked_at entry only."""
        changed = [[u.id, u.status, u.balance, u.gift_balance, u.charge_balance, u.last_error]
                   for u in updates if u.changed]
        same = [u.id for u in updates if not u.changed]
        statements = []
        if changed:
            statements.append((
                "UPDATE keys SET checked_at = ?, status = u.s, balance = u.b, gift_balance = u.g, "
                "charge_balance = u.h, last_error = u.e "
                "FROM (SELECT value ->> 0 AS id, value ->> 1 AS s, value ->> 2 AS b, value ->> 3 AS g, "
                "value ->> 4 AS h, value ->> 5 AS e FROM json_each(?)) AS u WHERE keys.id = u.id",
                [int(now), json.dumps(changed)]))
        if same:
            statements.append(("UPDATE keys SET checked_at = ? WHERE id IN (SELECT value FROM json_each(?))",
                               [int(now), json.dumps(same)]))
        return statements

    @staticmethod
    def unblock_statement(key_ids: Sequence[int], reason: str) -> tuple[str, list[Any]]:
        """Lift a key's per-model exclusions of one kind (a check found credit again: 'exhausted')."""
        return ("DELETE FROM key_blocks WHERE reason = ? AND key_id IN (SELECT value FROM json_each(?))",
                [reason, json.dumps(list(key_ids))])
