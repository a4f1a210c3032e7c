"""The usage and quota suite (tests/integration/test_proxy_usage.py), unchanged, against
the Worker in the offline harness (one isolate), plus D1 rows written per proxied
request in each `request_log` mode, from D1's own meta counts."""

from __future__ import annotations

import asyncio

import pytest

from integration import test_proxy_usage as local_suite
from support import make_key, rerun

rerun(local_suite, globals())

# Rows written per proxied request on a warm isolate: the free plan's 100,000 a day must
# serve 90,000 requests with every request logged.
ROW_BUDGET = {"all": 1.1, "sampled": 0.25, "errors": 0.1, "off": 0.1}


@pytest.mark.parametrize("mode", ROW_BUDGET)
def test_d1_rows_written_per_proxied_request(api, fake, worker_harness, mode):
    assert api.put("/api/settings", json={"request_log": mode, "request_log_sample_rate": 0.1,
                                          "log_flush_s": 5}).status_code == 200
    upstream = [make_key(f"rows{mode}{i}") for i in range(20)]
    api.post("/api/keys", json={"keys": upstream})
    keys = [local_suite.new_client(api)[1] for _ in range(4)]
    # Warm: client keys cached, and every upstream key has served once (unchecked -> valid is written once).
    assert set(asyncio.run(local_suite.hammer(worker_harness.url, keys, 6))) == {200}
    api.get("/api/settings")  # an admin request writes what waits
    before = worker_harness.d1_rows()
    statuses = asyncio.run(local_suite.hammer(worker_harness.url, keys, 100))
    assert statuses == [200] * 400
    api.get("/api/settings")
    after = worker_harness.d1_rows()
    written = (after["rows_written"] - before["rows_written"]) / 400
    assert written <= ROW_BUDGET[mode], written
    if mode == "all":
        assert written >= 1.0  # a log row per request: the count is real


def test_a_batch_of_logged_requests_writes_one_row_each_and_one_for_its_hour(api, fake, worker_harness):
    """Sequential requests within one write window: their log rows plus the hour's usage row,
    nothing else (no index on the log, no AUTOINCREMENT counter in sqlite_sequence)."""
    assert api.put("/api/settings", json={"request_log": "all", "log_flush_s": 10}).status_code == 200
    api.post("/api/keys", json={"keys": [make_key(f"batch{i}") for i in range(3)]})
    key = local_suite.new_client(api)[1]
    assert set(asyncio.run(local_suite.hammer(worker_harness.url, [key], 6))) == {200}  # warm, keys -> valid
    api.get("/api/settings")  # an admin request writes what waits
    before = worker_harness.d1_rows()
    assert asyncio.run(local_suite.hammer(worker_harness.url, [key], 20)) == [200] * 20
    api.get("/api/settings")
    after = worker_harness.d1_rows()
    assert after["rows_written"] - before["rows_written"] == 20 + 1
