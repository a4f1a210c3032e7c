"""Backup and restore of a big pool in the Worker: Python CPU, Pyodide heap, D1 queries.

Runs the Worker (src/entry.py) in the Node harness (tests/worker/harness.mjs:
the same Pyodide 0.28.2 as workerd, Miniflare's real D1) under V8's sampling
profiler, as bench/worker_cpu_bench.py does; samples in Pyodide are the Python
time. Baselines, in the same run on the same keys: the plain-text export
(`GET /api/keys/export`, every key read once) for the backup, and the plain
import (`POST /api/keys`) for the restore.

Pyodide's heap (WebAssembly memory) grows and never shrinks, so each growth is
measured in a fresh isolate whose pool was filled by SQL alone. The Worker's
limits: 128 MB of memory per isolate; 10 ms CPU per request (free), up to
5 minutes (paid); D1 50 queries per invocation (free), 1,000 (paid).

    .venv/bin/python bench/backup_bench.py [--keys 100000] [--part 25000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "bench")]

from keypool.core.backup import split_backup  # noqa: E402
from support import ADMIN_TOKEN  # noqa: E402
from worker.conftest import WorkerHarness  # noqa: E402
from worker_cpu_bench import category  # noqa: E402

REPEAT = 5
FILL = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO keys (key, added_at, status, balance, checked_at, request_count, enabled) "
        "SELECT 'sk-bench' || printf('%040d', i), 1733000000 + i, "
        "CASE i % 4 WHEN 0 THEN 'valid' WHEN 1 THEN 'exhausted' WHEN 2 THEN 'invalid' ELSE 'unchecked' END, "
        "CASE WHEN i % 4 = 0 THEN 14 - (i % 1000) * 0.0013 END, 1733001000 + i % 5000, i % 17, "
        "CASE WHEN i % 9 = 0 THEN 0 ELSE 1 END FROM n")
HISTORY = "INSERT INTO balance_history (ts, key_id, balance) SELECT added_at - 60, id, 14.0 FROM keys WHERE id % 3 = 0"
BLOCKS = ("INSERT INTO key_blocks (key_id, model, reason, until) SELECT id, 'deepseek-ai/DeepSeek-V3', "
          "'rate_limited', 1900000000.25 + id FROM keys WHERE id % 50 = 0")


def python_ms(profile_dir: Path, windows: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Python CPU ms inside each window of time.monotonic() seconds. V8 stamps profile samples
    with the same monotonic clock (microseconds), so short windows line up exactly."""
    main = min(profile_dir.glob("*.cpuprofile"))  # the main thread's profile is written first
    data = json.loads(main.read_text())
    frames = {node["id"]: node["callFrame"] for node in data["nodes"]}
    totals = dict.fromkeys(windows, 0.0)
    at = data["startTime"]
    for sample, delta in zip(data["samples"], data["timeDeltas"]):
        at += delta
        if category(frames[sample]) != "python":
            continue
        for name, (start, stop) in windows.items():
            if start * 1e6 <= at < stop * 1e6:
                totals[name] += delta / 1000
    return totals


