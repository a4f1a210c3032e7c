"""Balance checks end to end: local server process -> faulty front -> fake SiliconFlow, all real HTTP,
a real SQLite file. Jobs over thousands of keys, 410, 429 bursts, 5xx and timeouts, stop, restart."""

from __future__ import annotations

import time

import httpx
import pytest

from integration.balance_support import import_keys, run_job, wait_job
from support import LocalServerProcess, admin_client, make_key


def items_by_id(api: httpx.Client, **params) -> dict[int, dict]:
    found, page = {}, 1
    while True:
        body = api.get("/api/keys", params={"page": page, "page_size": 1000, **params}).json()
        found.update({item["id"]: item for item in body["items"]})
        if page * 1000 >= body["total"]:
            return found
        page += 1


def balance_text(i: int) -> str:
    return f"{(i * 7919) % 100}.{(i * 104729) % 10000:04d}"


def test_thousands_of_keys_in_mixed_states(api, sf):
    keys = [make_key(f"mix{i}") for i in range(3000)]
    expected: dict[str, tuple[str, float | None]] = {}
    for i, key in enumerate(keys):
        kind = i % 6
        if kind == 0:
            text = "13.9876" if i == 0 else balance_text(i)
            sf.set_key(key, "ok", balance=text)
            expected[key] = ("valid" if float(text) > 0 else "exhausted", float(text))
        elif kind == 1:
            sf.set_key(key, "invalid")
            expected[key] = ("invalid", None)
        elif kind == 2:
            sf.set_key(key, "no_balance")  # user/info says "0"
            expected[key] = ("exhausted", 0.0)
        elif kind == 3:
            sf.set_key(key, "ok", balance="-0.0123")  # totalBalance can go slightly negative
            expected[key] = ("exhausted", -0.0123)
        elif kind == 4:
            sf.set_key(key, "ok", gift_balance="1.5", charge_balance="2.2501")
            expected[key] = ("valid", 3.7501)
        else:
            expected[key] = ("valid", 10.0)  # the fake's default
    ids = import_keys(api, keys)

    job = run_job(api, all=True, concurrency=50)

    want = {status: sum(1 for s, _ in expected.values() if s == status)
            for status in ("valid", "invalid", "exhausted")}
    assert (job["state"], job["done"], job["total"], job["errors"]) == ("done", 3000, 3000, 0)
    assert (job["valid"], job["invalid"], job["exhausted"]) == (want["valid"], want["invalid"], want["exhausted"])
    assert job["calls"] == 3000 and job["user_info"] == "ok"
    assert all(sf.count(key=key) == 1 for key in keys)  # every key once
    items = items_by_id(api)
    for key, (status, balance) in expected.items():
        item = items[ids[key]]
        assert item["status"] == status, (key, item)
        if balance is not None:
            assert item["balance"] == balance, (key, item)  # stored exactly as SiliconFlow wrote it
    assert items[ids[keys[0]]]["balance"] == 13.9876
    gift = items[ids[keys[4]]]
    assert (gift["gift_balance"], gift["charge_balance"], gift["balance"]) == (1.5, 2.2501, 3.7501)

    stats = api.get("/api/stats").json()
    assert stats["keys"]["by_status"] == {"unchecked": 0, "disabled": 0, **want}
    known = [b for s, b in expected.values() if s != "invalid"]
    assert stats["balance"]["known"] == len(known) and stats["balance"]["unknown"] == 0
    assert stats["balance"]["sum"] == pytest.approx(sum(known), abs=1e-4)
    assert stats["balance"]["min"] == -0.0123
    valid_known = [b for s, b in expected.values() if s == "valid"]
    assert sum(b["count"] for b in stats["balance"]["distribution"]) == len(valid_known)  # valid keys only
    (today,) = stats["trend"]["points"]
    assert today["valid_keys"] == want["valid"]
    assert today["total_balance"] == pytest.approx(sum(known), abs=1e-4)
    history = api.get(f"/api/keys/{ids[keys[0]]}/history").json()["items"]
    assert [h["balance"] for h in history] == [13.9876]


