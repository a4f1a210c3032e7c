"""The `jobs` table: balance-check jobs and their persisted progress.

A job walks its keys in id order. `cursor` is the id up to which every
selected key is done; keys finished out of order past it (a slow or rate
limited key holds the cursor back) are listed in `progress.ahead`, so a
resumed job checks no key twice. A job naming its keys keeps the list in
`key_ids`, which SQL reads itself (`json_each`), so Python never re-parses a
list of 10,000 ids per chunk.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..ports import Database
from .keys import KeyFilter

CHECK_COLUMNS = "id, key, status, balance, gift_balance, charge_balance, last_error"
_JOB_COLUMNS = ("id, kind, state, params, cursor, max_id, progress, lease_until, total, done, valid, invalid, "
                "exhausted, errors, created_at, updated_at, finished_at, message")
COUNTS = ("done", "valid", "invalid", "exhausted", "errors")


def _decode(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    row = dict(row)
    row["params"] = json.loads(row["params"] or "{}")
    row["progress"] = json.loads(row["progress"] or "{}")
    return row


def selection_filter(selection: dict[str, Any]) -> KeyFilter:
    """The filter part of a job's selection (its id list, if any, stays in SQL)."""
    return KeyFilter(status=selection.get("status"), q=selection.get("q"),
                     min_balance=selection.get("min_balance"), max_balance=selection.get("max_balance"))


class JobStore:
    def __init__(self, db: Database):
        self.db = db

    async def measure(self, key_filter: KeyFilter) -> tuple[int, int]:
        """How many keys a new job would check, and the highest id among them."""
        where, params = key_filter.where()
        row = await self.db.first(f"SELECT count(*) AS n, coalesce(max(id), 0) AS m FROM keys{where}", params)
        return (row["n"], row["m"]) if row else (0, 0)

    async def create(self, kind: str, params: dict[str, Any], key_ids: Sequence[int] | None, max_id: int,
                     total: int, now: float) -> int:
        progress = {"mark": [now, 0]}
        state = "running" if total else "done"
        result = await self.db.run(
            "INSERT INTO jobs (kind, state, params, key_ids, max_id, total, progress, created_at, updated_at, "
            "finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, state, json.dumps(params), json.dumps(list(key_ids)) if key_ids is not None else None,
             max_id, total, json.dumps(progress), now, now, None if total else now))
        return int(result.last_row_id or 0)

    async def get(self, job_id: int) -> dict[str, Any] | None:
        return _decode(await self.db.first(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)))

    async def recent(self, limit: int) -> list[dict[str, Any]]:
        rows = await self.db.all(f"SELECT {_JOB_COLUMNS} FROM jobs ORDER BY id DESC LIMIT ?", (limit,))
        return [_decode(row) for row in rows]

    async def running_ids(self) -> list[int]:
        rows = await self.db.all("SELECT id FROM jobs WHERE state = 'running' ORDER BY id")
        return [row["id"] for row in rows]

    async def claim(self, job_id: int, now: float, lease_s: float) -> bool:
        """Take the job for one chunk; False if it is not running or another runner holds it."""
        result = await self.db.run(
            "UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'running' "
            "AND (lease_until IS NULL OR lease_until < ?)", (now + lease_s, job_id, now))
        return result.changes == 1

    async def renew(self, job_id: int, until: float) -> None:
        await self.db.run("UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_until IS NOT NULL", (until, job_id))

    async def release(self, job_id: int) -> None:
        await self.db.run("UPDATE jobs SET lease_until = NULL WHERE id = ?", (job_id,))

    async def clear_leases(self) -> None:
        """At a local server's start: leases of a process that died are void."""
        await self.db.run("UPDATE jobs SET lease_until = NULL WHERE lease_until IS NOT NULL")

    async def mark(self, job_id: int, progress: dict[str, Any]) -> None:
        await self.db.run("UPDATE jobs SET progress = ? WHERE id = ?", (json.dumps(progress), job_id))

    async def stop(self, job_id: int, now: float) -> bool:
        result = await self.db.run(
            "UPDATE jobs SET state = 'stopped', finished_at = ?, updated_at = ?, message = 'stopped' "
            "WHERE id = ? AND state = 'running'", (now, now, job_id))
        return result.changes == 1

    async def fail(self, job_id: int, message: str, now: float) -> None:
        await self.db.run(
            "UPDATE jobs SET state = 'failed', finished_at = ?, updated_at = ?, message = ?, lease_until = NULL "
            "WHERE id = ? AND state = 'running'", (now, now, message[:300], job_id))

    async def next_keys(self, job: dict[str, Any], ahead: Sequence[int], limit: int) -> list[dict[str, Any]]:
        """The job's next keys past its cursor, in id order, without those already done."""
        where, params = selection_filter(job["params"].get("selection", {})).where()
        clauses = [where[len(" WHERE "):]] if where else []
        clauses += ["id > ?", "id <= ?", "id NOT IN (SELECT value FROM json_each(?))"]
        params += [job["cursor"], job["max_id"], json.dumps(list(ahead))]
        if job["params"].get("selection", {}).get("ids") is not None:
            clauses.append("id IN (SELECT value FROM json_each((SELECT key_ids FROM jobs WHERE id = ?)))")
            params.append(job["id"])
        return await self.db.all(
            f"SELECT {CHECK_COLUMNS} FROM keys WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?", [*params, limit])

    @staticmethod
    def progress_statement(job_id: int, counts: dict[str, int], cursor: int, progress: dict[str, Any],
                           now: float, finished: bool) -> tuple[str, list[Any]]:
        """The chunk's progress, in the same transaction as its key updates.
        A finished job's total becomes what it did (keys deleted meanwhile are not owed)."""
        adds = ", ".join(f"{name} = {name} + ?" for name in COUNTS)
        sql = (f"UPDATE jobs SET {adds}, cursor = ?, progress = ?, updated_at = ?, lease_until = NULL"
               + (", state = CASE WHEN state = 'running' THEN 'done' ELSE state END, "
                  "finished_at = coalesce(finished_at, ?), total = done + ?" if finished else "")
               + " WHERE id = ?")
        params: list[Any] = [counts.get(name, 0) for name in COUNTS]
        params += [cursor, json.dumps(progress), now]
        if finished:
            params += [now, counts.get("done", 0)]
        params.append(job_id)
        return sql, params
