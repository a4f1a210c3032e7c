"""D1 rows read per dashboard load, in the Worker, for a pool of 10,000 keys and 100,000 request-log rows.

Runs the Worker's own app (src/keypool) in the Node harness (tests/worker/harness.mjs: Pyodide 0.28.2
as in workerd, Miniflare's real D1) and adds up D1's own `meta.rows_read` for each admin call the
dashboard makes (tests/worker/pyodide_side/dashboard_probe.py), which is what the free plan's
5,000,000 rows read a day are counted in. A load of /admin is GET /api/stats plus
GET /api/stats/requests?range=24h; the period switches are one call each.

The baseline, measured in the same run: one pass over each table (`SELECT count(*)`). Each figure
is printed as a multiple of it, and as dashboard loads a day within the free plan.

    .venv/bin/python bench/dashboard_bench.py [--keys 10000] [--logs 100000] [--days 30]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from fakes.siliconflow import FakeSiliconFlow  # noqa: E402
from keypool.core.tally import Tally  # noqa: E402
from keypool.store.usage import UsageStore, hour_of  # noqa: E402
from support import ADMIN_TOKEN  # noqa: E402
from worker.conftest import WorkerHarness  # noqa: E402

FREE_READS = 5_000_000
LOAD = ("/api/stats", "/api/stats/requests?range=24h")
SWITCHES = ("/api/stats/trend?range=7d", "/api/stats/trend?range=all", "/api/stats/requests?range=7d",
            "/api/stats/requests?range=30d")
MODELS = 12
CLIENTS = 20


def sql(harness: WorkerHarness, statement: str, params: list | None = None) -> int:
    return harness.pyjson("worker_checks", "sql", statement, params or [])["changes"]


def fill(harness: WorkerHarness, keys: int, logs: int, days: int) -> None:
    """A pool like a real one: most keys valid with trial-credit balances (a few large), some
    exhausted, invalid, unchecked or disabled; log rows spread evenly over `days` days, and the
    hourly usage rows the recorder would have written for them."""
    admin = httpx.Client(base_url=harness.url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=300)
    text = [f"sk-{i:08d}{'b' * 40}" for i in range(keys)]
    for start in range(0, keys, 20_000):
        assert admin.post("/api/keys", json={"keys": "\n".join(text[start:start + 20_000])}).status_code == 200
    # id % 20: 0-13 valid (balances 0.2 .. 14, every 97th key 500), 14-15 exhausted, 16 invalid, 17 unchecked,
    # 18 valid with an unknown balance, 19 disabled
    sql(harness, "UPDATE keys SET "
        "status = CASE WHEN id % 20 < 14 OR id % 20 IN (18, 19) THEN 'valid' WHEN id % 20 < 16 THEN 'exhausted' "
        "WHEN id % 20 = 16 THEN 'invalid' ELSE 'unchecked' END, "
        "balance = CASE WHEN id % 20 < 14 OR id % 20 = 19 THEN (CASE WHEN id % 97 = 0 THEN 500 ELSE (id % 70) * 0.2 + 0.2 END) "
        "WHEN id % 20 < 16 THEN 0 ELSE NULL END, enabled = CASE WHEN id % 20 = 19 THEN 0 ELSE 1 END, checked_at = 1")
    for i in range(CLIENTS):
        admin.post("/api/client-keys", json={"name": f"client {i}"})
    now = time.time()
    span = days * 86400
    # One statement per 20,000 rows, oldest first (ids grow with time, as the proxy writes them).
    for start in range(0, logs, 20_000):
        n = min(20_000, logs - start)
        sql(harness, "WITH RECURSIVE seq(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM seq WHERE i < ?) "
            "INSERT INTO request_logs (ts, client_key_id, key_id, method, endpoint, model, stream, status, latency_ms, "
            "ttfb_ms, attempts, error_class, prompt_tokens, completion_tokens) "
            "SELECT ? + i * ?, 1 + i % ?, 1 + (i * 7919) % ?, 'POST', '/v1/chat/completions', 'model-' || (i % ?), "
            "i % 2, CASE WHEN i % 25 = 0 THEN 429 ELSE 200 END, 80 + i % 400, 30 + i % 100, 1, "
            "CASE WHEN i % 25 = 0 THEN 'rate_limited' END, 20 + i % 50, 40 + i % 200 FROM seq",
            [start, start + n - 1, now - span, span / logs, CLIENTS, keys, MODELS])
    # The same requests added up per hour, as the request recorder writes them (the dashboard reads these).
    tallies: dict[int, Tally] = {}
    for i in range(logs):
        entry = {"ts": now - span + i * span / logs, "client_key_id": 1 + i % CLIENTS, "key_id": 1 + (i * 7919) % keys,
                 "model": f"model-{i % MODELS}", "status": 429 if i % 25 == 0 else 200, "latency_ms": 80 + i % 400,
                 "ttfb_ms": 30 + i % 100, "prompt_tokens": 20 + i % 50, "completion_tokens": 40 + i % 200,
                 "charged": True}
        tallies.setdefault(hour_of(entry["ts"]), Tally()).add(entry)
    for hour, tally in tallies.items():
        statement, params = UsageStore.add_statement(hour, tally)
        sql(harness, statement, params)
    today = int(now // 86400)
    sql(harness, "DELETE FROM balance_history WHERE key_id IS NULL")
    sql(harness, "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ?) "
        "INSERT INTO balance_history (ts, key_id, balance, valid_keys, day) "
        "SELECT 1, NULL, 50000 - i * 100, ? - i, date((? - i) * 86400, 'unixepoch') FROM seq", [days - 1, keys, today])
    admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--logs", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    with FakeSiliconFlow.running() as fake, tempfile.TemporaryDirectory() as folder:
        harness = WorkerHarness(Path(folder), env={"ADMIN_TOKEN": ADMIN_TOKEN, "ADMIN_PASSWORD": "bench-password",
                                                   "SESSION_SECRET": "bench-secret", "UPSTREAM_BASE_URL": fake.url})
        harness.start()
        try:
            started = time.monotonic()
            fill(harness, args.keys, args.logs, args.days)
            print(f"pool: {args.keys:,} keys, {args.logs:,} request-log rows over {args.days} days "
                  f"(filled in {time.monotonic() - started:.0f} s)")
            base_keys = harness.pyjson("dashboard_probe", "scan_rows", "keys")
            base_logs = harness.pyjson("dashboard_probe", "scan_rows", "request_logs")
            print(f"baseline: one pass over keys = {base_keys:,} rows read; over request_logs = {base_logs:,}\n")
            report = harness.pyjson("dashboard_probe", "rows_read", [*LOAD, *SWITCHES])
            warm = {row["path"]: row for row in report if row["attempt"] == "warm"}
            cold = {row["path"]: row for row in report if row["attempt"] == "cold"}
            print(f"{'call (warm isolate)':36} {'rows read':>10} {'x keys':>7} {'x logs':>7} {'stmts':>5} {'trips':>5} "
                  f"{'ms':>7}")
            for path, row in warm.items():
                print(f"{path:36} {row['rows_read']:>10,} {row['rows_read'] / base_keys:>7.2f} "
                      f"{row['rows_read'] / base_logs:>7.3f} {row['statements']:>5} {row['round_trips']:>5} {row['ms']:>7.1f}")
            load = sum(warm[path]["rows_read"] for path in LOAD)
            first = cold[LOAD[0]]["rows_read"] - warm[LOAD[0]]["rows_read"]
            print(f"\none dashboard load ({' + '.join(LOAD)}): {load:,} rows read "
                  f"(x{load / base_keys:.2f} a pass over the keys); the sign-in state read once per 5 s adds {first:,}")
            print(f"free plan ({FREE_READS:,} rows read a day): {FREE_READS // max(load, 1):,} dashboard loads a day")
        finally:
            harness.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
