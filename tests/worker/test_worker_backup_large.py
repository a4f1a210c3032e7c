"""100,000 keys backed up and restored on the Worker (Pyodide + Miniflare's
D1, through the harness), each within one invocation's D1 query limit, with
the times printed. The backup is read in pages while it streams; the restore
is one batch of chunked statements."""

from __future__ import annotations

import json
import time

import pytest

from integration.backup_support import WorkerPoolDB, restore
from integration.test_backup import pool  # noqa: F401  (settings put back afterwards)
from support import make_key

N = 100_000
D1_FREE_PLAN_QUERIES = 50  # per invocation; the paid plan allows 1,000


@pytest.fixture
def pool_db(worker_harness):
    return WorkerPoolDB(worker_harness)


def totals(db: WorkerPoolDB) -> dict:
    """The pool in a few numbers (comparing 100,000 rows one by one is left to the smaller suites)."""
    (keys,) = db.rows("SELECT count(*) AS n, count(DISTINCT key) AS distinct_keys, sum(enabled) AS enabled, "
                      "sum(request_count) AS requests, total(balance) AS balance, min(added_at) AS first, "
                      "group_concat(DISTINCT status) AS statuses FROM keys")
    (history,) = db.rows("SELECT count(*) AS n, total(h.balance) AS balance FROM balance_history AS h "
                         "JOIN keys AS k ON k.id = h.key_id")
    (blocks,) = db.rows("SELECT count(*) AS n, total(until) AS until FROM key_blocks")
    return {"keys": keys, "history": history, "blocks": blocks}


def invocation(harness, response) -> dict:
    stats = harness.stats(response.headers["x-harness-invocation"])
    assert stats["done"] and stats["error"] is None, stats
    return stats


def test_100000_keys_back_up_and_restore_within_one_invocation_each(pool, pool_db, worker_harness, capsys):
    db = pool_db
    response = pool.post("/api/keys", json={"keys": [make_key(f"big{i}") for i in range(N)]})
    assert response.status_code == 200 and response.json()["added"] == N, response.text
    db.run("UPDATE keys SET status = CASE id % 4 WHEN 0 THEN 'valid' WHEN 1 THEN 'exhausted' WHEN 2 THEN 'invalid' "
           "ELSE 'unchecked' END, balance = CASE WHEN id % 4 = 0 THEN 14 - (id % 1000) * 0.0013 END, "
           "enabled = CASE WHEN id % 9 = 0 THEN 0 ELSE 1 END, checked_at = added_at + id % 5000, "
           "request_count = id % 17")
    db.run("INSERT INTO balance_history (ts, key_id, balance) SELECT added_at - 60, id, 14.0 FROM keys WHERE id % 3 = 0")
    db.run("INSERT INTO key_blocks (key_id, model, reason, until) SELECT id, 'deepseek-ai/DeepSeek-V3', "
           "'rate_limited', 1900000000.25 + id FROM keys WHERE id % 50 = 0")
    before = totals(db)

    started = time.monotonic()
    response = pool.get("/api/backup")
    backup_s = time.monotonic() - started
    assert response.status_code == 200
    stats = invocation(worker_harness, response)
    assert stats["d1_queries"] <= D1_FREE_PLAN_QUERIES, stats
    document = response.content
    end = json.loads(document[document.rindex(b'"end":') + 6:-2])
    assert end["keys"] == N and end["history"] == before["history"]["n"] and end["blocks"] == before["blocks"]["n"]

    assert pool.post("/api/keys/delete", json={"all": True}).json()["changed"] == N
    started = time.monotonic()
    response = pool.post("/api/restore", content=document)
    restore_s = time.monotonic() - started
    assert response.status_code == 200, response.text
    result = response.json()
    restored = invocation(worker_harness, response)
    assert restored["d1_queries"] <= D1_FREE_PLAN_QUERIES, restored
    assert result["statements"] <= D1_FREE_PLAN_QUERIES
    assert result["keys"] == {"added": N, "updated": 0, "unchanged": 0, "rejected": 0}
    assert totals(db) == before

    started = time.monotonic()
    again = restore(pool, document)  # twice: nothing changes
    again_s = time.monotonic() - started
    assert again["keys"] == {"added": 0, "updated": 0, "unchanged": N, "rejected": 0}
    assert again["history"]["added"] == 0 and again["blocks"]["added"] == again["blocks"]["updated"] == 0
    assert totals(db) == before
    second = pool.get("/api/backup").content
    assert second.split(b"\n", 1)[1] == document.split(b"\n", 1)[1]  # the same document, but for its date

    with capsys.disabled():
        print(f"\n[Worker harness] {N:,} keys: backup {len(document) / 1e6:.1f} MB in {backup_s:.1f}s "
              f"({stats['d1_queries']} D1 queries); restore in {restore_s:.1f}s ({restored['d1_queries']} D1 queries, "
              f"{result['statements']} statements, {result['ms'] / 1000:.1f}s in the batch); "
              f"restore again in {again_s:.1f}s")
