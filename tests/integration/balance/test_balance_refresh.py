"""The scheduled tick (API, periodic task, CLI), low-balance alerts, statistics,
and client-direct checking, through real HTTP on a local server process."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

import httpx

from integration.balance_support import WebhookReceiver, import_keys, run_job
from support import ROOT, LocalServerProcess, admin_client, make_key


def tick(api) -> dict:
    response = api.post("/api/jobs/tick")
    assert response.status_code == 200, response.text
    return response.json()


def set_balances(sf, keys, balance: str) -> None:
    for key in keys:
        sf.set_key(key, "ok", balance=balance)


def test_a_tick_rechecks_the_keys_checked_longest_ago(api, sf):
    keys = [make_key(f"tick{i}") for i in range(25)]
    import_keys(api, keys)
    assert api.put("/api/settings", json={"refresh_batch": 10}).status_code == 200
    assert tick(api)["refreshed"] == 10
    assert tick(api)["refreshed"] == 10
    assert api.get("/api/keys", params={"status": "unchecked"}).json()["total"] == 5
    assert tick(api)["refreshed"] == 10  # the last 5 unchecked, then the 5 checked longest ago
    counts = sorted(sf.count(key=key) for key in keys)
    assert counts == [1] * 20 + [2] * 5


def test_a_tick_leaves_disabled_and_invalid_keys_alone_and_clears_exhausted(api, sf):
    dead, off, broke = make_key("tickdead"), make_key("tickoff"), make_key("tickbroke")
    sf.set_key(dead, "invalid")
    sf.set_key(broke, "no_balance")
    ids = import_keys(api, [dead, off, broke])
    run_job(api, all=True)
    api.post("/api/keys/disable", json={"ids": [ids[off]]})
    sf.set_key(broke, "ok", balance="3")
    sf.reset_calls()
    assert tick(api)["refreshed"] == 1
    assert (sf.count(key=dead), sf.count(key=off), sf.count(key=broke)) == (0, 0, 1)
    item = api.get("/api/keys", params={"status": "valid"}).json()["items"]
    assert [(i["id"], i["balance"]) for i in item] == [(ids[broke], 3.0)]


def test_alerts_fire_once_per_crossing(api, sf, checker):
    keys = [make_key(f"alert{i}") for i in range(10)]
    set_balances(sf, keys, "10")
    import_keys(api, keys)
    with WebhookReceiver() as hook:
        secret_url = f"{hook.url}/hooks/SECRET-TOKEN-123"
        assert api.put("/api/settings", json={"alert_webhook_url": secret_url, "alert_min_total_balance": 50,
                                              "alert_min_valid_keys": 5}).status_code == 200
        assert tick(api)["alerts"] == []           # 100 in 10 valid keys: fine
        set_balances(sf, keys, "1")
        assert tick(api)["alerts"] == ["total_balance"]  # 10 < 50: crossed
        assert tick(api)["alerts"] == []           # still low: no second message
        assert tick(api)["alerts"] == []
        (post,) = hook.posts
        assert post["path"] == "/hooks/SECRET-TOKEN-123" and post["content_type"] == "application/json"
        message = post["json"]
        assert (message["event"], message["reason"], message["threshold"]) == ("pool_low", "total_balance", 50)
        assert (message["total_balance"], message["valid_keys"]) == (10.0, 10)

        set_balances(sf, keys, "10")
        assert tick(api)["alerts"] == []           # recovered: re-armed, nothing sent
        set_balances(sf, keys, "2")
        assert tick(api)["alerts"] == ["total_balance"]  # the second crossing
        assert len(hook.posts) == 2

        for key in keys[:7]:
            sf.set_key(key, "invalid")
        assert tick(api)["alerts"] == ["valid_keys"]  # 3 valid keys < 5
        assert hook.posts[-1]["json"]["reason"] == "valid_keys"
        assert hook.posts[-1]["json"]["valid_keys"] == 3
        assert len(hook.posts) == 3

        settings = api.get("/api/settings").json()
        assert not any(name.startswith("state.") for name in settings)  # alert state is not a setting
    assert "SECRET-TOKEN-123" not in checker.log()


def test_a_failing_webhook_never_breaks_the_tick_and_is_tried_a_few_times(api, sf, checker):
    keys = [make_key(f"hookfail{i}") for i in range(3)]
    set_balances(sf, keys, "1")
    import_keys(api, keys)
    with WebhookReceiver() as hook:
        hook.status = 500
        api.put("/api/settings", json={"alert_webhook_url": f"{hook.url}/x/TOKEN-456",
                                       "alert_min_total_balance": 100})
        for _ in range(5):
            assert tick(api)["alerts"] == []
        assert len(hook.posts) == 3  # a few tries per crossing, then quiet
    api.put("/api/settings", json={"alert_webhook_url": "http://127.0.0.1:9/nothing-listens"})
    assert tick(api)["refreshed"] == 3
    log = checker.log()
    assert "low-balance alert to 127.0.0.1 answered 500" in log and "TOKEN-456" not in log


def test_no_balance_alert_while_every_balance_is_unknown(api, sf):
    import_keys(api, [make_key(f"unknown{i}") for i in range(3)])
    sf.configure(user_info_gone=True)
    with WebhookReceiver() as hook:
        api.put("/api/settings", json={"alert_webhook_url": hook.url, "alert_min_total_balance": 5,
                                       "alert_min_valid_keys": 5})
        assert tick(api)["alerts"] == ["valid_keys"]  # 3 valid keys < 5; the unknown total is not 0 < 5
        assert [post["json"]["total_balance"] for post in hook.posts] == [None]


def test_alert_settings_are_validated(api):
    for values, message in [({"alert_webhook_url": "ftp://x"}, "http"), ({"alert_min_total_balance": "5"}, "number"),
                            ({"alert_min_valid_keys": -1}, "between"), ({"client_side_checking": 1}, "true or false")]:
        response = api.put("/api/settings", json=values)
        assert response.status_code == 400 and message in response.json()["error"]["message"], response.text
    ok = api.put("/api/settings", json={"alert_min_total_balance": 12.5, "client_side_checking": True}).json()
    assert (ok["alert_min_total_balance"], ok["client_side_checking"]) == (12.5, True)


def test_stats_show_unknown_balances_apart_and_the_trend(api, sf):
    rich, poor, dead = make_key("strich"), make_key("stpoor"), make_key("stdead")
    sf.set_key(rich, "ok", balance="20.5")
    sf.set_key(poor, "ok", balance="0.5")
    sf.set_key(dead, "invalid")
    import_keys(api, [rich, poor, dead, make_key("stnew")])
    run_job(api, ids=api.get("/api/keys/ids").json()["ids"][:3])
    stats = api.get("/api/stats", params={"range": "7d"}).json()
    assert stats["keys"] == {"total": 4, "valid": 2, "by_status": {
        "unchecked": 1, "valid": 2, "exhausted": 0, "invalid": 1, "disabled": 0}}
    balance = stats["balance"]
    assert (balance["known"], balance["unknown"]) == (2, 1)  # the unchecked key is unknown, not 0
    assert (balance["sum"], balance["avg"], balance["min"], balance["max"]) == (21.0, 10.5, 0.5, 20.5)
    buckets = {b["bucket"]: b["count"] for b in balance["distribution"]}  # valid keys' balances
    assert (buckets["0-1"], buckets["14-50"], sum(buckets.values())) == (1, 1, 2)
    assert stats["pool"] == {"total_balance": 21.0, "valid_keys": 2}
    assert stats["trend"]["range"] == "7d"
    assert stats["trend"]["points"][-1]["total_balance"] == 21.0
    assert stats["requests"]["window_s"] == 86400
    assert api.get("/api/stats", params={"range": "1y"}).status_code == 400
    assert api.get("/api/stats", params={"range": "all"}).json()["trend"]["points"]


def test_client_side_checking(api, sf):
    keys = [make_key(f"client{i}") for i in range(4)]
    ids = import_keys(api, keys)
    id_list = ",".join(str(ids[k]) for k in keys)
    assert api.get("/api/keys/check-targets", params={"ids": id_list}).status_code == 403  # off by default
    assert api.post("/api/keys/check-results", json=[]).status_code == 403
    api.put("/api/settings", json={"client_side_checking": True})

    targets = api.get("/api/keys/check-targets", params={"ids": id_list})
    assert targets.headers["cache-control"] == "no-store"
    body = targets.json()
    assert body["user_info_url"].endswith("/v1/user/info") and body["models_url"].endswith("/v1/models")
    assert [item["key"] for item in body["items"]] == keys  # unmasked: the browser calls SiliconFlow with them
    paged = api.get("/api/keys/check-targets", params={"limit": 3}).json()
    assert len(paged["items"]) == 3 and paged["next_after"] == ids[keys[2]]
    assert len(api.get("/api/keys/check-targets", params={"after": paged["next_after"]}).json()["items"]) == 1
    for bad in ({"limit": 0}, {"limit": -2}, {"after": -1}):
        assert api.get("/api/keys/check-targets", params=bad).status_code == 400

    # What a browser got from SiliconFlow, raw (here: from the fake, like a browser would).
    sf.set_key(keys[0], "ok", balance="13.9876")
    raw = sf_get(sf, keys[0], "/v1/user/info")
    results = [
        {"id": ids[keys[0]], "status": 200, "body": raw},
        {"id": ids[keys[1]], "status": 410, "body": '{"code":41000,"message":"gone"}'},
        {"id": ids[keys[2]], "status": 401, "body": '"Api key is invalid"'},
        {"id": ids[keys[3]], "status": 200, "body": "12.5"},           # a bare number is no answer
        {"id": 999999, "status": 200, "body": raw},                    # not our key
        {"id": ids[keys[0]], "status": 200, "body": raw},              # twice
        {"id": ids[keys[1]], "status": 503, "body": "x" * 70_000},     # too big
        {"id": "1", "status": 200, "body": raw},
    ]
    answer = api.post("/api/keys/check-results", json={"results": results}).json()
    assert answer["applied"] == 2
    assert {r["id"]: (r["status"], r["balance"]) for r in answer["results"]} == {
        ids[keys[0]]: ("valid", 13.9876), ids[keys[2]]: ("invalid", None)}
    assert answer["need_models"] == [ids[keys[1]]]
    assert [(r["index"], r["reason"].split()[0]) for r in answer["rejected"]] == [
        (3, "user/info"), (4, "unknown"), (5, "duplicate"), (6, "body"), (7, "id")]

    models = api.post("/api/keys/check-results", json=[
        {"id": ids[keys[1]], "status": 200, "endpoint": "models", "body": sf_get(sf, keys[1], "/v1/models")},
        {"id": ids[keys[3]], "status": 503, "body": '{"code":50505}'},
    ]).json()
    assert models["applied"] == 1 and models["retry"] == [ids[keys[3]]]
    listed = {i["id"]: i for i in api.get("/api/keys", params={"page_size": 10}).json()["items"]}
    assert (listed[ids[keys[0]]]["status"], listed[ids[keys[0]]]["balance"]) == ("valid", 13.9876)
    assert (listed[ids[keys[1]]]["status"], listed[ids[keys[1]]]["balance"]) == ("valid", None)
    assert listed[ids[keys[2]]]["status"] == "invalid"
    assert listed[ids[keys[3]]]["status"] == "unchecked"


def sf_get(sf, key: str, path: str) -> str:
    return httpx.get(sf.url + path, headers={"authorization": f"Bearer {key}"}).text


def test_the_periodic_task_refreshes_on_its_own(tmp_path, sf):
    sf.reset()
    server = LocalServerProcess(tmp_path, env={"UPSTREAM_BASE_URL": sf.url, "KEYPOOL_TICK_SECONDS": "0.2"}).start()
    try:
        with admin_client(server.url) as api:
            assert api.put("/api/settings", json={"check_on_import": False}).status_code == 200  # the tick's job
            import_keys(api, [make_key(f"periodic{i}") for i in range(30)])
            deadline = time.monotonic() + 30
            while api.get("/api/keys", params={"status": "unchecked"}).json()["total"]:
                assert time.monotonic() < deadline, "the periodic task did not check the keys"
                time.sleep(0.1)
            assert api.get("/api/stats").json()["trend"]["points"][-1]["valid_keys"] == 30
    finally:
        server.stop()


def test_cli_refresh_runs_one_tick(tmp_path, sf):
    sf.reset()
    keys = [make_key(f"cli{i}") for i in range(8)]
    sf.set_key(keys[0], "invalid")
    sf.set_key(keys[1], "ok", balance="13.9876")
    db = tmp_path / "cli.sqlite3"
    (tmp_path / "keys.txt").write_text("\n".join(keys))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "UPSTREAM_BASE_URL": sf.url}

    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "keypool", *args, "--db", str(db)], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    cli("import", str(tmp_path / "keys.txt"))
    summary = json.loads(cli("refresh").strip().splitlines()[-1])
    assert (summary["refreshed"], summary["calls"], summary["jobs"]) == (8, 8, [])
    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute("SELECT key, status || ':' || coalesce(balance, 'null') FROM keys"))
        day = conn.execute("SELECT valid_keys FROM balance_history WHERE key_id IS NULL").fetchall()
    assert rows[keys[0]] == "invalid:null" and rows[keys[1]] == "valid:13.9876"
    assert day == [(7,)]