def test_a_recheck_writes_only_changes_and_clears_a_stale_exhausted(api, sf):
    keys = [make_key(f"re{i}") for i in range(12)]
    sf.set_key(keys[0], "no_balance")
    sf.set_key(keys[1], "ok", balance="2.5")
    ids = import_keys(api, keys)
    run_job(api, all=True)
    assert items_by_id(api)[ids[keys[0]]]["status"] == "exhausted"

    sf.set_key(keys[0], "ok", balance="5.25")  # credit is back
    sf.set_key(keys[1], "ok", balance="2.5")   # unchanged
    job = run_job(api, all=True)
    assert (job["valid"], job["exhausted"]) == (12, 0)
    items = items_by_id(api)
    assert (items[ids[keys[0]]]["status"], items[ids[keys[0]]]["balance"]) == ("valid", 5.25)
    assert [h["balance"] for h in api.get(f"/api/keys/{ids[keys[0]]}/history").json()["items"]] == [5.25, 0.0]
    assert [h["balance"] for h in api.get(f"/api/keys/{ids[keys[1]]}/history").json()["items"]] == [2.5]


def test_user_info_gone_gives_unknown_balance_and_decides_validity_with_models(api, sf):
    keys = [make_key(f"gone{i}") for i in range(50)]
    sf.set_key(keys[0], "invalid")
    sf.set_key(keys[1], "no_balance")
    sf.set_key(keys[2], "ok", balance="7.5")
    ids = import_keys(api, keys[:3])
    run_job(api, all=True)  # while user/info still answers: balances known
    ids.update(import_keys(api, keys[3:]))
    sf.configure(user_info_gone=True)
    sf.reset_calls()

    job = run_job(api, all=True, concurrency=10)

    assert (job["done"], job["valid"], job["invalid"], job["exhausted"], job["errors"]) == (50, 48, 1, 1, 0)
    assert job["user_info"] == "gone"
    assert sf.count(path="/v1/user/info") == 1  # learnt once per job, not asked for every key
    assert sf.count(path="/v1/models") == 50
    items = items_by_id(api)
    assert items[ids[keys[0]]]["status"] == "invalid"
    assert (items[ids[keys[1]]]["status"], items[ids[keys[1]]]["balance"]) == ("exhausted", None)
    assert (items[ids[keys[2]]]["status"], items[ids[keys[2]]]["balance"]) == ("valid", None)  # unknown, not 0
    assert all(item["balance"] is None for item in items.values())
    stats = api.get("/api/stats").json()
    assert (stats["balance"]["known"], stats["balance"]["unknown"], stats["balance"]["sum"]) == (0, 49, None)
    assert stats["pool"] == {"total_balance": None, "valid_keys": 48}  # unknown, not 0
    assert stats["trend"]["points"][-1]["total_balance"] is None

    sf.reset_calls()
    run_job(api, ids=[ids[k] for k in keys[:5]])
    assert sf.count(path="/v1/user/info") == 1  # a later job asks again
    sf.configure(user_info_gone=False)
    job = run_job(api, ids=[ids[k] for k in keys[:5]])
    assert job["user_info"] == "ok"
    assert items_by_id(api)[ids[keys[2]]]["balance"] == 7.5


def test_429_bursts_slow_the_job_down_and_lose_no_key(api, sf, front):
    keys = [make_key(f"rl{i}") for i in range(400)]
    import_keys(api, keys)
    front.rate_limit_next(60)

    job = run_job(api, all=True, concurrency=20)

    assert (job["state"], job["done"], job["valid"], job["errors"]) == ("done", 400, 400, 0)
    assert job["pacing"]["slowdowns"] >= 1
    assert job["pacing"]["rate_limited"] == front.served["rate_limited"] == 60
    assert job["calls"] == 460  # each 429 cost one more call, nothing else
    assert all(sf.count(key=key) == 1 for key in keys)
    assert api.get("/api/keys", params={"status": "unchecked"}).json()["total"] == 0


def test_5xx_and_timeouts_are_retried_with_backoff_and_never_make_a_key_invalid(api, sf, front):
    flaky, broken, hung, fine = (make_key(f"flt{n}") for n in ("flaky", "broken", "hung", "fine"))
    sf.set_key(flaky, "ok", balance="4.5")
    ids = import_keys(api, [flaky, broken, hung, fine])
    run_job(api, all=True)  # all valid first
    front.fail(flaky, 503, times=2)
    front.fail(broken, 500)
    front.slow(hung, 3.0)

    job = run_job(api, all=True, retries=2, timeout_s=1)

    assert (job["done"], job["valid"], job["errors"], job["invalid"]) == (4, 2, 2, 0)
    assert front.faults_by_key == {flaky: 2, broken: 3, hung: 3}  # 1 try + 2 retries at most
    items = items_by_id(api)
    assert (items[ids[flaky]]["status"], items[ids[flaky]]["balance"]) == ("valid", 4.5)
    for key in (broken, hung):
        item = items[ids[key]]
        assert (item["status"], item["balance"]) == ("valid", 10.0)  # left as it was
        assert "tried 3 times" in item["last_error"]
    assert "503" in items[ids[broken]]["last_error"] or "500" in items[ids[broken]]["last_error"]
    assert "timed out" in items[ids[hung]]["last_error"]


