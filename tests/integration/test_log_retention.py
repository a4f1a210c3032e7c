"""Request-log retention: the scheduled tick drops entries past the age and row limits."""

from __future__ import annotations

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
                oldest, newest = conn.execute("SELECT min(ts), max(ts) FROM request_logs").fetchone()
            assert oldest >= now - 30 * DAY  # nothing past the retention age
            assert newest == recent[-1]      # the row limit keeps the newest entries
            assert oldest == recent[300]
            with sqlite3.connect(server.db_path) as conn:
                audit = conn.execute("SELECT min(ts), max(ts), count(*) FROM audit_log").fetchone()
            assert audit == (recent[300], recent[-1], 1000)  # the same rules for the audit trail
    finally:
        server.stop()
