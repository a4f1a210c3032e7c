"""Adapter checks that run inside Pyodide, called by the Worker harness
(POST /__harness/pycall) as `function(env, defer, *args)`.

They drive the real Worker adapters against Miniflare's D1 and KV and real
loopback HTTP servers, and return JSON-able reports for
tests/worker/test_worker_adapters.py to assert on.
"""

from __future__ import annotations

import js

from keypool.adapters.d1 import D1Database, split_script
from keypool.adapters.js_fetch import JsFetchUpstream
from keypool.adapters.kv_assets import KVAssets
from keypool.ports import DatabaseError, UpstreamError

SECRET = "sk-secret-parameter-value"
OBSERVED: dict[str, dict] = {}


def _types(row: dict) -> dict[str, str]:
    return {name: type(value).__name__ for name, value in row.items()}


async def d1_roundtrip(env, defer):
    db = D1Database(env.DB)
    await db.script("""
-- a comment before the first statement; with a semicolon;
CREATE TABLE IF NOT EXISTS adapter_check (
  id    INTEGER PRIMARY KEY AUTOINCREMENT,
  n     INTEGER,
  r     REAL,
  s     TEXT NOT NULL,
  flag  INTEGER
);
-- a comment-only chunk;
DELETE FROM adapter_check;
""")
    first = await db.run("INSERT INTO adapter_check (n, r, s, flag) VALUES (?, ?, ?, ?)", (2**40, 2.5, "héllo", True))
    second = await db.run("INSERT INTO adapter_check (n, r, s, flag) VALUES (?, ?, ?, ?)", [None, 3.0, "x", False])
    rows = await db.all("SELECT id, n, r, s, flag FROM adapter_check ORDER BY id")
    one = await db.first("SELECT id, n, r, s, flag FROM adapter_check WHERE s = ?", ("x",))
    missing = await db.first("SELECT id FROM adapter_check WHERE s = ?", ("nobody",))
    count = await db.first("SELECT count(*) AS n FROM adapter_check")
    updated = await db.run("UPDATE adapter_check SET flag = 7")
    return {
        "run": [[first.changes, first.last_row_id], [second.changes, second.last_row_id]],
        "rows": rows,
        "types": [_types(row) for row in rows],
        "first": one,
        "missing": missing,
        "count": count,
        "count_type": type(count["n"]).__name__,
        "updated": updated.changes,
    }


async def d1_batch_is_atomic(env, defer):
    db = D1Database(env.DB)
    await db.run("DELETE FROM adapter_check")
    results = await db.batch([
        ("INSERT INTO adapter_check (s) VALUES (?)", ("a",)),
        ("INSERT INTO adapter_check (s) VALUES (?)", ("b",)),
    ])
    error = None
    try:
        await db.batch([
            ("INSERT INTO adapter_check (s) VALUES (?)", ("c",)),
            ("INSERT INTO adapter_check (s) VALUES (?)", (None,)),  # NOT NULL fails
        ])
    except DatabaseError as exc:
        error = str(exc)
    rows = await db.all("SELECT s FROM adapter_check ORDER BY id")
    return {"results": [[r.changes, r.last_row_id] for r in results], "error": error,
            "values": [row["s"] for row in rows], "empty": await db.batch([])}


async def d1_errors_name_the_statement_not_parameters(env, defer):
    db = D1Database(env.DB)
    messages = []
    for call in (
        lambda: db.all("SELECT * FROM no_such_table WHERE key = ?", (SECRET,)),
        lambda: db.first("SELECT nonsense FROM adapter_check WHERE s = ?", (SECRET,)),
        lambda: db.run("INSERT INTO adapter_check (s) VALUES (?)", (None,)),
        lambda: db.run("INSERT INTO adapter_check (s) VALUES (?)", ({"not": "bindable"},)),
        lambda: db.script("CREATE TABLE broken ("),
    ):
        try:
            await call()
            messages.append(None)
        except DatabaseError as exc:
            messages.append(str(exc))
    return {"messages": messages, "secret": SECRET}


async def script_split(env, defer, text):
    return split_script(text)


