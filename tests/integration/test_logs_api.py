"""The request log's API as the logs page uses it: every filter (time range, status, errors only,
model, error class, upstream key by id, text, part or masked form, client key), the names and
masked keys on each row, the CSV export of the filtered rows in parts, and clearing (audited).
tests/worker/test_worker_logs_api.py runs the same tests on the Worker."""

from __future__ import annotations

import csv
import io
import time

import pytest

from integration.stats_support import write  # noqa: F401  (fixture)

HOUR = 3600


@pytest.fixture
def logged(api, write):
    """Twelve requests over three days, by two client keys through three upstream keys."""
    api.delete("/api/logs")
    keys = [f"sk-{i}log{'y' * 41}{i:03d}" for i in range(3)]  # told apart by their masked forms too
    api.post("/api/keys", json={"keys": keys})
    ids = dict(zip(keys, api.get("/api/keys/ids").json()["ids"]))
    laptop = api.post("/api/client-keys", json={"name": "laptop"}).json()
    friend = api.post("/api/client-keys", json={"name": "friend's phone"}).json()
    now = time.time()
    rows = []
    for i in range(12):
        rows.append({
            "ts": now - i * 6 * HOUR, "client_key_id": (laptop if i % 2 else friend)["id"], "key_id": ids[keys[i % 3]],
            "model": ("deepseek-ai/DeepSeek-V3", "Qwen/Qwen2.5-7B-Instruct", "=HYPERLINK(\"x\")")[i % 3],
            "status": (200, 200, 429, 200, 503, 200)[i % 6],
            "error_class": {2: "rate_limited", 4: "upstream_error"}.get(i % 6),
            "prompt_tokens": i, "completion_tokens": 2 * i, "stream": i % 2,
        })
    write.logs(rows[::-1])  # oldest first, as the proxy writes them: ids grow with time
    return {"keys": keys, "ids": ids, "laptop": laptop, "friend": friend, "now": now, "rows": rows}


def listed(api, **params) -> list[dict]:
    body = api.get("/api/logs", params={"page_size": 500, **params}).json()
    assert body["total"] == len(body["items"]), body
    return body["items"]


def expected(logged, keep) -> list[float]:
    """The timestamps of the rows `keep(i, row)` picks, newest first (as the API lists them; row i is i * 6 h old)."""
    return [round(row["ts"], 3) for i, row in enumerate(logged["rows"]) if keep(i, row)]


def stamps(items) -> list[float]:
    return [round(item["ts"], 3) for item in items]


def test_rows_carry_the_client_name_and_the_masked_upstream_key(api, logged):
    items = listed(api)
    assert stamps(items) == expected(logged, lambda i, row: True)
    first, key = items[0], logged["keys"][0]
    assert (first["client_name"], first["upstream_key"]) == ("friend's phone", f"{key[:7]}...{key[-4:]}")
    assert first["client_key_id"] == logged["friend"]["id"] and first["key_id"] == logged["ids"][key]
    text = str(api.get("/api/logs").json())
    assert not any(k in text for k in logged["keys"])


def test_each_filter_narrows_to_its_rows(api, logged):
    now, ids, keys = logged["now"], logged["ids"], logged["keys"]
    cases = [
        ({"since": int(now - 25 * HOUR)}, lambda i, row: row["ts"] >= int(now - 25 * HOUR)),
        ({"since": int(now - 50 * HOUR), "until": int(now - 20 * HOUR)},
         lambda i, row: int(now - 50 * HOUR) <= row["ts"] < int(now - 20 * HOUR)),
        ({"errors": 1}, lambda i, row: row["status"] >= 400),
        ({"status": 429}, lambda i, row: row["status"] == 429),
        ({"error_class": "upstream_error"}, lambda i, row: row["error_class"] == "upstream_error"),
        ({"model": "Qwen/Qwen2.5-7B-Instruct"}, lambda i, row: i % 3 == 1),
        ({"client_key_id": logged["laptop"]["id"]}, lambda i, row: i % 2 == 1),
        ({"key_id": ids[keys[2]]}, lambda i, row: i % 3 == 2),
        ({"key": keys[1]}, lambda i, row: i % 3 == 1),                              # the whole key
        ({"key": keys[1][3:12]}, lambda i, row: i % 3 == 1),                         # a part of it
        ({"key": f"{keys[2][:7]}...{keys[2][-4:]}"}, lambda i, row: i % 3 == 2),  # masked, as shown
        ({"key": "sk-no_such%key"}, lambda i, row: False),                           # wildcards are plain text
        ({"errors": 1, "client_key_id": logged["friend"]["id"], "since": int(now - 30 * HOUR)},
         lambda i, row: row["status"] >= 400 and i % 2 == 0 and row["ts"] >= int(now - 30 * HOUR)),
    ]
    for params, keep in cases:
        assert stamps(listed(api, **params)) == expected(logged, keep), params


