"""Cold start: the first request of a fresh isolate, the pool against a bare Python Worker.

A fresh isolate pays for starting Pyodide, importing the Worker's entry
module and, for the pool, building the app and loading the pool (settings,
keys, cooldowns and the client key from D1) before it answers. The baseline,
measured in the same run, is a bare Python Worker that answers "ok"
(bench/bare_worker/). Two runtimes:

- the Node harness (tests/worker/harness.mjs: Pyodide 0.28.2 as in workerd,
  Miniflare's D1), with the entry module imported inside the first
  invocation as a fresh isolate does: Pyodide's start, then the first request;
- the real `wrangler dev --local` (workerd), offline through the runtime cache
  named by KEYPOOL_WORKERD_OFFLINE (or ../shared/workerd-offline): from the
  process start to the first answer, and from "Ready" to the first answer.

Each is measured `--runs` times, alternating, and the medians are printed.

    .venv/bin/python bench/worker_cold_start_bench.py [--runs 3] [--skip-wrangler] [--tree DIR]

`--tree` runs another checkout's src/, migrations/ and wrangler.toml as the pool (e.g.
`git archive <commit> src migrations wrangler.toml | tar -x -C /tmp/old`), for before/after
figures under the same machine load.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from fakes.siliconflow import FakeSiliconFlow  # noqa: E402
from support import ADMIN_TOKEN, free_port, make_key  # noqa: E402
from worker.conftest import WorkerHarness  # noqa: E402

BARE = ROOT / "bench" / "bare_worker"
WRANGLER = ROOT / "node_modules" / "wrangler" / "bin" / "wrangler.js"
CLIENT_KEY = "sk-kp-" + "c" * 40
CHAT = {"model": "deepseek-ai/DeepSeek-V3", "messages": [{"role": "user", "content": "hi"}]}
QUIET_ENV = {"WRANGLER_SEND_METRICS": "false", "WRANGLER_HIDE_BANNER": "true",
             "CLOUDFLARE_CF_FETCH_ENABLED": "false", "CI": "1"}


def setup_statements(now: int) -> list[list]:
    """A pool of 20 keys and one client key, written straight into D1 (no request warms the isolate)."""
    keys = [make_key(f"cold{i}") for i in range(20)]
    return [
        ["INSERT INTO keys (key, status, added_at) SELECT value, 'valid', ? FROM json_each(?)",
         [now, json.dumps(keys)]],
        ["INSERT INTO client_keys (name, key_hash, key_hint, created_at) VALUES ('bench', ?, 'sk-kp-...', ?)",
         [hashlib.sha256(CLIENT_KEY.encode()).hexdigest(), now]],
    ]


def first_request(base: str, kind: str) -> httpx.Response:
    if kind == "bare":
        return httpx.get(f"{base}/", timeout=120)
    if kind == "healthz":
        return httpx.get(f"{base}/healthz", timeout=120)
    return httpx.post(f"{base}/v1/chat/completions", json=CHAT, timeout=120,
                      headers={"authorization": f"Bearer {CLIENT_KEY}"})


TREE = ROOT  # the pool's checkout (--tree)


def harness_run(fake: FakeSiliconFlow, kind: str) -> dict[str, float]:
    config = {"deferImport": True, "srcDir": str(TREE / "src"), "migrationsDir": str(TREE / "migrations"),
              **({"entryDir": str(BARE / "src")} if kind == "bare" else {})}
    with tempfile.TemporaryDirectory() as folder:
        harness = WorkerHarness(Path(folder), env={"ADMIN_TOKEN": ADMIN_TOKEN, "UPSTREAM_BASE_URL": fake.url},
                                config=config).start()
        try:
            if kind == "chat":
                httpx.post(f"{harness.url}/__harness/d1", json={"statements": setup_statements(int(time.time()))},
                           timeout=60).raise_for_status()
            started = time.perf_counter()
            response = first_request(harness.url, kind)
            first_ms = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.text
            timings = httpx.get(f"{harness.url}/__harness/timings", timeout=30).json()
        finally:
            harness.stop()
    return {"pyodide_ms": timings["pyodide_ms"], "import_ms": timings["entry_import_ms"], "first_ms": first_ms,
            "total_ms": timings["pyodide_ms"] + first_ms}


def offline_env() -> dict[str, str] | None:
    cache = os.environ.get("KEYPOOL_WORKERD_OFFLINE") or (
        str(ROOT.parent / "shared" / "workerd-offline") if (ROOT.parent / "shared" / "workerd-offline").exists()
        else None)
    if not cache or not WRANGLER.exists():
        return None
    return {**os.environ, **QUIET_ENV, "MINIFLARE_WORKERD_PATH": str(Path(cache).resolve() / "workerd")}


def wrangler(env: dict[str, str], cwd: Path, *args: str) -> None:
    result = subprocess.run(["node", str(WRANGLER), *args], cwd=cwd, env=env, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=180)
    if result.returncode:
        raise RuntimeError(f"wrangler {' '.join(args)}: {result.stdout[-2000:]}{result.stderr[-2000:]}")


def wrangler_run(env: dict[str, str], fake: FakeSiliconFlow, kind: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder) / "state"
        if kind == "bare":
            cwd = Path(folder) / "bare"
            shutil.copytree(BARE, cwd)
            (cwd / "node_modules").symlink_to(ROOT / "node_modules")
        else:
            cwd = TREE
            if not (cwd / "node_modules").exists():
                (cwd / "node_modules").symlink_to(ROOT / "node_modules")
            wrangler(env, cwd, "d1", "migrations", "apply", "DB", "--local", "--persist-to", str(state))
            if kind == "chat":
                for sql, params in setup_statements(int(time.time())):
                    for value in params:
                        sql = sql.replace("?", "'" + str(value).replace("'", "''") + "'", 1)
                    wrangler(env, cwd, "d1", "execute", "DB", "--local", "--persist-to", str(state),
                             "--command", sql)
        port = free_port()
        log_path = Path(folder) / "dev.log"
        with open(log_path, "wb") as log:
            started = time.perf_counter()
            process = subprocess.Popen(
                ["node", str(WRANGLER), "dev", "--local", "--ip", "127.0.0.1", "--port", str(port),
                 "--persist-to", str(state), "--show-interactive-dev-session=false",
                 "--var", f"ADMIN_TOKEN:{ADMIN_TOKEN}", "--var", f"UPSTREAM_BASE_URL:{fake.url}"],
                cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        try:
            ready = None
            while ready is None:
                if process.poll() is not None:
                    raise RuntimeError(f"wrangler dev exited: {log_path.read_text()[-3000:]}")
                if "Ready on" in log_path.read_text(errors="replace"):
                    ready = time.perf_counter()
                elif time.perf_counter() - started > 120:
                    raise RuntimeError(f"wrangler dev not ready: {log_path.read_text()[-3000:]}")
                else:
                    time.sleep(0.01)
            base = f"http://127.0.0.1:{port}"
            while True:
                try:
                    response = first_request(base, kind)
                    break
                except httpx.TransportError:
                    time.sleep(0.01)
            done = time.perf_counter()
            assert response.status_code == 200, response.text
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return {"total_ms": (done - started) * 1000, "first_ms": (done - ready) * 1000}


def median(runs: list[dict[str, float]], name: str) -> float:
    return statistics.median(run[name] for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-wrangler", action="store_true")
    parser.add_argument("--tree", help="a folder with the src/, migrations/ and wrangler.toml to run as the pool")
    args = parser.parse_args()
    global TREE
    if args.tree:
        TREE = Path(args.tree).resolve()
    kinds = {"bare": "bare Worker, GET /", "healthz": "pool, GET /healthz", "chat": "pool, first proxied chat"}
    with FakeSiliconFlow.running() as fake:
        runs: dict[str, list] = {kind: [] for kind in kinds}
        for _ in range(args.runs):
            for kind in kinds:
                runs[kind].append(harness_run(fake, kind))
        # Starting Pyodide is the same work for both Workers (its spread is machine noise): the
        # totals add each Worker's first request to the median start over every run.
        pyodide = statistics.median(run["pyodide_ms"] for kind in runs for run in runs[kind])
        bare_total = pyodide + median(runs["bare"], "first_ms")
        print(f"Node harness (Pyodide 0.28.2 + Miniflare), median of {args.runs}; Pyodide starts in {pyodide:.0f} ms")
        print(f"  {'':<28}{'import ms':>10}{'1st request ms':>15}{'with start ms':>14}{'vs bare':>9}")
        for kind, label in kinds.items():
            total = pyodide + median(runs[kind], "first_ms")
            print(f"  {label:<28}{median(runs[kind], 'import_ms'):>10.0f}{median(runs[kind], 'first_ms'):>15.0f}"
                  f"{total:>14.0f}{total / bare_total:>8.2f}x")
        print("  (the first request includes importing the entry module, as in a fresh isolate)")
        env = offline_env()
        if args.skip_wrangler or env is None:
            print("\nwrangler dev --local: skipped" + ("" if args.skip_wrangler else
                  " (no offline runtime cache: set KEYPOOL_WORKERD_OFFLINE, see ../shared/workerd-offline)"))
            return
        wruns: dict[str, list] = {kind: [] for kind in kinds}
        for _ in range(args.runs):
            for kind in kinds:
                wruns[kind].append(wrangler_run(env, fake, kind))
        bare_total = median(wruns["bare"], "total_ms")
        bare_first = median(wruns["bare"], "first_ms")
        print(f"\nwrangler dev --local (workerd), median of {args.runs}:")
        print(f"  {'':<28}{'start to answer ms':>19}{'vs bare':>9}{'Ready to answer ms':>20}{'vs bare':>9}")
        for kind, label in kinds.items():
            total, first = median(wruns[kind], "total_ms"), median(wruns[kind], "first_ms")
            print(f"  {label:<28}{total:>19.0f}{total / bare_total:>8.2f}x{first:>20.0f}{first / bare_first:>8.2f}x")
    print("\ngoal: the pool's first answer within 1.3x the bare Worker's")


if __name__ == "__main__":
    main()
