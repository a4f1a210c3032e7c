"""Set-up for the dashboard and request-log suites: rows written straight into the database
(request logs at chosen times, keys in chosen states, daily pool totals), in the local
server's SQLite file or, when the suite runs on the Worker, in Miniflare's D1 through the
Worker's own adapter. Only what the API cannot do itself: it never back-dates a request.

Log rows are added up into the hourly usage rows too, by the app's own code (core.tally,
store.usage), exactly as the request recorder does after each batch: the dashboard reads
those, the logs page reads the log."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Sequence

import pytest

from keypool.core.tally import Tally
from keypool.store.logs import LOG_FIELDS, LogStore
from keypool.store.usage import UsageStore, hour_of


class Writer:
    def __init__(self, server: Any):
        self.server = server

    def sql(self, statement: str, params: Sequence[Any] = ()) -> int:
        if hasattr(self.server, "pyjson"):  # the Worker harness
            return self.server.pyjson("worker_checks", "sql", statement, list(params))["changes"]
        with sqlite3.connect(self.server.db_path) as conn:
            return conn.execute(statement, list(params)).rowcount

    def logs(self, rows: Sequence[dict[str, Any]]) -> None:
        """Request-log rows; unset columns take a plain successful chat request's values."""
        plain = {"method": "POST", "endpoint": "/v1/chat/completions", "stream": 0, "status": 200, "latency_ms": 10.0,
                 "ttfb_ms": 5.0, "attempts": 1}
        values = [[{**plain, **row}.get(name) for name in LOG_FIELDS] for row in rows]
        assert self.sql(*LogStore.insert_statement(values)) == len(rows)  # numbered as the recorder numbers them
        tallies: dict[int, Tally] = {}
        for row in rows:
            entry = {**plain, "charged": True, **row}
            tallies.setdefault(hour_of(entry["ts"]), Tally()).add(entry)
        for hour, tally in tallies.items():
            self.sql(*UsageStore.add_statement(hour, tally))

    def no_usage(self) -> None:
        """Hourly usage rows gone (their usage folded into the totals first, so none is lost):
        the dashboard then sees only what the test writes."""
        for statement in UsageStore.fold_statements(0):
            self.sql(*statement)
        self.sql("DELETE FROM usage_hours")

    def key_state(self, key: str, status: str, balance: float | None, enabled: bool = True) -> None:
        assert self.sql("UPDATE keys SET status = ?, balance = ?, enabled = ?, checked_at = 1 WHERE key = ?",
                        [status, balance, int(enabled), key]) == 1

    def pool_days(self, days: dict[str, tuple[float | None, int]]) -> None:
        """Daily pool totals (day -> (total balance, valid keys)), as the balance refresh writes them."""
        self.sql("DELETE FROM balance_history WHERE key_id IS NULL")
        rows = [[day, total, valid] for day, (total, valid) in days.items()]
        self.sql("INSERT INTO balance_history (ts, key_id, balance, valid_keys, day) "
                 "SELECT 1, NULL, value ->> 1, value ->> 2, value ->> 0 FROM json_each(?)", [json.dumps(rows)])


@pytest.fixture
def write(local_server) -> Writer:
    writer = Writer(local_server)
    writer.no_usage()
    return writer