def test_pages_and_totals(api, logged):
    page = api.get("/api/logs", params={"page": 2, "page_size": 5, "errors": 1}).json()
    assert (page["total"], page["page"], page["page_size"]) == (4, 2, 5) and page["items"] == []
    first = api.get("/api/logs", params={"page": 1, "page_size": 5}).json()
    second = api.get("/api/logs", params={"page": 2, "page_size": 5}).json()
    assert first["total"] == second["total"] == 12
    assert stamps(first["items"] + second["items"]) == expected(logged, lambda i, row: i < 10)


def read_parts(api, params, limit):
    parts, before = [], None
    while True:
        response = api.get("/api/logs/export", params={**params, "limit": limit, **({"before": before} if before else {})})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"].startswith('attachment; filename="keypool-requests-')
        parts.append(response.text)
        before = response.headers.get("x-logs-next-before")
        if not before:
            return parts


def test_the_csv_holds_every_filtered_row_in_parts(api, logged):
    params = {"since": int(logged["now"] - 40 * HOUR)}
    parts = read_parts(api, params, limit=2)
    want = listed(api, **params)
    assert len(want) == 7 and len(parts) == 4  # 2 + 2 + 2 + 1
    assert parts[0].startswith("\ufeffid,time,client_key,") and not any(p.startswith(("\ufeff", "id,")) for p in parts[1:])
    rows = list(csv.DictReader(io.StringIO("".join(parts).lstrip("\ufeff"))))
    assert [int(row["id"]) for row in rows] == [item["id"] for item in want]
    first, item = rows[0], want[0]
    assert (first["client_key"], first["upstream_key"], first["status"], first["model"]) == (
        item["client_name"], item["upstream_key"], str(item["status"]), item["model"])
    assert first["time"].endswith("Z") and first["prompt_tokens"] == str(item["prompt_tokens"])
    formula = [row["model"] for row in rows if "HYPERLINK" in row["model"]]
    assert formula and all(model.startswith("'=") for model in formula)  # never run as a spreadsheet formula
    text = "".join(parts)
    assert not any(key in text for key in logged["keys"])
    one = read_parts(api, {"errors": 1}, limit=1000)
    assert len(one) == 1 and len(list(csv.DictReader(io.StringIO(one[0].lstrip("\ufeff"))))) == 4


@pytest.mark.parametrize("params", [{"since": "yesterday"}, {"until": "-5"}, {"key": "x" * 301}, {"limit": "0"},
                                    {"limit": "10001"}, {"before": "-1"}, {"status": "99"}, {"client_key_id": "1e3"}])
def test_bad_filters_are_refused_with_a_message(api, params):
    for path in ("/api/logs", "/api/logs/export"):
        if path == "/api/logs" and ("limit" in params or "before" in params):
            continue
        response = api.get(path, params=params)
        assert response.status_code == 400, (path, params, response.text)
        assert response.json()["error"]["message"]


def test_clearing_the_log_is_in_the_audit_trail(api, logged):
    assert api.delete("/api/logs").json() == {"deleted": 12}
    assert api.get("/api/logs").json()["total"] == 0
    entry = api.get("/api/audit", params={"action": "logs.clear"}).json()["items"][0]
    assert (entry["action"], entry["count"]) == ("logs.clear", 12)
