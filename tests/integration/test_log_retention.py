"""Request-log retention: the scheduled tick drops entries past the age and row limits."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time

from support import LocalServerProcess, admin_client

DAY = 86400


def test_the_tick_prunes_logs_and_the_audit_trail_by_age_and_by_row_count(tmp_path, fake_siliconflow):
    server = LocalServerProcess(tmp_path, env={"UPSTREAM_BASE_URL": fake_siliconflow.url}).start()
    try:
        with admin_client(server.url) as api:
            assert api.put("/api/settings", json={"log_retention_days": 30, "log_max_rows": 1000,
                                                  "refresh_batch": 0}).status_code == 200
            now = time.time()
            old = [now - 40 * DAY + i for i in range(200)]
            recent = [now - 3600 + i for i in range(1300)]
            rows = [[ts, "POST", "/v1/chat/completions", 200] for ts in old + recent]
            with sqlite3.connect(server.db_path) as conn:
                conn.execute("INSERT INTO request_logs (ts, method, endpoint, status) "
                             "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)",
                             (json.dumps(rows),))
                conn.execute("INSERT INTO audit_log (ts, actor, address, action) "
                             "SELECT value, 'admin', '127.0.0.1', 'keys.import' FROM json_each(?)",
                             (json.dumps(old + recent),))
            assert api.get("/api/logs", params={"page_size": 1}).json()["total"] == 1500

            assert api.post("/api/jobs/tick").status_code == 200

            body = api.get("/api/logs", params={"page_size": 500}).json()
            assert body["total"] == 1000
            with sqlite3.connect(server.db_path) as conn:
                oldest, newest = conn.execute("SELECT min(ts), max(ts) FROM (SELECT ts FROM request_logs "
                                              "UNION ALL SELECT ts FROM request_logs_old)").fetchone()
            assert oldest >= now - 30 * DAY  # nothing past the retention age
            assert newest == recent[-1]      # the row limit keeps the newest entries
            assert oldest == recent[300]
            with sqlite3.connect(server.db_path) as conn:
                audit = conn.execute("SELECT min(ts), max(ts), count(*) FROM audit_log").fetchone()
            assert audit == (recent[300], recent[-1], 1000)  # the same rules for the audit trail
    finally:
        server.stop()


# --- the log in two parts (store/logs.py): old rows leave by rotation ------------------------------

NOW = 1_800_000_000.0


def log_rows(n: int, ts: float, model: str = "m") -> list[list]:
    return [[ts + i, None, None, "POST", "/v1/chat/completions", model, 0, 200, 1.0, 1.0, 1, None, 1, 1]
            for i in range(n)]


def run_with_log(tmp_path, scenario):
    from keypool import schema
    from keypool.adapters.sqlite import SQLiteDatabase
    from keypool.server import read_migrations
    from keypool.store.logs import LogStore

    async def main():
        db = SQLiteDatabase(str(tmp_path / "pool.sqlite3"))
        try:
            await schema.apply(db, read_migrations())
            logs = LogStore(db)

            async def add(rows):
                await db.batch([LogStore.insert_statement(rows)])

            return await scenario(logs, add)
        finally:
            db.close()

    return asyncio.run(main())


def test_old_rows_leave_by_rotation_and_the_log_reads_across_both_parts(tmp_path):
    async def scenario(logs, add):
        ids = lambda rows: [row["id"] for row in rows]  # noqa: E731
        await add(log_rows(600, NOW - 3600))
        assert await logs.prune(NOW, 30 * DAY, 1000) == 0       # 600 of 1,000: rotated, nothing deleted
        rows, total = await logs.page(50, 0, {})
        assert total == 600 and ids(rows) == list(range(600, 550, -1))
        await add(log_rows(300, NOW - 60, model="later"))       # ids go on from the old part
        assert await logs.prune(NOW, 30 * DAY, 1000) == 0       # 300 of 1,000, all recent: kept as they are
        rows, total = await logs.page(500, 0, {})
        assert total == 900 and ids(rows) == list(range(900, 400, -1))  # newest first, across both parts
        rows, total = await logs.page(500, 500, {})
        assert total == 900 and ids(rows) == list(range(400, 0, -1))
        rows, total = await logs.page(10, 0, {"model": "m"})
        assert total == 600 and ids(rows) == list(range(600, 590, -1))
        assert ids(await logs.export_rows({}, 605, 10)) == list(range(604, 594, -1))
        await add(log_rows(300, NOW - 30))
        assert await logs.prune(NOW, 30 * DAY, 1000) == 0       # the current part at half: the first 600 go
        rows, total = await logs.page(1000, 0, {})
        assert total == 600 and ids(rows) == list(range(1200, 600, -1))

        # By age: a current part half the retention age old rotates; a quiet log's old part goes once
        # all of it is past the retention age. Unbilled both.
        await add(log_rows(10, NOW + DAY))
        assert await logs.prune(NOW + 10 * DAY, 30 * DAY, 1000) == 0
        assert (await logs.page(1, 0, {}))[1] == 610
        assert await logs.prune(NOW + 16.5 * DAY, 30 * DAY, 1000) == 0  # the 10 are 15.5 days old
        assert (await logs.page(1, 0, {}))[1] == 10
        assert await logs.prune(NOW + 30.5 * DAY, 30 * DAY, 1000) == 0  # 29.5 days old: kept ...
        assert (await logs.page(1, 0, {}))[1] == 10
        assert await logs.prune(NOW + 31.5 * DAY, 30 * DAY, 1000) == 0  # ... until all of it is 30 days old
        assert (await logs.page(1, 0, {}))[1] == 0

        # A burst past the limits before any rotation: exact trims from the oldest end (billed).
        await add(log_rows(50, NOW - 40 * DAY) + log_rows(1500, NOW))
        assert await logs.prune(NOW, 30 * DAY, 1000) == 550
        rows, total = await logs.page(1000, 0, {})
        assert total == 1000 and min(ids(rows)) == 551 and max(ids(rows)) == 1550  # an empty log numbers from 1
        assert await logs.clear() == 1000
        await add(log_rows(2, NOW))
        return await logs.page(10, 0, {})

    rows, total = run_with_log(tmp_path, scenario)
    assert total == 2 and [row["id"] for row in rows] == [2, 1]  # after a clear, ids start again
