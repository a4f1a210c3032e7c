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
    """The pool, settings and client keys come from the isolate's cache; the one
    write is the deferred request-log batch."""
    local_suite.add_keys(api, fake, "ok", "ok")
    client = local_suite.sdk(worker_harness, local_suite.client_key(api))
    first = client.chat.completions.with_raw_response.create(model=local_suite.MODEL, messages=[])
    assert 1 <= worker_harness.stats(first.headers["x-harness-invocation"])["d1_reads"] <= 2  # pool + client key
    for _ in range(20):
        raw = client.chat.completions.with_raw_response.create(model=local_suite.MODEL, messages=[])
        stats = worker_harness.stats(raw.headers["x-harness-invocation"])
        assert (stats["d1_reads"], stats["d1_writes"]) == (0, 1), stats
        assert stats["fetches"] == 1, stats
