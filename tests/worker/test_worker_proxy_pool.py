"""The dirty-pool suite (tests/integration/test_proxy_pool.py), unchanged, against the
Worker in the offline harness, plus what only the Worker has: the import's check runs
in its own invocation's waitUntil, within the free plan's subrequests."""

from __future__ import annotations

from integration import test_proxy_pool as local_suite
from support import make_key, rerun

rerun(local_suite, globals())

FREE_PLAN_SUBREQUESTS = 50


def test_an_imports_first_check_chunk_runs_in_its_own_waituntil(api, fake, worker_harness):
    """Five dead keys are invalid once the import's invocation is done: no tick, no poll."""
    assert api.put("/api/settings", json={"check_on_import": True}).status_code == 200
    dead = [make_key(f"wdead{i}") for i in range(5)]
    for key in dead:
        fake.set_key(key, "invalid")
    response = api.post("/api/keys", json={"keys": dead})
    stats = worker_harness.stats(response.headers["x-harness-invocation"])
    assert stats["error"] is None and stats["fetches"] == 5 <= FREE_PLAN_SUBREQUESTS, stats
    listed = api.get("/api/keys", params={"status": "invalid"}).json()
    assert listed["total"] == 5
    job = api.get(f"/api/jobs/{response.json()['job']}").json()
    assert (job["state"], job["invalid"]) == ("done", 5)
