"""The request log's API on the Worker (offline harness, Miniflare's D1): the local suite
(tests/integration/test_logs_api.py) unchanged."""

from __future__ import annotations

from integration import test_logs_api as local_suite
from integration.test_logs_api import logged  # noqa: F401  (the suite's fixture)
from integration.stats_support import write  # noqa: F401
from support import rerun

rerun(local_suite, globals())


def test_old_log_rows_leave_without_a_row_written_each(worker_harness):
    """D1 bills a row written per row a DELETE removes and none for DROP TABLE: the log's
    rotation lets 1,000 old rows go for a few dozen rows written at most (a DELETE would bill 1,000)."""
    import time

    from integration.test_log_retention import log_rows
    from keypool.store.logs import LogStore

    now = time.time()
    worker_harness.pyjson("worker_checks", "sql", "DELETE FROM request_logs_old", [])
    for _ in range(2):  # 2 x 1,000 rows, each half of log_max_rows 2,000: a rotation after each
        worker_harness.pyjson("worker_checks", "sql", *LogStore.insert_statement(log_rows(1000, now - 60)))
        before = worker_harness.d1_rows()
        assert worker_harness.pyjson("worker_checks", "prune_logs", now, 30 * 86400, 2000) == {"deleted": 0}
        written = worker_harness.d1_rows()["rows_written"] - before["rows_written"]
        assert written <= 32, written  # the schema rows the DROP, RENAME and CREATE rewrite (16 measured)
    rows = worker_harness.pyjson("worker_checks", "rows", "SELECT count(*) AS n FROM request_logs_old")
    assert rows == [{"n": 1000}]  # the second rotation dropped the first 1,000
