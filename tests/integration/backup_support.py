"""Shared by the backup suites: a pool's database in either runtime, a pool
seeded in mixed states (written straight into the database, as checks and the
proxy would have written them), and a pool's whole state read back so that two
pools can be compared row by row."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Protocol

import httpx

from integration.balance_support import wait_job
from keypool.settings import POOL_SETTINGS
from support import make_key

MODEL = "deepseek-ai/DeepSeek-V3"
OTHER_MODEL = "Qwen/QwQ-32B"
CHANGED_SETTINGS = {
    "strategy": "weighted", "max_attempts": 5, "free_models": ["Qwen/Qwen2.5-7B-Instruct"],
    "check_concurrency": 20, "alert_min_total_balance": 12.5, "refresh_batch": 50, "log_retention_days": 45,
}


class PoolDB(Protocol):
    def run(self, statement: str, params: list[Any] | None = None) -> int: ...

    def rows(self, statement: str, params: list[Any] | None = None) -> list[dict[str, Any]]: ...


class LocalPoolDB:
    """The local server's SQLite file, opened beside the running server (WAL)."""

    def __init__(self, path: Path):
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30)
        conn.row_factory = lambda cursor, row: {c[0]: v for c, v in zip(cursor.description, row)}
        return conn

    def run(self, statement: str, params: list[Any] | None = None) -> int:
        with self._connect() as conn:
            return conn.execute(statement, params or []).rowcount

    def rows(self, statement: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        with self._connect() as conn:
            return conn.execute(statement, params or []).fetchall()


class WorkerPoolDB:
    """Miniflare's D1 behind the Worker harness, through the Worker's own D1 adapter."""

    def __init__(self, harness: Any):
        self.harness = harness

    def run(self, statement: str, params: list[Any] | None = None) -> int:
        return self.harness.pyjson("backup_probe", "run", [[statement, params or []]])[0]

    def rows(self, statement: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        return self.harness.pyjson("worker_checks", "rows", statement, params or [])


def _without(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name not in names}


def pool_state(db: PoolDB) -> dict[str, Any]:
    """Everything a backup carries, without row ids (a restore gives new ones). Keys and
    client keys are read with SELECT *: a column added later is compared too."""
    return {
        "keys": [_without(row, "id") for row in db.rows("SELECT * FROM keys ORDER BY key")],
        "blocks": db.rows("SELECT k.key, b.model, b.reason, b.until FROM key_blocks AS b "
                          "JOIN keys AS k ON k.id = b.key_id ORDER BY k.key, b.model"),
        "history": db.rows("SELECT k.key, h.ts, h.balance FROM balance_history AS h "
                           "JOIN keys AS k ON k.id = h.key_id ORDER BY k.key, h.ts, h.balance"),
        "pool_history": db.rows("SELECT day, ts, balance, valid_keys FROM balance_history "
                                "WHERE key_id IS NULL ORDER BY day"),
        "client_keys": [_without(row, "id") for row in db.rows("SELECT * FROM client_keys ORDER BY key_hash")],
        "settings": {row["name"]: row["value"] for row in db.rows("SELECT name, value FROM config ORDER BY name")
                     if row["name"] in POOL_SETTINGS},
    }


def seed(api: httpx.Client, db: PoolDB, n: int, tag: str, now: int, settings: bool = True) -> dict[str, Any]:
    """`n` keys in every status, enabled or not, with balances (some with no short
    decimal form), usage, errors, exclusions and balance history; daily pool
    totals; three client keys; changed settings and a runtime state value
    (never part of a backup). Returns the keys and the client keys' texts."""
    keys = [make_key(f"{tag}{i}") for i in range(n)]
    response = api.post("/api/keys", json={"keys": keys})
    assert response.status_code == 200 and response.json()["added"] == n, response.text
    checks_done(api, response)
    ids = sorted(row["id"] for row in db.rows("SELECT id FROM keys WHERE key IN (SELECT value FROM json_each(?))",
                                              [json.dumps(keys)]))
    low, high = ids[0], ids[-1]
    day = now - 86400
    db.run("UPDATE keys SET "
           "status = CASE id % 5 WHEN 0 THEN 'valid' WHEN 1 THEN 'exhausted' WHEN 2 THEN 'invalid' "
           "WHEN 3 THEN 'unchecked' ELSE 'valid' END, "
           "enabled = CASE WHEN id % 7 = 0 THEN 0 ELSE 1 END, "
           "balance = CASE id % 5 WHEN 0 THEN 14 - (id % 97) * 0.0137 WHEN 4 THEN (id % 89) * 0.1 + 0.2 "
           "WHEN 1 THEN -0.02 ELSE NULL END, "
           "gift_balance = CASE WHEN id % 5 IN (0, 4) THEN 14.0 END, "
           "charge_balance = CASE WHEN id % 5 IN (0, 4) THEN (id % 3) * 1.5 END, "
           "checked_at = CASE WHEN id % 5 != 3 THEN ? + id END, "
           "last_used_at = CASE WHEN id % 3 = 0 THEN ? + 2 * id END, "
           "last_error = CASE id % 5 WHEN 2 THEN 'Api key is invalid' WHEN 1 THEN 'insufficient balance (30001)' END, "
           "request_count = id % 13, prompt_tokens = (id * 7) % 1000, completion_tokens = (id * 11) % 500 "
           "WHERE id BETWEEN ? AND ?", [day, day, low, high])
    for statement, params in (
        ("INSERT INTO balance_history (ts, key_id, balance) SELECT ? + id, id, 14.0 FROM keys "
         "WHERE id BETWEEN ? AND ? AND id % 2 = 0", [day - 3600, low, high]),
        ("INSERT INTO balance_history (ts, key_id, balance) SELECT ? + 2 * id, id, balance FROM keys "
         "WHERE id BETWEEN ? AND ? AND id % 4 = 0 AND balance IS NOT NULL", [day, low, high]),
        # the same snapshot twice (two checks in one second): restored as it was, not merged away
        ("INSERT INTO balance_history (ts, key_id, balance) SELECT ? + id, id, 14.0 FROM keys "
         "WHERE id BETWEEN ? AND ? AND id % 50 = 0", [day - 3600, low, high]),
        ("INSERT INTO key_blocks (key_id, model, reason, until) SELECT id, ?, 'rate_limited', ? + id / 7.0 "
         "FROM keys WHERE id BETWEEN ? AND ? AND id % 11 = 0", [MODEL, now + 3600, low, high]),
        ("INSERT INTO key_blocks (key_id, model, reason, until) SELECT id, ?, 'forbidden', ? FROM keys "
         "WHERE id BETWEEN ? AND ? AND id % 17 = 0", [OTHER_MODEL, now + 86400.5, low, high]),
        ("INSERT OR IGNORE INTO balance_history (ts, key_id, balance, valid_keys, day) VALUES "
         "(?, NULL, 1234.5678, 400, '2026-01-01'), (?, NULL, 1200.25, 390, '2026-01-02'), "
         "(?, NULL, NULL, 0, '2026-01-03')", [day - 2 * 86400, day - 86400, day]),
        ("INSERT OR REPLACE INTO config (name, value) VALUES ('state.alerts', '{\"valid_keys\": {\"low\": true}}')", []),
    ):
        db.run(statement, params)
    clients = {}
    for name, fields in (
        ("app", {"models": [MODEL, OTHER_MODEL], "rpm_limit": 600, "request_quota": 100_000, "token_quota": 10**9}),
        ("friend", {"enabled": False, "expires_at": now + 30 * 86400, "allow_upstream_key": True}),
        ("script", {}),
    ):
        created = api.post("/api/client-keys", json={"name": f"{tag}-{name}", **fields})
        assert created.status_code == 201, created.text
        clients[name] = created.json()["key"]
    db.run("UPDATE client_keys SET request_count = 12, prompt_tokens = 3400, completion_tokens = 560, "
           "last_used_at = ? WHERE name = ?", [now - 60, f"{tag}-app"])
    if settings:
        assert api.put("/api/settings", json=CHANGED_SETTINGS).status_code == 200
    return {"keys": keys, "clients": clients}


def checks_done(api: httpx.Client, imported: httpx.Response) -> None:
    """Wait for the check an import started (check_on_import), so that state written
    into the database afterwards is not overwritten by it."""
    job = imported.json().get("job")
    if job is not None:
        wait_job(api, job, timeout=60)


def download(api: httpx.Client) -> bytes:
    response = api.get("/api/backup")
    assert response.status_code == 200, response.text
    return response.content


def restore(api: httpx.Client, document: bytes, mode: str | None = None) -> dict[str, Any]:
    response = api.post("/api/restore", params={"mode": mode} if mode else None, content=document)
    assert response.status_code == 200, response.text
    return response.json()


def unchanged(result: dict[str, Any], kind: str) -> bool:
    counts = result[kind]
    return counts["added"] == counts["updated"] == counts["rejected"] == 0
