"""CPU a warm Worker isolate spends in Python per proxied request.

Runs the Worker (src/entry.py) in the Node harness (tests/worker/harness.mjs:
the same Pyodide 0.28.2 as workerd, Miniflare's real D1) against the fake
SiliconFlow, one request at a time, under V8's sampling profiler. Samples in
Pyodide (the wasm interpreter and its JS glue) are the Python time; Miniflare's
binding proxy and Node's HTTP stack, which workerd does natively, are left out.
The baseline, in the same run, is `GET /healthz`: the shell's own cost.
The free plan allows 10 ms of CPU per request.

    .venv/bin/python bench/worker_cpu_bench.py [--requests 100] [--tree DIR]

`--tree` runs another checkout's src/ and migrations/ (e.g. `git archive <commit> src migrations |
tar -x -C /tmp/old`) in this harness, for before/after figures taken under the same machine load.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from fakes.siliconflow import FakeSiliconFlow  # noqa: E402
from support import ADMIN_TOKEN, make_key  # noqa: E402
from worker.conftest import WorkerHarness  # noqa: E402

CHAT = {"model": "deepseek-ai/DeepSeek-V3", "messages": [{"role": "user", "content": "hi"}]}


def category(frame: dict) -> str:
    name, url = frame["functionName"], frame["url"]
    if name == "(idle)":
        return "idle"
    if name.startswith("wasm") or url.startswith("wasm") or "pyodide" in url:
        return "python"
    if "miniflare" in url:
        return "miniflare"
    return "node"


def profile_ms(profile_dir: Path, windows: dict[str, tuple[float, float]]) -> dict[str, Counter]:
    """CPU ms per category inside each window (seconds before the profile's end)."""
    main = min(profile_dir.glob("*.cpuprofile"))  # the main thread's profile is written first
    data = json.loads(main.read_text())
    frames = {node["id"]: node["callFrame"] for node in data["nodes"]}
    totals = {name: Counter() for name in windows}
    at = data["startTime"]
    for sample, delta in zip(data["samples"], data["timeDeltas"]):
        at += delta
        before_end = (data["endTime"] - at) / 1e6
        for name, (start, stop) in windows.items():
            if stop <= before_end < start:
                totals[name][category(frames[sample])] += delta / 1000
    return totals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--tree", help="a folder with the src/ and migrations/ to run (default: this checkout)")
    args = parser.parse_args()
    n = args.requests
    with FakeSiliconFlow.running() as fake, tempfile.TemporaryDirectory() as folder:
        profiles = Path(folder) / "profiles"
        harness = WorkerHarness(Path(folder), env={"ADMIN_TOKEN": ADMIN_TOKEN, "UPSTREAM_BASE_URL": fake.url},
                                node_args=["--cpu-prof", f"--cpu-prof-dir={profiles}"],
                                config={"srcDir": str(Path(args.tree, "src").resolve()),
                                        "migrationsDir": str(Path(args.tree, "migrations").resolve())}
                                if args.tree else None).start()
        try:
            admin = httpx.Client(base_url=harness.url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
                                 timeout=60)
            admin.post("/api/keys", json={"keys": [make_key(f"cpu{i}") for i in range(100)]}).raise_for_status()
            client_key = admin.post("/api/client-keys", json={"name": "bench"}).json()["key"]
            client = httpx.Client(base_url=harness.url, headers={"authorization": f"Bearer {client_key}"},
                                  timeout=60)
            phases = {
                "GET /healthz (baseline)": ("GET", "/healthz", None),
                "chat, non-stream": ("POST", "/v1/chat/completions", CHAT),
                "chat, stream (5 chunks)": ("POST", "/v1/chat/completions", {**CHAT, "stream": True}),
            }
            marks = {}
            flush = admin.get  # an admin request writes the requests the isolate holds
            for name, (method, path, body) in phases.items():
                for _ in range(20):  # warm
                    client.request(method, path, json=body).read()
                flush("/api/settings")
                time.sleep(0.5)  # the warm-up's deferred log writes finish outside the window
                started = time.monotonic()
                for _ in range(n):
                    response = client.request(method, path, json=body)
                    assert response.status_code == 200, response.text
                flush("/api/settings")  # this phase's batched writes count for this phase
                time.sleep(0.5)  # and the last request's
                marks[name] = (started, time.monotonic())
        finally:
            ended = time.monotonic()
            harness.stop()
        windows = {name: (ended - start, ended - stop) for name, (start, stop) in marks.items()}
        totals = profile_ms(profiles, windows)
    base = totals["GET /healthz (baseline)"]["python"] / n
    print(f"{'per request, CPU ms':<26}{'python':>8}{'vs baseline':>13}{'miniflare':>11}{'node':>7}")
    for name, counter in totals.items():
        print(f"{name:<26}{counter['python'] / n:>8.2f}{counter['python'] / n / base:>12.1f}x"
              f"{counter['miniflare'] / n:>11.2f}{counter['node'] / n:>7.2f}")
    print("\n'python' includes the batched request-log write (flushed by one admin request per phase) and "
          "D1 row conversion; 'miniflare' and 'node' are harness costs that workerd does natively.")


if __name__ == "__main__":
    main()
