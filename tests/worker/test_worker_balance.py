"""Balance checks in the Worker (Pyodide + Miniflare's D1, through the harness):
a job advances a chunk per invocation, and no invocation (the request that
starts the job, a poll, a cron tick) makes more upstream calls than the
budget allows, retries and /v1/models fallbacks included."""

from __future__ import annotations

import httpx

from integration.balance_support import WebhookReceiver
from support import make_key

BUDGET = 40          # the check_budget default: safe for the free plan's 50 subrequests
FREE_PLAN_LIMIT = 50
PER_CHUNK = {"check_concurrency": 8}
D1_FREE_PLAN_QUERIES = 50  # D1 queries per invocation on the free plan


def import_keys(api: httpx.Client, keys: list[str]) -> dict[str, int]:
    response = api.post("/api/keys", json={"keys": keys})
    assert response.status_code == 200, response.text
    ids = api.get("/api/keys/ids").json()["ids"]
    return dict(zip(keys, sorted(ids)))


def invocation_of(response: httpx.Response) -> int:
    return int(response.headers["x-harness-invocation"])


def assert_within_budget(stats: dict) -> None:
    assert stats["done"], stats
    assert stats["error"] is None, stats
    upstream = [url for url in stats["fetch_urls"] if "/v1/" in url]
    assert len(upstream) == stats["fetches"], stats["fetch_urls"]  # nothing but checks went out
    assert stats["fetches"] <= BUDGET <= FREE_PLAN_LIMIT, stats
    assert stats["d1_queries"] <= D1_FREE_PLAN_QUERIES, stats


def test_a_job_advances_by_chunks_that_fit_the_budget(worker_harness, api, fake):
    keys = [make_key(f"wb{i}") for i in range(130)]
    fake.set_key(keys[0], "invalid")
    fake.set_key(keys[1], "ok", balance="13.9876")
    fake.set_key(keys[2], "ok", balance="-0.02")
    ids = import_keys(api, keys)
    assert api.put("/api/settings", json=PER_CHUNK).status_code == 200

    started = api.post("/api/keys/check", json={"all": True})
    assert started.status_code == 200, started.text
    job_id = started.json()["job"]
    first = worker_harness.stats(invocation_of(started))  # the first chunk ran in its waitUntil
    assert_within_budget(first)
    assert first["fetches"] == BUDGET  # a full chunk: one user/info call per key
    ticks = 0
    while True:
        poll = api.get(f"/api/jobs/{job_id}")
        assert_within_budget(worker_harness.stats(invocation_of(poll)))  # a poll advances the job too
        if poll.json()["state"] != "running":
            break
        tick = worker_harness.scheduled()
        assert tick["http_status"] == 200, tick
        assert_within_budget(tick)
        ticks += 1
        assert ticks < 10, "the job does not finish"
    job = api.get(f"/api/jobs/{job_id}").json()
    assert (job["state"], job["done"], job["total"]) == ("done", 130, 130)
    assert (job["valid"], job["invalid"], job["exhausted"], job["errors"]) == (128, 1, 1, 0)
    assert job["calls"] == 130  # every key once, none twice (a tick after the end may refresh some more)
    assert min(fake.count(key=key) for key in keys) == 1
    listed = {item["id"]: item for item in api.get("/api/keys", params={"page_size": 200}).json()["items"]}
    assert listed[ids[keys[0]]]["status"] == "invalid"
    assert (listed[ids[keys[1]]]["status"], listed[ids[keys[1]]]["balance"]) == ("valid", 13.9876)
    assert (listed[ids[keys[2]]]["status"], listed[ids[keys[2]]]["balance"]) == ("exhausted", -0.02)


