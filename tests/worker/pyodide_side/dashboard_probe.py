"""D1's own `meta.rows_read` for admin API calls in the Worker (bench/dashboard_bench.py), inside
Pyodide (POST /__harness/pycall): the app is built as entry.py builds it, on a D1 binding wrapped
to add up the rows each statement read (first() is asked as all(), which keeps the meta)."""

from __future__ import annotations

import time

from pyodide.code import run_js

from keypool.adapters.d1 import D1Database
from keypool.adapters.webcrypto_kdf import WebCryptoKeyDerivation
from keypool.app import create_app
from keypool.http import Request
from keypool.settings import Settings

TOKEN = "dashboard-bench-admin-token"

COUNTING = run_js("""(db) => {
  const totals = { rows_read: 0, statements: 0, round_trips: 0 };
  const add = (meta) => { totals.rows_read += Number(meta && meta.rows_read) || 0; };
  const statement = (inner) => ({
    inner,
    bind: (...args) => statement(inner.bind(...args)),
    all: async () => { totals.statements++; totals.round_trips++; const r = await inner.all(); add(r.meta); return r; },
    first: async () => { totals.statements++; totals.round_trips++; const r = await inner.all(); add(r.meta);
                         return r.results.length ? r.results[0] : null; },
    run: async () => { totals.statements++; totals.round_trips++; const r = await inner.run(); add(r.meta); return r; },
  });
  const reset = () => { totals.rows_read = 0; totals.statements = 0; totals.round_trips = 0; };
  const wrapped = {
    prepare: (sql) => statement(db.prepare(sql)),
    batch: async (list) => {
      totals.round_trips++;
      totals.statements += list.length;
      const results = await db.batch(Array.from(list, (s) => s.inner));
      for (const r of results) add(r.meta);
      return results;
    },
  };
  return { db: wrapped, totals, reset };
}""")


class Clock:
    def now(self) -> float:
        return time.time()


async def rows_read(env, defer, paths):
    """Each path (with its query) as the admin asks it: rows read, statements, round trips, ms."""
    counting = COUNTING(env.DB)
    app = create_app(Settings(admin_token=TOKEN), D1Database(counting.db), None, None, Clock(),
                     WebCryptoKeyDerivation(), None)
    report = []
    for target in paths:
        path, _, query = target.partition("?")
        for attempt in ("cold", "warm"):  # cold: the sign-in state read too (kept for 5 s after)
            counting.reset()
            started = time.perf_counter()
            response = await app.handle(Request("GET", path, query, {"authorization": f"Bearer {TOKEN}"},
                                                client_ip="127.0.0.1", defer=defer))
            ms = (time.perf_counter() - started) * 1000
            assert response.status == 200, (target, response.status, response.body[:300])
            totals = counting.totals
            report.append({"path": target, "attempt": attempt, "rows_read": int(totals.rows_read),
                           "statements": int(totals.statements), "round_trips": int(totals.round_trips),
                           "ms": round(ms, 1), "bytes": len(response.body)})
    return report


async def scan_rows(env, defer, table):
    """The baseline: D1's rows read for one pass over a table."""
    counting = COUNTING(env.DB)
    await D1Database(counting.db).all(f"SELECT count(*) AS n FROM {table}")
    return int(counting.totals.rows_read)