def test_stop_works(api, sf):
    keys = [make_key(f"stop{i}") for i in range(400)]
    import_keys(api, keys)
    assert api.put("/api/settings", json={"refresh_batch": 0}).status_code == 200
    sf.configure(latency_ms=20)
    job_id = api.post("/api/keys/check", json={"all": True, "concurrency": 2}).json()["job"]
    wait_job(api, job_id, until=lambda j: j["done"] >= 20)

    stopped = api.post(f"/api/jobs/{job_id}/stop").json()
    assert stopped["stopped"] is True and stopped["state"] == "stopped"
    job = wait_job(api, job_id)
    assert job["state"] == "stopped" and 20 <= job["done"] < 400
    assert sum(sf.count(key=key) for key in keys) == job["calls"] == job["done"]  # calls in flight were recorded
    assert api.post("/api/jobs/tick").status_code == 200  # a tick does not revive it
    assert api.get(f"/api/jobs/{job_id}").json()["done"] == job["done"]
    assert sum(sf.count(key=key) for key in keys) == job["done"]
    assert api.post(f"/api/jobs/{job_id}/stop").json()["stopped"] is False
    unchecked = api.get("/api/keys", params={"status": "unchecked"}).json()["total"]
    assert unchecked == 400 - job["done"]


@pytest.mark.parametrize("how", ["kill", "terminate"])
def test_a_restarted_job_resumes_where_it_stopped(tmp_path, sf, how):
    """Kill -9 loses at most the chunk in flight; a graceful stop writes it first."""
    sf.reset()
    sf.configure(latency_ms=15)
    env = {"UPSTREAM_BASE_URL": sf.url, "KEYPOOL_TICK_SECONDS": "86400"}
    server = LocalServerProcess(tmp_path, env=env).start()
    keys = [make_key(f"{how}{i}") for i in range(1200)]
    try:
        with admin_client(server.url) as api:
            assert api.put("/api/settings", json={"check_on_import": False}).status_code == 200  # calls counted
            import_keys(api, keys)
            job_id = api.post("/api/keys/check", json={"all": True, "concurrency": 4}).json()["job"]
            chunk = 4 * 25  # keys per chunk at concurrency 4 (core/pacing.chunk_keys)
            wait_job(api, job_id, until=lambda j: j["done"] >= 2 * chunk)
        if how == "kill":
            server.process.kill()
            server.process.wait()
        else:
            server.stop()
        before = sum(1 for key in keys if sf.count(key=key))
        assert before < 1200, "the job ended before the restart"

        server = LocalServerProcess(tmp_path, env=env).start()  # same database file
        with admin_client(server.url) as api:
            job = wait_job(api, job_id)
            assert (job["state"], job["done"], job["total"], job["valid"], job["errors"]) == ("done", 1200, 1200,
                                                                                             1200, 0)
            assert api.get("/api/keys", params={"status": "unchecked"}).json()["total"] == 0
    finally:
        server.stop()
        sf.configure(latency_ms=0)
    counts = [sf.count(key=key) for key in keys]
    assert min(counts) == 1 and max(counts) <= 2
    twice = counts.count(2)
    if how == "kill":
        assert twice <= chunk  # only the chunk in flight when the process died
    else:
        assert twice == 0      # the chunk in flight was written on the way out
    assert "resuming job" in server.log()


def test_check_one_key_now(api, sf):
    good, dead = make_key("nowgood"), make_key("nowdead")
    sf.set_key(good, "ok", balance="0.4321")
    sf.set_key(dead, "invalid")
    ids = import_keys(api, [good, dead])
    answer = api.post(f"/api/keys/{ids[good]}/check").json()
    assert (answer["status"], answer["balance"], answer["result"]) == ("valid", 0.4321, "valid")
    assert answer["key"] != good and answer["checked_at"]  # masked, as in listings
    answer = api.post(f"/api/keys/{ids[dead]}/check").json()
    assert (answer["status"], answer["result"], answer["last_error"]) == ("invalid", "invalid", "Api key is invalid")
    assert api.post("/api/keys/999999/check").status_code == 404