class Worker:
    def __init__(self, folder: Path, profile: Path | None = None):
        folder.mkdir(parents=True, exist_ok=True)
        args = ["--cpu-prof", f"--cpu-prof-dir={profile}"] if profile else []
        self.harness = WorkerHarness(folder, env={"ADMIN_TOKEN": ADMIN_TOKEN}, node_args=args).start()
        self.api = httpx.Client(base_url=self.harness.url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
                                timeout=600)

    def sql(self, *statements: tuple[str, list]) -> None:
        self.harness.pyjson("backup_probe", "run", [list(s) for s in statements])

    def fill(self, n: int) -> None:
        self.sql((FILL, [n]), (HISTORY, []), (BLOCKS, []))

    def empty(self) -> None:
        self.sql(("DELETE FROM key_blocks", []), ("DELETE FROM balance_history", []), ("DELETE FROM keys", []))

    def heap(self) -> int:
        return self.harness.pyjson("backup_probe", "heap")["bytes"]

    def call(self, method: str, path: str, **kwargs) -> tuple[httpx.Response, dict]:
        response = self.api.request(method, path, **kwargs)
        assert response.status_code == 200, response.text[:500]
        return response, self.harness.stats(response.headers["x-harness-invocation"])

    def stop(self) -> None:
        self.harness.stop()


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--part", type=int, default=25_000, help="keys per part of a split backup")
    parser.add_argument("--free-backup", type=int, default=1_000, help="keys per backup part on the free plan")
    parser.add_argument("--free-restore", type=int, default=250, help="keys per restored part on the free plan")
    args = parser.parse_args()
    n = args.keys
    with tempfile.TemporaryDirectory() as folder:
        profiles = Path(folder) / "profiles"
        worker = Worker(Path(folder) / "cpu", profiles)
        marks, stats = {}, {}
        try:
            worker.fill(n)
            keys = worker.api.get("/api/keys/export").text
            time.sleep(0.5)  # the fill's calls end outside the windows
            for name, method, path, body, reset in (
                ("export (baseline)", "GET", "/api/keys/export", None, False),
                ("backup", "GET", "/api/backup", None, False),
                ("import (baseline)", "POST", "/api/keys", {"json": {"keys": keys}}, True),
                ("restore", "POST", "/api/restore", "document", True),
            ):
                if reset:
                    worker.empty()
                if body == "document":
                    body = {"content": document}
                started = time.monotonic()
                response, stats[name] = worker.call(method, path, **(body or {}))
                marks[name] = (started, time.monotonic())
                if name == "backup":
                    document = response.content
                time.sleep(0.5)
            # What one request of the free plan (10 ms of CPU) can do: a part per request.
            parts = split_backup(document, args.free_restore)
            for i in range(REPEAT):
                name = f"backup part {i}"
                started = time.monotonic()
                worker.call("GET", "/api/backup", params={"after": i * args.free_backup, "limit": args.free_backup})
                marks[name] = (started, time.monotonic())
                time.sleep(0.3)
            for i in range(REPEAT):
                worker.empty()
                time.sleep(0.3)
                name = f"restore part {i}"
                started = time.monotonic()
                worker.call("POST", "/api/restore", content=parts[i + 1].encode())
                marks[name] = (started, time.monotonic())
                time.sleep(0.3)
        finally:
            worker.stop()
        cpu = python_ms(profiles, marks)

        growth = {}
        for name in ("backup", "restore", f"restore of a {args.part:,}-key part"):
            worker = Worker(Path(folder) / name.replace(" ", "-"))
            try:
                if name == "backup":
                    worker.fill(n)
                before = worker.heap()
                worker.harness.pyjson("backup_probe", "trace", True)
                if name == "backup":
                    worker.call("GET", "/api/backup")
                elif name == "restore":
                    worker.call("POST", "/api/restore", content=document)
                else:
                    stats[name] = worker.call("POST", "/api/restore",
                                              content=split_backup(document, args.part)[0].encode())[1]
                traced = worker.harness.pyjson("backup_probe", "trace", False)
                growth[name] = (before, worker.heap() - before, traced["peak"])
            finally:
                worker.stop()

    print(f"{n:,} keys; document {mb(len(document))} ({len(document) / n:.0f} bytes per key)\n")
    print(f"{'':<22}{'python CPU':>12}{'vs baseline':>13}{'wall':>9}{'D1 queries':>12}")
    for name, base in (("export (baseline)", None), ("backup", "export (baseline)"),
                       ("import (baseline)", None), ("restore", "import (baseline)")):
        ratio = f"{cpu[name] / cpu[base]:.1f}x" if base else ""
        print(f"{name:<22}{cpu[name]:>10.0f}ms{ratio:>13}{stats[name]['ms'] / 1000:>8.1f}s"
              f"{stats[name]['d1_queries']:>12}")
    print(f"\nper key: backup {cpu['backup'] / n * 1000:.1f} us, restore {cpu['restore'] / n * 1000:.1f} us of "
          f"Python CPU (free plan: 10 ms per request)")
    for kind, size in (("backup", args.free_backup), ("restore", args.free_restore)):
        per = sorted(cpu[f"{kind} part {i}"] for i in range(REPEAT))
        print(f"a {kind} part of {size:,} keys: {per[len(per) // 2]:.1f} ms of Python CPU per request "
              f"(median of {REPEAT}; max {per[-1]:.1f} ms)")
    print("\nMemory in a fresh isolate (the isolate's limit is 128 MB, JS included): Pyodide's heap")
    print("(WebAssembly memory, grown in steps) and the peak of Python's own allocations (tracemalloc):")
    for name, (before, grew, peak) in growth.items():
        print(f"  {name:<32} heap {mb(before)} before, grows {mb(grew)}; Python peak {mb(peak)}")
    part = stats.get(f"restore of a {args.part:,}-key part")
    if part:
        print(f"  (the part's restore: {part['d1_queries']} D1 queries, {part['ms'] / 1000:.1f}s)")
    print(json.dumps({"cpu_ms": cpu, "heap_growth": {k: v[1] for k, v in growth.items()},
                      "python_peak": {k: v[2] for k, v in growth.items()}}))


if __name__ == "__main__":
    main()
