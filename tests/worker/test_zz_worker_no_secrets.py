"""After the Worker suites, no secret in the harness's log (the Worker's own output),
its request log or its audit trail (tests/integration/test_zz_no_secrets.py)."""

from __future__ import annotations

from integration.test_zz_no_secrets import leaks


def test_no_secret_in_the_worker_log(worker_harness):
    assert leaks(worker_harness.log()) == []


def test_no_secret_in_the_request_log_or_the_audit_trail(worker_harness):
    for table in ("request_logs", "request_logs_old", "audit_log"):
        rows = worker_harness.pyjson("worker_checks", "rows", f"SELECT * FROM {table}")
        assert leaks("\n".join(str(row) for row in rows)) == [], table
