"""The admin key API of the Worker, over real HTTP through the offline harness
(Pyodide + Miniflare's D1): the local suite (tests/integration/test_keys_api.py)
unchanged, plus what only the Worker has (subrequest counts, the cron handler)."""

from __future__ import annotations

from integration import test_keys_api as local_suite
from integration.test_keys_api import make_keys
from support import rerun

rerun(local_suite, globals())


def test_admin_calls_make_no_outbound_subrequests(api, worker_harness):
    api.post("/api/keys", json={"keys": make_keys(3)})
    for response in (api.get("/api/keys"), api.get("/api/keys/export"), api.post("/api/keys/disable", json={"all": True})):
        assert response.status_code == 200
        assert worker_harness.stats(response.headers["x-harness-invocation"])["fetches"] == 0


def test_cron_handler_runs(api, worker_harness):
    result = worker_harness.scheduled()
    assert result["http_status"] == 200, result
    assert result["ok"] is True and result["error"] is None
