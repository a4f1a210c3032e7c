"""Balance-check throughput: a check job over 10,000 keys against the fake
SiliconFlow with 50 ms latency, at concurrency C, as a ratio to the physical
limit (keys x latency / C: what C calls always in flight would take).

Starts the fake upstream (`tests/fakes/siliconflow.py --latency-ms 50`) and
the local server (`python -m keypool serve`) as their own processes, imports
the keys, runs one job per C through the admin API and times it by the job's
own timestamps (created -> finished, so polling adds nothing).

    .venv/bin/python bench/check_bench.py [--keys 10000] [--latency-ms 50] [--concurrency 10 20 40]
                                          [--user-info-gone]
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

from support import ADMIN_TOKEN, LocalServerProcess, make_key, start_fake_process  # noqa: E402

TARGET_RATIO = 1.3  # at C = 20


def run_job(api: httpx.Client, concurrency: int) -> dict:
    job_id = api.post("/api/keys/check", json={"all": True, "concurrency": concurrency}).json()["job"]
    while True:
        job = api.get(f"/api/jobs/{job_id}").json()
        if job["state"] != "running" and not job["active"]:
            return job
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[10, 20, 40])
    parser.add_argument("--user-info-gone", action="store_true", help="user/info answers 410: /v1/models decides")
    args = parser.parse_args()

    fake, upstream = start_fake_process("--latency-ms", str(args.latency_ms))
    server = LocalServerProcess(Path(tempfile.mkdtemp(prefix="check-bench-")),
                                env={"UPSTREAM_BASE_URL": upstream, "KEYPOOL_TICK_SECONDS": "86400"}).start()
    url = server.url
    try:
        control = httpx.Client(base_url=upstream, timeout=30)
        control.post("/__fake/config", json={"user_info_gone": args.user_info_gone})
        with httpx.Client(base_url=url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=120) as api:
            keys = [make_key(f"bench{i}") for i in range(args.keys)]
            assert api.post("/api/keys", json={"keys": keys}).json()["added"] == args.keys
            print(f"{args.keys} keys, upstream latency {args.latency_ms:g} ms"
                  f"{', user/info gone (410)' if args.user_info_gone else ''}")
            print(f"{'C':>4} {'wall s':>8} {'limit s':>8} {'ratio':>6} {'keys/s':>8} {'calls':>7} {'errors':>6}")
            for concurrency in args.concurrency:
                control.post("/__fake/reset", json={"calls_only": True})
                job = run_job(api, concurrency)
                wall = job["finished_at"] - job["created_at"]
                limit = args.keys * args.latency_ms / 1000 / concurrency
                calls = control.get("/__fake/calls").json()["total"]
                assert job["done"] == args.keys, job
                print(f"{concurrency:>4} {wall:>8.2f} {limit:>8.2f} {wall / limit:>6.3f} {args.keys / wall:>8.1f} "
                      f"{calls:>7} {job['errors']:>6}")
            print(f"target: ratio <= {TARGET_RATIO} at C = 20")
    finally:
        server.stop()
        fake.terminate()
        fake.wait(10)


if __name__ == "__main__":
    main()
