"""The admin UI served by the Worker from the STATIC_CONTENT KV namespace (through the offline
harness, Miniflare's real KV): the local suite (tests/integration/test_pages.py) unchanged, plus
the isolate's cache of KV reads."""

from __future__ import annotations

from integration import test_pages as local_suite
from support import rerun

rerun(local_suite, globals())


def test_kv_assets_use_the_stored_etag_and_cache_reads_for_a_short_ttl(worker_harness):
    """KV reads are billed: an isolate keeps what it read for ttl_s (misses too, within a cap), so a
    file changed by deploy-static.sh shows after at most that long; its ETag is the one stored with it."""
    report = worker_harness.pyjson("static_checks", "kv_cache_and_metadata")
    assert report["first"] == ["one", "0123abcd", "text/javascript; charset=utf-8"]
    assert report["plain_etag"] is None and report["miss"] is True  # no metadata: pages.py hashes the body
    assert report["within_ttl"] == ["one", "0123abcd", True]
    assert report["after_ttl"] == ["two", "4567ef00", "late"]
    assert report["entries"] <= report["cap"]
