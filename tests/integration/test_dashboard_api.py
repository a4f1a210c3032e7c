"""What the dashboard reads: GET /api/stats (keys per status, the valid keys' balance figures
with median, quartiles, outlier fence and bins, the latest keys, the last 24 h of requests, the
trend), GET /api/stats/trend (the period switch) and GET /api/stats/requests (requests and errors
over time, the top models, client keys and upstream keys). Figures are worked out by hand here.
tests/worker/test_worker_dashboard_api.py runs the same tests on the Worker."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from integration.stats_support import write  # noqa: F401  (fixture)
from support import make_key

HOUR, DAY = 3600, 86400
VALID_BALANCES = [0.5, 2, 3, 7, 12, 14, 14, 14, 30, 500]


@pytest.fixture
def pool(api, write):
    """Ten valid keys with the balances above, one valid key without a balance, two exhausted,
    one invalid, one unchecked and one disabled (with a balance): 16 keys."""
    api.delete("/api/logs")
    keys = {f"valid{i}": make_key(f"dash{i}valid") for i in range(len(VALID_BALANCES))}
    keys |= {name: make_key(f"dash{name}") for name in ("nobalance", "spent1", "spent2", "dead", "new", "off")}
    assert api.post("/api/keys", json={"keys": list(keys.values())}).json()["added"] == 16
    for i, balance in enumerate(VALID_BALANCES):
        write.key_state(keys[f"valid{i}"], "valid", balance)
    write.key_state(keys["nobalance"], "valid", None)
    write.key_state(keys["spent1"], "exhausted", 0)
    write.key_state(keys["spent2"], "exhausted", 0)
    write.key_state(keys["dead"], "invalid", None)
    write.key_state(keys["off"], "valid", 5, enabled=False)
    return keys


def test_stats_add_up_keys_and_the_valid_keys_balances(api, pool):
    stats = api.get("/api/stats").json()
    assert stats["keys"] == {"total": 16, "valid": 11, "by_status": {
        "valid": 11, "unchecked": 1, "exhausted": 2, "invalid": 1, "disabled": 1}}
    valid = stats["balance"]["valid"]
    # sorted: 0.5 2 [3] 7 12 | 14 14 [14] 30 500 -> Q1 3, median (12 + 14) / 2, Q3 14, fence 14 + 1.5 * 11
    assert valid == {"known": 10, "unknown": 1, "sum": 596.5, "avg": 59.65, "min": 0.5, "max": 500,
                     "q1": 3, "median": 13, "q3": 14, "upper_fence": 30.5, "outliers": 1}
    # usable keys (enabled, not invalid): 11 valid + 2 exhausted + 1 unchecked; unknown ones apart, never 0
    balance = stats["balance"]
    assert (balance["known"], balance["unknown"], balance["sum"], balance["min"]) == (12, 2, 596.5, 0)
    assert [(b["bucket"], b["count"], b["outliers"]) for b in balance["distribution"]] == [
        ("0-1", 1, 0), ("1-5", 2, 0), ("5-10", 1, 0), ("10-14", 4, 0), ("14-50", 1, 0), ("50-100", 0, 0),
        (">100", 1, 1)]
    assert stats["pool"] == {"total_balance": 596.5, "valid_keys": 11}


def test_the_outlier_fence_can_fall_inside_a_bin(api, write):
    keys = [make_key(f"fence{i}") for i in range(8)]
    api.post("/api/keys", json={"keys": keys})
    for key, balance in zip(keys, [1, 1, 1, 1, 2, 2, 2, 40]):
        write.key_state(key, "valid", balance)
    valid = api.get("/api/stats").json()["balance"]
    # sorted 1 [1] 1 1 2 2 [2] 40: Q1 1, Q3 2, fence 3.5; 40 is the only outlier, in the 14-50 bin
    assert (valid["valid"]["upper_fence"], valid["valid"]["outliers"]) == (3.5, 1)
    by_bin = {b["bucket"]: (b["count"], b["outliers"]) for b in valid["distribution"]}
    assert by_bin["1-5"] == (3, 0) and by_bin["14-50"] == (1, 1) and by_bin["0-1"] == (4, 0)


def test_latest_keys_are_masked_newest_first(api, pool):
    latest = api.get("/api/stats").json()["latest_keys"]
    assert [item["key"] for item in latest] == [f"{pool[n][:7]}...{pool[n][-4:]}"
                                                for n in ("off", "new", "dead", "spent2", "spent1", "nobalance")]
    assert [item["status"] for item in latest][:3] == ["disabled", "unchecked", "invalid"]
    assert not any(key in str(latest) for key in pool.values())


def test_with_no_balance_known_the_figures_are_unknown_not_zero(api, write):
    keys = [make_key(f"unknown{i}") for i in range(3)]
    api.post("/api/keys", json={"keys": keys})
    for key in keys:
        write.key_state(key, "valid", None)
    stats = api.get("/api/stats").json()
    valid = stats["balance"]["valid"]
    assert valid == {"known": 0, "unknown": 3, "sum": None, "avg": None, "min": None, "max": None, "q1": None,
                     "median": None, "q3": None, "upper_fence": None, "outliers": 0}
    assert all(b["count"] == 0 for b in stats["balance"]["distribution"])
    assert stats["pool"]["total_balance"] is None


def _days(n: int) -> list[str]:
    today = datetime.now(timezone.utc).date()
    return [(today - timedelta(days=i)).isoformat() for i in range(n - 1, -1, -1)]


def test_the_trend_period_really_filters(api, write):
    days = _days(40)
    totals = {day: (100.0 + i, 10) for i, day in enumerate(days)}
    totals[days[-3]] = (5000.0, 10)  # an outlier day
    write.pool_days(totals)
    for span, n in (("7d", 7), ("30d", 30), ("all", 40)):
        trend = api.get("/api/stats/trend", params={"range": span}).json()
        assert trend["range"] == span and [p["day"] for p in trend["points"]] == days[-n:]
    assert api.get("/api/stats", params={"range": "7d"}).json()["trend"]["points"][0]["day"] == days[-7]
    week = api.get("/api/stats/trend", params={"range": "7d"}).json()
    values = sorted(p["total_balance"] for p in week["points"])  # 133 134 135 136 137 139 5000
    assert week["upper_fence"] == values[5] + 1.5 * (values[5] - values[1])
    assert api.get("/api/stats/trend", params={"range": "1y"}).status_code == 400


@pytest.fixture
def requests_logged(api, pool, write):
    """Logged requests at known times: two 30 min ago (one an error), one 5 h ago, one 3 days
    ago, one 10 days ago and one 40 days ago; models, client keys and upstream keys vary."""
    client = api.post("/api/client-keys", json={"name": "dash <b>client</b>"}).json()
    other = api.post("/api/client-keys", json={"name": "dash other"}).json()
    ids = {key: i for i, key in zip(api.get("/api/keys/ids").json()["ids"], pool.values())}
    k1, k2 = ids[pool["valid0"]], ids[pool["valid1"]]
    now = time.time()
    rows = [
        {"ts": now - 1800, "model": "model-a", "client_key_id": client["id"], "key_id": k1, "prompt_tokens": 10,
         "completion_tokens": 5, "latency_ms": 100.0, "ttfb_ms": 40.0},
        {"ts": now - 1700, "model": "model-a", "client_key_id": client["id"], "key_id": k2, "status": 503,
         "error_class": "upstream_error", "latency_ms": 300.0, "ttfb_ms": None},
        {"ts": now - 5 * HOUR, "model": "model-b", "client_key_id": other["id"], "key_id": k1, "prompt_tokens": 1,
         "completion_tokens": 1, "latency_ms": 200.0, "ttfb_ms": 60.0},
        {"ts": now - 3 * DAY, "model": "model-a", "client_key_id": client["id"], "key_id": k1},
        {"ts": now - 10 * DAY, "model": "model-c", "client_key_id": other["id"], "key_id": k2},
        {"ts": now - 40 * DAY, "model": "model-a", "client_key_id": client["id"], "key_id": k1},
    ]
    write.logs(rows)
    return {"rows": rows, "client": client, "other": other, "k1": k1, "k2": k2, "now": now}


def test_the_last_24_hours_of_requests(api, requests_logged):
    day = api.get("/api/stats").json()["requests"]
    assert day == {"window_s": DAY, "count": 3, "errors": 1, "success_rate": 0.6667, "prompt_tokens": 11,
                   "completion_tokens": 6, "tokens": 17, "avg_latency_ms": 200.0, "avg_ttfb_ms": 50.0}


def test_requests_over_24_hours_are_hourly_and_zero_filled(api, requests_logged):
    chart = api.get("/api/stats/requests", params={"range": "24h"}).json()
    assert (chart["range"], chart["step_s"], len(chart["series"])) == ("24h", HOUR, 24)
    points = chart["series"]
    assert [p["t"] - points[0]["t"] for p in points] == [i * HOUR for i in range(24)]
    assert points[-1]["t"] <= time.time() < points[-1]["t"] + HOUR  # the last bucket is this hour
    by_hour = {p["t"]: p for p in points}
    for row in requests_logged["rows"][:3]:
        assert int(row["ts"] // HOUR * HOUR) in by_hour
    assert sum(p["requests"] for p in points) == 3 and sum(p["errors"] for p in points) == 1
    assert sum(p["tokens"] for p in points) == 17
    assert sorted(p["requests"] for p in points if p["requests"]) in ([1, 2], [1, 1, 1])  # 30 min ago: 1 or 2 hours


def test_requests_over_7_and_30_days_are_daily_with_the_top_lists(api, pool, requests_logged):
    week = api.get("/api/stats/requests", params={"range": "7d"}).json()
    assert (week["step_s"], len(week["series"]), sum(p["requests"] for p in week["series"])) == (DAY, 7, 4)
    month = api.get("/api/stats/requests", params={"range": "30d"}).json()
    assert (len(month["series"]), sum(p["requests"] for p in month["series"])) == (30, 5)
    assert [(m["model"], m["requests"], m["errors"]) for m in month["models"]] == [
        ("model-a", 3, 1), ("model-b", 1, 0), ("model-c", 1, 0)]
    client, other = requests_logged["client"], requests_logged["other"]
    assert [(c["id"], c["name"], c["requests"]) for c in month["clients"]] == [
        (client["id"], "dash <b>client</b>", 3), (other["id"], "dash other", 2)]
    # The upstream keys are always those of the last 24 h (an hour's usage row names every key that
    # served in it; 30 days of them would be read entry by entry): k1 twice (30 min and 5 h ago), k2 once.
    assert [(k["id"], k["requests"], k["errors"]) for k in month["keys"]] == [
        (requests_logged["k1"], 2, 0), (requests_logged["k2"], 1, 1)]
    assert week["keys"] == month["keys"]
    assert month["keys"][0]["key"] == f"{pool['valid0'][:7]}...{pool['valid0'][-4:]}"
    assert not any(key in str(month) for key in pool.values())


def test_days_start_at_the_browsers_midnight(api, requests_logged):
    for tz in (0, 480, -300):
        chart = api.get("/api/stats/requests", params={"range": "7d", "tz": tz}).json()
        assert (chart["since"] + tz * 60) % DAY == 0
        assert sum(p["requests"] for p in chart["series"]) == 4  # 6 whole days and today, wherever they start
    hourly = api.get("/api/stats/requests", params={"range": "24h", "tz": 330}).json()
    assert hourly["since"] % HOUR == 0  # hours stay whole hours


@pytest.mark.parametrize("params", [{"range": "1y"}, {"range": ""}, {"tz": "x"}, {"tz": "9999"}])
def test_bad_request_chart_parameters_are_refused(api, params):
    response = api.get("/api/stats/requests", params=params)
    if params == {"range": ""}:  # empty: the default period
        assert response.status_code == 200 and response.json()["range"] == "24h"
        return
    assert response.status_code == 400 and response.json()["error"]["message"]
