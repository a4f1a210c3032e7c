"""Usage totals through store/usage.py on a real SQLite file: written per hour, folded
into the keys' and client keys' own totals, exact before, during and after a fold; and
the schema_0010 migration on a populated database of the schema before it."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time

from keypool.adapters.sqlite import SQLiteDatabase
from keypool.recorder import RequestRecorder
from keypool.server import read_migrations
from keypool import schema
from keypool.store import Store

NOW = time.time()
SETTINGS = {"request_log": "all", "request_log_sample_rate": 0.1, "log_flush_s": 0}


def entry(client_id: int, key_id: int, ts: float, **fields) -> dict:
    return {"ts": ts, "client_key_id": client_id, "key_id": key_id, "method": "POST",
            "endpoint": "/v1/chat/completions", "model": "m", "stream": 0, "status": 200, "latency_ms": 5.0,
            "attempts": 1, "prompt_tokens": 3, "completion_tokens": 4, "charged": True, **fields}


async def record(recorder: RequestRecorder, entries: list[dict]) -> None:
    for item in entries:
        recorder.record(item, lambda awaitable: awaitable.close(), SETTINGS)  # the test writes, not the window
    await recorder.flush()


async def totals(store: Store, key_id: int, client_id: int) -> tuple:
    key, client = await store.keys.get(key_id), await store.client_keys.get(client_id)
    return (key["request_count"], key["prompt_tokens"], key["completion_tokens"], key["last_used_at"],
            client["request_count"], client["prompt_tokens"] + client["completion_tokens"], client["last_used_at"])


def test_totals_stay_exact_across_folds_and_hours(tmp_path):
    async def run() -> None:
        db = SQLiteDatabase(str(tmp_path / "usage.sqlite3"))
        await schema.apply(db, read_migrations())
        store = Store(db)
        await store.keys.add(["sk-" + "a" * 48, "sk-" + "b" * 48], int(NOW))
        client_id = await store.client_keys.create("c", "hash", "hint", int(NOW), {})
        recorder = RequestRecorder(store)
        hour_ago = NOW - 3600
        await record(recorder, [entry(client_id, 1, hour_ago), entry(client_id, 2, hour_ago)])
        await record(recorder, [entry(client_id, 1, NOW), entry(client_id, 1, NOW, status=502, charged=False)])
        before = await totals(store, 1, client_id)
        assert before == (3, 9, 12, int(NOW), 3, 21, int(NOW))
        await db.batch(store.usage.fold_statements(NOW))
        assert await totals(store, 1, client_id) == before  # moved, not doubled or lost
        with sqlite3.connect(tmp_path / "usage.sqlite3") as conn:
            unfolded = conn.execute("SELECT count(*) FROM usage_hours WHERE unfolded_keys != '{}' "
                                    "OR unfolded_clients != '{}'").fetchone()[0]
            folded = conn.execute("SELECT request_count FROM keys WHERE id = 1").fetchone()[0]
        assert (unfolded, folded) == (0, 3)
        await record(recorder, [entry(client_id, 1, NOW + 1)])  # after the fold, into the same hour row
        assert (await totals(store, 1, client_id))[0] == 4
        await db.batch(store.usage.fold_statements(NOW + 2))
        assert (await totals(store, 1, client_id))[:3] == (4, 12, 16)
        # the dashboard's per-hour maps keep everything
        with sqlite3.connect(tmp_path / "usage.sqlite3") as conn:
            hours = [(r, e, json.loads(k), json.loads(c)) for r, e, k, c in conn.execute(
                "SELECT requests, errors, keys, clients FROM usage_hours WHERE hour >= ?", (int(hour_ago) // 3600 * 3600,))]
        assert sum(h[0] for h in hours) == 5 and sum(h[1] for h in hours) == 1
        assert sum(h[2]["1"][0] for h in hours) == 4
        assert sum(h[3][str(client_id)][0] for h in hours) == 4  # the uncharged one is not a client's
        assert recorder.written == {client_id: [4, 28]}
        db.close()

    asyncio.run(run())


def test_schema_0010_on_a_populated_database_keeps_every_row(tmp_path):
    path = tmp_path / "old.sqlite3"
    scripts = read_migrations()
    old_schema = scripts[0][1].replace("-- No index on ts:", "CREATE INDEX IF NOT EXISTS request_logs_by_ts ON "
                                                       "request_logs (ts);\n-- No index on ts:")
    with sqlite3.connect(path) as conn:
        conn.executescript(old_schema)
        conn.execute("INSERT INTO request_logs (ts, method, endpoint, status) "
                     "SELECT value, 'POST', '/v1/x', 200 FROM json_each(?)", (str(list(range(500))),))
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'request_logs_by_ts'").fetchone()[0] == 1

    async def migrate() -> None:
        db = SQLiteDatabase(str(path))
        assert await schema.apply(db, scripts) == [name for name, _ in scripts]  # no ledger yet: every file
        assert await schema.apply(db, scripts) == []  # the next start: none
        db.close()

    asyncio.run(migrate())
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*), min(ts), max(ts) FROM (SELECT ts FROM request_logs UNION ALL "
                            "SELECT ts FROM request_logs_old)").fetchone() == (500, 0, 499)  # 0060 split the log
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'request_logs_by_ts'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM usage_hours").fetchone()[0] == 0
