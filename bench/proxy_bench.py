"""Proxy overhead: the same fake SiliconFlow called directly and through the pool.

Starts the fake upstream and the local server (`python -m keypool serve`) as
their own processes, then drives both with the same client in this process,
alternating rounds so drift hits both alike. Prints added latency, added
time to first byte and throughput as a ratio to direct, and the key
selection cost at 100k keys.

    .venv/bin/python bench/proxy_bench.py [--requests 1500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from keypool.core.selection import Candidate, Selector  # noqa: E402
from support import ADMIN_TOKEN, LocalServerProcess, make_key, start_fake_process  # noqa: E402

BODY = {"model": "deepseek-ai/DeepSeek-V3", "messages": [{"role": "user", "content": "hi"}]}


async def one(client: aiohttp.ClientSession, url: str, key: str, stream: bool) -> tuple[float, float]:
    started = time.perf_counter()
    ttfb = None
    body = json.dumps({**BODY, "stream": stream}).encode()
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
    async with client.post(url, headers=headers, data=body) as response:
        async for _ in response.content.iter_any():
            if ttfb is None:
                ttfb = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
    return time.perf_counter() - started, ttfb or 0.0


async def load(url: str, key: str, requests: int, concurrency: int, stream: bool):
    # aiohttp as the load generator: httpx's own overhead would cap both sides.
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as client:
        for _ in range(50):  # warm connections and caches
            await one(client, url, key, stream)
        results: list[tuple[float, float]] = []
        remaining = requests

        async def worker():
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                results.append(await one(client, url, key, stream))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return results, requests / (time.perf_counter() - started)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def selection_cost(n: int = 100_000, picks: int = 200_000) -> dict[str, float]:
    now = time.time()
    costs = {}
    for strategy in ("round_robin", "random", "weighted", "drain"):
        selector = Selector((Candidate(i, f"sk-{i}", "valid", float(i % 50)) for i in range(n)), strategy)
        for key_id in range(0, n, 20):  # 5% of keys cooling
            selector.block(key_id, "m", now + 60)
        started = time.perf_counter()
        for _ in range(picks):
            selector.pick("m", now)
        costs[strategy] = (time.perf_counter() - started) / picks * 1e6
    return costs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        fake, upstream = start_fake_process()
        server = LocalServerProcess(Path(folder), env={"UPSTREAM_BASE_URL": upstream}).start()
        pool_url = server.url
        try:
            admin = httpx.Client(base_url=pool_url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
            admin.post("/api/keys", json={"keys": [make_key(f"bench{i}") for i in range(20)]}).raise_for_status()
            client_key = admin.post("/api/client-keys", json={"name": "bench"}).json()["key"]
            direct_key = make_key("direct")
            print(f"{'scenario':<22}{'direct p50/p99 ms':>20}{'pool p50/p99 ms':>18}{'added p50/p99':>16}"
                  f"{'added TTFB':>12}{'direct rps':>12}{'pool rps':>10}{'ratio':>7}")
            for concurrency in (1, 16):
                for stream in (False, True):
                    runs = {"direct": ([], []), "pool": ([], [])}
                    for _ in range(args.rounds):
                        for name, url, key in (("direct", upstream, direct_key), ("pool", pool_url, client_key)):
                            results, rps = asyncio.run(load(f"{url}/v1/chat/completions", key,
                                                            args.requests // args.rounds, concurrency, stream))
                            runs[name][0].extend(results)
                            runs[name][1].append(rps)
                    d_lat = [r[0] for r in runs["direct"][0]]
                    p_lat = [r[0] for r in runs["pool"][0]]
                    d_ttfb = statistics.median(r[1] for r in runs["direct"][0]) * 1000
                    p_ttfb = statistics.median(r[1] for r in runs["pool"][0]) * 1000
                    d_rps, p_rps = statistics.median(runs["direct"][1]), statistics.median(runs["pool"][1])
                    label = f"c={concurrency} {'stream' if stream else 'non-stream'}"
                    print(f"{label:<22}{pct(d_lat, 50):>9.2f}/{pct(d_lat, 99):<10.2f}"
                          f"{pct(p_lat, 50):>8.2f}/{pct(p_lat, 99):<9.2f}"
                          f"{pct(p_lat, 50) - pct(d_lat, 50):>7.2f}/{pct(p_lat, 99) - pct(d_lat, 99):<8.2f}"
                          f"{p_ttfb - d_ttfb:>10.2f}  {d_rps:>10.0f}{p_rps:>10.0f}{p_rps / d_rps:>7.2f}")
        finally:
            server.stop()
            fake.terminate()
            fake.wait()
    print("\nkey selection at 100k keys (5% cooling), microseconds per pick:")
    for strategy, micros in selection_cost().items():
        print(f"  {strategy:<12}{micros:6.2f} us")
    print("\ntargets: added p50 <= 2 ms and p99 <= 5 ms at c=1, added TTFB <= 3 ms, >= 400 requests/s, pick <= 5 us")


if __name__ == "__main__":
    main()