def test_bulk_delete_zero_balance_and_invalid_keys_with_real_balances(api, sf):
    zero, negative, rich, dead, later = (make_key(f"bulk{n}") for n in ("zero", "neg", "rich", "dead", "later"))
    sf.set_key(zero, "no_balance")
    sf.set_key(negative, "ok", balance="-0.01")
    sf.set_key(rich, "ok", balance="5")
    sf.set_key(dead, "invalid")
    import_keys(api, [zero, negative, rich, dead])
    run_job(api, all=True)
    import_keys(api, [later])  # unchecked: balance unknown, which is not zero

    assert api.post("/api/keys/delete", json={"zero_balance": True}).json() == {"changed": 2}
    assert api.post("/api/keys/delete", json={"status": "invalid"}).json() == {"changed": 1}
    left = api.get("/api/keys/export", params={"format": "with_balance"}).text.split("\n")
    assert sorted(left) == sorted([f"{rich}----5", f"{later}----unknown"])


def test_job_api_validation_and_listing(api, sf):
    ids = list(import_keys(api, [make_key(f"val{i}") for i in range(3)]).values())
    for body, message in [({}, "say which keys"), ({"all": True, "concurrency": 0}, "concurrency"),
                          ({"all": True, "speed": 3}, "unknown field"),
                          ({"all": True, "interval_min_ms": 9, "interval_max_ms": 1}, "interval_min_ms"),
                          ({"ids": ["x"]}, "ids")]:
        response = api.post("/api/keys/check", json=body)
        assert response.status_code == 400 and message in response.json()["error"]["message"], (body, response.text)
    job = run_job(api, ids=ids[:2], interval_min_ms=1, interval_max_ms=5, retries=0)
    assert (job["total"], job["done"], job["selection"]["ids"]) == (2, 2, 2)
    assert job["settings"]["interval_max_ms"] == 5 and job["settings"]["retries"] == 0
    assert (job["keys_per_s"] or 0) > 0 and job["eta_s"] is None
    empty = api.post("/api/keys/check", json={"status": "invalid"}).json()
    assert (empty["total"], empty["state"]) == (0, "done")
    listed = api.get("/api/jobs").json()["items"]
    assert [j["id"] for j in listed[:2]] == [empty["job"], job["id"]]
    assert api.get("/api/jobs/999999").status_code == 404
    assert api.post("/api/jobs/999999/stop").status_code == 404
    assert httpx.post(f"{api.base_url}/api/keys/check", json={"all": True}).status_code == 401


def test_a_running_job_reports_speed_and_eta(api, sf):
    import_keys(api, [make_key(f"eta{i}") for i in range(300)])
    sf.configure(latency_ms=10)
    job_id = api.post("/api/keys/check", json={"all": True, "concurrency": 2}).json()["job"]
    job = wait_job(api, job_id, until=lambda j: j["done"] >= 60 or j["state"] != "running")
    if job["state"] == "running":
        assert job["keys_per_s"] > 0 and job["eta_s"] > 0
    job = wait_job(api, job_id)
    assert job["done"] == 300 and job["eta_s"] is None


def test_credit_back_lifts_the_proxys_out_of_balance_exclusion(api, sf, checker):
    """The proxy learnt 'out of balance' from a 30001 answer; a check that finds credit puts the key back."""
    poor = make_key("proxypoor")
    sf.set_key(poor, "no_balance")
    ids = import_keys(api, [poor])
    client_key = api.post("/api/client-keys", json={"name": "balance-test"}).json()["key"]
    chat = {"model": "deepseek-ai/DeepSeek-V3", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"authorization": f"Bearer {client_key}"}
    assert httpx.post(f"{checker.url}/v1/chat/completions", json=chat, headers=headers).status_code == 503
    deadline = time.monotonic() + 10
    while items_by_id(api)[ids[poor]]["status"] != "exhausted":  # written after the response
        assert time.monotonic() < deadline
        time.sleep(0.05)

    sf.set_key(poor, "ok", balance="3")
    assert api.post(f"/api/keys/{ids[poor]}/check").json()["status"] == "valid"
    answer = httpx.post(f"{checker.url}/v1/chat/completions", json=chat, headers=headers)
    assert answer.status_code == 200, answer.text