async def kv_assets(env, defer):
    # Under check/, to leave the admin UI the harness stored in KV alone.
    await env.STATIC_CONTENT.put("check/index.html", "<h1>hi</h1>")
    await env.STATIC_CONTENT.put("check/js/app.js", "console.log(1)")
    await env.STATIC_CONTENT.put("check/img/dot.png", js.Uint8Array.new([137, 80, 78, 71, 0, 255]))
    assets = KVAssets(env.STATIC_CONTENT)
    report = {}
    for path in ("check/index.html", "/check/js/app.js", "check/img/dot.png", "check/nope.css",
                 "check/../check/index.html", "check/js/../index.html", "", "check/js/"):
        asset = await assets.get(path)
        report[path] = None if asset is None else {"body": list(asset.body), "type": asset.content_type}
    return report


async def fetch_echo(env, defer, base):
    upstream = JsFetchUpstream()
    response = await upstream.send("POST", f"{base}/echo?a=1&b=2",
                                   [("content-type", "application/json"), ("x-custom", "v1"),
                                    ("authorization", "Bearer sk-upstream")],
                                   b'{"hello": "w\xc3\xb6rld"}', 10)
    body = await response.read()
    bounded = await (await upstream.send("GET", f"{base}/bytes?n=100000", [], None, 10)).read(1000)
    chunked = await (await upstream.send("GET", f"{base}/sse?n=50", [], None, 10)).read(64)
    redirect = await upstream.send("GET", f"{base}/redirect", [], None, 10)
    status = await upstream.send("GET", f"{base}/status/503", [], None, 10)
    status_body = await status.read()
    closed = await upstream.send("GET", f"{base}/bytes?n=10", [], None, 10)
    await closed.close()
    return {
        "status": response.status,
        "headers": response.headers,
        "echo": js.JSON.parse(body.decode()).to_py(),
        "bounded": len(bounded),
        "chunked": len(chunked),
        "redirect": [redirect.status, dict(redirect.headers).get("location")],
        "status_503": [status.status, status_body.decode()],
    }


async def fetch_failures(env, defer, base, dead_url):
    upstream = JsFetchUpstream()
    report = {}
    for name, call in (
        ("timeout", lambda: upstream.send("GET", f"{base}/slow?s=3", [], None, 0.5)),
        ("refused", lambda: upstream.send("GET", dead_url, [], None, 5)),
    ):
        started = js.Date.now()
        try:
            await call()
            report[name] = None
        except UpstreamError as exc:
            report[name] = {"message": str(exc), "timeout": exc.timeout, "ms": js.Date.now() - started}
    return report


class Recorder:
    def __init__(self, token: str):
        self.token = token
        OBSERVED[token] = {"feeds": [], "finished": False, "error": None}

    def feed(self, chunk: bytes) -> None:
        OBSERVED[self.token]["feeds"].append(chunk.decode("utf-8", "replace"))

    def finish(self, error):
        OBSERVED[self.token]["finished"] = True
        OBSERVED[self.token]["error"] = error


async def relay(env, defer, url, token, observe, sse, use_defer):
    """Answers with the relayed upstream body, as the proxy would."""
    upstream = JsFetchUpstream()
    response = await upstream.send("GET", url, [], None, 10, defer=defer if use_defer else None)
    observer = Recorder(token) if observe else None
    body = response.relay(observer, sse)
    OBSERVED.setdefault(token, {})["body_type"] = type(body).__name__ if isinstance(body, bytes) else str(
        getattr(getattr(body, "constructor", None), "name", "?"))
    return js.Response.new(body, status=response.status, headers=js.Headers.new(response.headers))


async def observed(env, defer, token):
    return OBSERVED.get(token)


async def sql(env, defer, statement, params):
    """Test set-up straight into D1 (e.g. balances, which only checks write)."""
    result = await D1Database(env.DB).run(statement, params)
    return {"changes": result.changes}


async def rows(env, defer, statement, params=()):
    """Rows straight from D1 (what tests check the Worker stored)."""
    return await D1Database(env.DB).all(statement, params)


async def prune_logs(env, defer, now, retention_s, keep_rows):
    """The log's scheduled trim (store/logs.py), on D1: rows removed by DELETE."""
    from keypool.store.logs import LogStore

    return {"deleted": await LogStore(D1Database(env.DB)).prune(now, retention_s, keep_rows)}