def test_user_info_gone_costs_one_call_per_invocation(worker_harness, api, fake):
    keys = [make_key(f"wg{i}") for i in range(60)]
    fake.set_key(keys[5], "invalid")
    import_keys(api, keys)
    assert api.put("/api/settings", json=PER_CHUNK).status_code == 200
    fake.configure(user_info_gone=True)

    started = api.post("/api/keys/check", json={"all": True, "budget": 30})
    job_id = started.json()["job"]
    # The request that starts a job, each cron tick and each poll run a chunk; wait for
    # each invocation's waitUntil work, so that no two chunks race for the job's lease.
    invocations = [worker_harness.stats(invocation_of(started))]

    def poll() -> str:
        response = api.get(f"/api/jobs/{job_id}")
        invocations.append(worker_harness.stats(invocation_of(response)))
        return response.json()["state"]

    for _ in range(10):
        if poll() != "running" or poll() != "running":  # the second sees what the first one's chunk did
            break
        invocations.append(worker_harness.scheduled())
    for invocation in invocations:
        assert_within_budget(invocation)
        if invocation["kind"] == "fetch":  # requests only advance the job: its own budget holds
            assert invocation["fetches"] <= 30, [(i["kind"], i["label"], i["fetches"]) for i in invocations]
        # the run's first key learns that user/info is gone; the others go straight to /v1/models
        assert sum("/v1/user/info" in url for url in invocation["fetch_urls"]) <= 1
    job = api.get(f"/api/jobs/{job_id}").json()
    assert (job["state"], job["done"], job["valid"], job["invalid"], job["user_info"]) == ("done", 60, 59, 1, "gone")
    items = api.get("/api/keys", params={"page_size": 100}).json()["items"]
    assert all(item["balance"] is None for item in items)


def test_the_cron_refresh_stays_within_the_budget(worker_harness, api, fake):
    keys = [make_key(f"wr{i}") for i in range(90)]
    import_keys(api, keys)
    assert api.put("/api/settings", json={**PER_CHUNK, "refresh_batch": 500}).status_code == 200
    unchecked = []
    for _ in range(3):
        tick = worker_harness.scheduled()
        assert_within_budget(tick)
        assert tick["fetches"] == BUDGET
        unchecked.append(api.get("/api/keys", params={"status": "unchecked"}).json()["total"])
    assert unchecked == [50, 10, 0]  # never-checked keys first
    # the third tick's spare budget re-checked the 30 keys checked longest ago
    per_key = sorted(fake.count(key=key) for key in keys)
    assert per_key == [1] * 60 + [2] * 30


def test_a_low_balance_alert_fits_in_the_tick_and_fires_once(worker_harness, api, fake):
    keys = [make_key(f"wa{i}") for i in range(60)]
    for key in keys:
        fake.set_key(key, "ok", balance="0.5")
    import_keys(api, keys)
    with WebhookReceiver() as hook:
        assert api.put("/api/settings", json={
            **PER_CHUNK, "refresh_batch": 500, "alert_webhook_url": f"{hook.url}/hook",
            "alert_min_total_balance": 1000, "alert_min_valid_keys": 0}).status_code == 200
        first = worker_harness.scheduled()
        assert_alerting_tick(first, hook.url)
        assert len(hook.posts) == 1
        message = hook.posts[0]["json"]
        assert (message["event"], message["reason"], message["threshold"]) == ("pool_low", "total_balance", 1000)
        assert message["total_balance"] == 19.0  # the 38 keys this tick could check (2 calls kept for alerts)
        second = worker_harness.scheduled()
        assert_alerting_tick(second, hook.url)
        assert len(hook.posts) == 1  # once per crossing
        api.put("/api/settings", json={"alert_webhook_url": "", "alert_min_total_balance": 0})


def assert_alerting_tick(stats: dict, hook_url: str) -> None:
    assert stats["done"] and stats["error"] is None, stats
    checks = [url for url in stats["fetch_urls"] if "/v1/" in url]
    assert len(checks) == BUDGET - 2  # the budget leaves room for the webhook calls
    assert stats["fetches"] <= BUDGET <= FREE_PLAN_LIMIT, stats
    assert stats["d1_queries"] <= D1_FREE_PLAN_QUERIES, stats
    assert all(url.startswith(hook_url) for url in stats["fetch_urls"] if "/v1/" not in url)
