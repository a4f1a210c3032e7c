"""The local proxy suite (tests/integration/test_proxy.py), unchanged, against
the Worker in the offline harness: the /v1 behaviour must be the same in both
runtimes, so the same tests run on both. Tests that open the local SQLite file
directly are left out."""

from __future__ import annotations

from integration import test_proxy as local_suite
from support import rerun

# Reads the local server's SQLite file, which the Worker does not have.
rerun(local_suite, globals(), skip={"test_client_key_is_shown_once_and_stored_hashed"})


def test_a_warm_isolate_reads_nothing_from_d1_per_proxied_request(api, fake, worker_harness):
    """The pool, settings and client keys come from the isolate's cache; the writes wait
    in the isolate and go out as one batch per flush window (the first request's waitUntil)."""
    assert api.put("/api/settings", json={"log_flush_s": 4}).status_code == 200
    local_suite.add_keys(api, fake, "ok", "ok")
    client = local_suite.sdk(worker_harness, local_suite.client_key(api))
    first = client.chat.completions.with_raw_response.create(model=local_suite.MODEL, messages=[])
    assert 1 <= worker_harness.stats(first.headers["x-harness-invocation"])["d1_reads"] <= 2  # pool + client key
    invocations = []
    for _ in range(20):
        raw = client.chat.completions.with_raw_response.create(model=local_suite.MODEL, messages=[])
        invocations.append(raw.headers["x-harness-invocation"])
    stats = [worker_harness.stats(invocation) for invocation in invocations]  # waits for the window's write
    assert [(s["d1_reads"], s["fetches"]) for s in stats] == [(0, 1)] * 20, stats
    assert [s["d1_writes"] for s in stats] == [1] + [0] * 19  # one batch, written by the window's opener
    logs = api.get("/api/logs", params={"client_key_id": local_suite._created_ids[-1]}).json()
    assert logs["total"] == 21
