"""What the keys page needs from the API, on the Worker (offline harness): the local suite
(tests/integration/test_keys_ui_api.py) unchanged, and a 100k import the way the page sends it."""

from __future__ import annotations

import time

from integration import test_keys_ui_api as local_suite
from support import rerun

rerun(local_suite, globals())


def test_100k_keys_in_the_uis_chunks(api):
    """What the keys page sends for a 100,000-key import: 50 requests of 2,000 lines, each a small
    invocation, summed exactly (a key repeated in a later chunk is a duplicate there)."""
    keys = [f"sk-{i:06d}{'w' * 42}" for i in range(100_000)]
    lines = keys + keys[:3] + ["sk-bad"]
    totals = {"added": 0, "duplicates": 0, "invalid": 0}
    started = time.monotonic()
    for start in range(0, len(lines), 2000):
        answer = api.post("/api/keys", json={"keys": "\n".join(lines[start:start + 2000])}).json()
        for name in totals:
            totals[name] += answer[name]
    print(f"\n[worker harness] 100k keys in 2,000-line requests: {time.monotonic() - started:.1f}s")
    assert totals == {"added": 100_000, "duplicates": 3, "invalid": 1}
    assert api.get("/api/keys", params={"page_size": 1}).json()["total"] == 100_000
