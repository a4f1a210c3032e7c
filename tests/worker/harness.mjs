// Offline harness for the Python Worker: Pyodide 0.28.2 (the interpreter
// workerd runs) + Miniflare's real D1 and KV, driven over HTTP.
//
// Configuration comes as JSON in KEYPOOL_HARNESS_CONFIG:
//   {srcDir, sdkDir, migrationsDir, staticDir?, pyTestsDir?, env: {VAR: "value"}, port?: 0,
//    requestSignal?: false, entryDir?, deferImport?: false}
// entryDir: a folder whose entry.py is the Worker instead of srcDir's (a bare Worker, for
// the cold-start benchmark). deferImport: import the entry module in the first invocation,
// as a fresh isolate does, instead of before READY.
// requestSignal mirrors workerd's `enable_request_signal` compatibility flag:
// the incoming request's `signal` is aborted when the client disconnects.
// It prints "READY <port>" on stdout once the Worker can take requests;
// everything else (Python's output included) goes to stderr. It exits when
// stdin closes or on SIGTERM.
//
// Every request to the port is turned into a real `Request` and handed to
// `Default(ctx, env).fetch(request)`, like workerd does, and the `Response` is
// streamed back. Harness routes live under /__harness/:
//   GET  /__harness/scheduled?cron=...  run Default.scheduled(controller)
//   GET  /__harness/stats?id=N          outbound fetches, D1 round trips and D1 rows read/written
//                                       (D1's meta) of invocation N (waits until its response and
//                                       waitUntil work end); without id: the latest invocation
//   GET  /__harness/d1rows              D1 rows read and written since the harness started
//   GET  /__harness/timings             ms spent loading Pyodide and importing the entry module
//   POST /__harness/d1                  {statements: [[sql, params], ...]}: run them as one D1 batch
//                                       from JS (set-up that must not warm Python's modules)
//   PUT  /__harness/kv/<key>            put the body into STATIC_CONTENT
//   POST /__harness/pycall              {module, function, args, clientSignal?}: await
//                                       module.function(env, defer, *args) from
//                                       pyTestsDir inside an invocation (for adapter
//                                       tests); clientSignal: set js_fetch.client_signal
//                                       to a signal aborted when the client disconnects
// Each Worker response carries `x-harness-invocation: N`.
// Outbound fetch is only allowed to loopback addresses.

import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { once } from "node:events";
import { Readable } from "node:stream";
import { AsyncLocalStorage } from "node:async_hooks";
import { loadPyodide } from "pyodide";
import { Miniflare } from "miniflare";

const config = JSON.parse(process.env.KEYPOOL_HARNESS_CONFIG || "{}");
for (const key of ["srcDir", "sdkDir", "migrationsDir"]) {
  if (!config[key]) fail(`KEYPOOL_HARNESS_CONFIG needs ${key}`);
}

function log(...args) {
  process.stderr.write(`[harness] ${args.join(" ")}\n`);
}

function describe(err) {
  // Pyodide errors carry a Python traceback in .message; never dump the asm.js source line.
  if (err && typeof err === "object") return `${err.name || "Error"}: ${err.message}`;
  return String(err);
}

function fail(message) {
  process.stderr.write(`[harness] fatal: ${message}\n`);
  process.exit(1);
}

process.on("unhandledRejection", (err) => log("unhandled rejection:", describe(err)));

// ---- outbound fetch: loopback only, counted per invocation ----------------

const invocationScope = new AsyncLocalStorage();
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
const realFetch = globalThis.fetch;
let unattributedFetches = 0;

// D1 round trips per invocation: a batch of SELECTs is one read, anything else
// one write; `d1Queries` counts statements (the plans cap them per invocation).
function countD1(sqls) {
  const invocation = invocationScope.getStore();
  if (!invocation) return;
  const read = sqls.every((sql) => /^\s*SELECT\b/i.test(sql));
  invocation[read ? "d1Reads" : "d1Writes"] += 1;
  invocation.d1Queries += sqls.length;
}

// D1's own row counts (`meta.rows_read` / `meta.rows_written`, index writes included),
// which the free plan's daily quotas are measured in, per invocation and in total.
const d1Rows = { read: 0, written: 0 };
function countD1Rows(results) {
  let read = 0, written = 0;
  for (const result of results) {
    read += Number(result?.meta?.rows_read) || 0;
    written += Number(result?.meta?.rows_written) || 0;
  }
  d1Rows.read += read;
  d1Rows.written += written;
  const invocation = invocationScope.getStore();
  if (invocation) {
    invocation.d1RowsRead += read;
    invocation.d1RowsWritten += written;
  }
}

function countingD1(db) {
  const statements = new WeakMap();  // our statement proxy -> [Miniflare's statement, its SQL]
  const statement = (target, sql) => {
    const proxy = new Proxy(target, {
      get(stmt, name) {
        const value = Reflect.get(stmt, name);
        if (typeof value !== "function") return value;
        if (name === "bind") return (...args) => statement(value.apply(stmt, args), sql);
        if (["all", "first", "run", "raw"].includes(name)) {
          return (...args) => { countD1([sql]); return value.apply(stmt, args); };
        }
        return value.bind(stmt);
      },
    });
    statements.set(proxy, [target, sql]);
    return proxy;
  };
  return new Proxy(db, {
    get(target, name) {
      const value = Reflect.get(target, name);
      if (typeof value !== "function") return value;
      if (name === "prepare") return (sql) => statement(value.call(target, sql), String(sql));
      if (name === "batch") {
        return (list) => {
          const items = Array.from(list, (s) => statements.get(s) ?? [s, "?"]);
          countD1(items.map(([, sql]) => sql));
          return value.call(target, items.map(([stmt]) => stmt));
        };
      }
      if (name === "exec") return (...args) => { countD1(["exec"]); return value.apply(target, args); };
      return value.bind(target);
    },
  });
}

globalThis.fetch = function harnessFetch(input, init) {
  const target = new URL(input instanceof Request ? input.url : String(input));
  const invocation = invocationScope.getStore();
  if (invocation) {
    invocation.fetches += 1;
    invocation.fetchUrls.push(target.href);
  } else {
    unattributedFetches += 1;
  }
  if (!LOOPBACK.has(target.hostname)) {
    return Promise.reject(new TypeError(`harness: outbound fetch to ${target.host} refused (loopback only)`));
  }
  return realFetch(input, init);
};

// ---- invocations ------------------------------------------------------------

let lastId = 0;
const invocations = new Map();

function newInvocation(kind, label) {
  const invocation = {
    id: ++lastId, kind, label, fetches: 0, fetchUrls: [], waitUntil: [], d1Reads: 0, d1Writes: 0, d1Queries: 0,
    d1RowsRead: 0, d1RowsWritten: 0,
    started: performance.now(), finishedAt: null, error: null,
  };
  invocation.finished = new Promise((resolve) => { invocation.finish = resolve; });
  invocations.set(invocation.id, invocation);
  if (invocations.size > 2000) invocations.delete(invocations.keys().next().value);
  return invocation;
}

function makeCtx(invocation) {
  const ctx = {
    waitUntil(promise) {
      invocation.waitUntil.push(Promise.resolve(promise).catch((err) => {
        log(`waitUntil promise of invocation ${invocation.id} rejected:`, describe(err));
      }));
    },
    passThroughOnException() {},
    props: {},
  };
  Object.defineProperty(ctx, Symbol.toStringTag, { value: "ExecutionContext" });
  return ctx;
}

async function settle(invocation) {
  // waitUntil work may add more waitUntil work: drain until quiet.
  let seen = 0;
  while (seen < invocation.waitUntil.length) {
    seen = invocation.waitUntil.length;
    await Promise.allSettled(invocation.waitUntil);
  }
  invocation.finishedAt = performance.now();
  invocation.finish();
}

function invocationStats(invocation) {
  return {
    id: invocation.id, kind: invocation.kind, label: invocation.label,
    fetches: invocation.fetches, fetch_urls: invocation.fetchUrls,
    d1_reads: invocation.d1Reads, d1_writes: invocation.d1Writes, d1_queries: invocation.d1Queries,
    d1_rows_read: invocation.d1RowsRead, d1_rows_written: invocation.d1RowsWritten,
    wait_until: invocation.waitUntil.length, done: invocation.finishedAt !== null,
    ms: invocation.finishedAt === null ? null : invocation.finishedAt - invocation.started,
    error: invocation.error,
  };
}

// ---- Pyodide + Miniflare ----------------------------------------------------

// Miniflare's D1 (workerd's own implementation) reached through a worker of its
// own, with async calls only. Miniflare's binding proxy answers prepare() and
// bind() with blocking round trips from a helper thread; seen here, that path
// can fall out of step ("false == true" from its message-id assertion) and then
// fails every later query. The gateway keeps D1 real and the transport async.
const D1_GATEWAY = `export default {
  async fetch(request, env) {
    const { op, statements } = await request.json();
    try {
      const prepared = statements.map(([sql, params]) => env.DB.prepare(sql).bind(...params));
      if (op === "batch") {
        const results = await env.DB.batch(prepared);
        return Response.json({ ok: true, result: results, metas: results.map((r) => r.meta) });
      }
      if (op === "first") {  // first() drops the meta with the row counts: ask all() and take its first row
        const result = await prepared[0].all();
        return Response.json({ ok: true, result: result.results[0] ?? null, metas: [result.meta] });
      }
      const result = await prepared[0][op]();
      return Response.json({ ok: true, result, metas: [result.meta] });
    } catch (err) {
      return Response.json({ ok: false, error: String((err && err.message) || err) });
    }
  },
};`;

function d1ThroughGateway(miniflare) {
  async function call(op, statements) {
    const response = await miniflare.dispatchFetch("http://d1.gateway/", {
      method: "POST", body: JSON.stringify({ op, statements }),
    });
    const data = await response.json();
    if (!data.ok) throw new Error(data.error);
    countD1Rows((data.metas || []).map((meta) => ({ meta })));
    return data.result;
  }
  class Statement {
    constructor(sql, params = []) { this.sql = sql; this.params = params; }
    bind(...params) { return new Statement(this.sql, params); }
    all() { return call("all", [[this.sql, this.params]]); }
    first() { return call("first", [[this.sql, this.params]]); }
    run() { return call("run", [[this.sql, this.params]]); }
    raw() { return call("raw", [[this.sql, this.params]]); }
  }
  return {
    prepare: (sql) => new Statement(String(sql)),
    batch: (list) => call("batch", Array.from(list, (s) => [s.sql, s.params])),
  };
}

const mf = new Miniflare({
  modules: true,
  script: D1_GATEWAY,
  d1Databases: ["DB"],
  kvNamespaces: ["STATIC_CONTENT"],
});
const bindings = await mf.getBindings();
const env = { ...bindings, DB: countingD1(d1ThroughGateway(mf)), ...(config.env || {}) };

const timings = { pyodide_ms: null, entry_import_ms: null };
let pyodideStarted = performance.now();
const py = await loadPyodide({
  stdout: (line) => process.stderr.write(`[py] ${line}\n`),
  stderr: (line) => process.stderr.write(`[py] ${line}\n`),
});

function mount(hostDir, target) {
  py.FS.mkdirTree(target);
  py.FS.mount(py.FS.filesystems.NODEFS, { root: path.resolve(hostDir) }, target);
}
// Only the SDK's own package, not the rest of the venv: a third-party import
// must fail here as it would in workerd.
mount(path.join(config.sdkDir, "workers"), "/sdk/workers");
timings.pyodide_ms = performance.now() - pyodideStarted;
mount(config.srcDir, "/app");
if (config.entryDir) mount(config.entryDir, "/entry");
if (config.pyTestsDir) mount(config.pyTestsDir, "/pytests");

class WorkerEntrypoint { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }
class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }
class WorkflowEntrypoint { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }
class RpcTarget {}

const patchedContexts = new WeakSet();
function patchWaitUntil(ctx) {
  // Like the runtime: a Python awaitable handed to waitUntil arrives as a
  // borrowed proxy, so keep a copy until it settles.
  if (patchedContexts.has(ctx) || typeof ctx?.waitUntil !== "function") return;
  const original = ctx.waitUntil.bind(ctx);
  ctx.waitUntil = (value) => {
    const owned = typeof value?.copy === "function" ? value.copy() : value;
    original((async () => {
      try { await owned; } finally { owned?.destroy?.(); }
    })());
  };
  patchedContexts.add(ctx);
}

py.registerJsModule("_cloudflare_compat_flags", {
  python_workflows_implicit_dependencies: false,
  python_request_headers_preserve_commas: false,
});
py.registerJsModule("_pyodide_entrypoint_helper", {
  cloudflareWorkersModule: {
    WorkerEntrypoint, DurableObject, WorkflowEntrypoint, RpcTarget, env,
    waitUntil(promise) {
      const invocation = invocationScope.getStore();
      if (invocation) makeCtx(invocation).waitUntil(promise);
    },
  },
  cloudflareSocketsModule: {
    connect() { throw new Error("cloudflare:sockets is not available in the harness"); },
  },
  doAnImport: (name) => import(name),
  patch_env_helper() { throw new Error("patch_env is not available in the harness"); },
  patchWaitUntil,
});

py.runPython(`
import sys
sys.path[:0] = ["/entry", "/app", "/sdk"] if ${config.entryDir ? "True" : "False"} else ["/app", "/sdk"]
if "/pytests" not in sys.path:
    sys.path.append("/pytests")
`);
py.runPython(`
import asyncio
import inspect
import json

from workers.rpc import python_from_rpc, python_to_rpc


_ARITY = {}


def _arity(method):
    """How many positional arguments an entrypoint method takes (None: any), looked up once
    per method: workerd does not inspect signatures per request, and neither should we."""
    key = (type(method.__self__), method.__name__)
    if key not in _ARITY:
        params = list(inspect.signature(method).parameters.values())
        _ARITY[key] = None if any(p.kind is p.VAR_POSITIONAL for p in params) else len(
            [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)])
    return _ARITY[key]


async def harness_call(instance, name, *args):
    """What workerd does around an entrypoint method: convert the arguments
    (a JS Request becomes workers.Request), pass only as many as the method
    takes, convert the result back."""
    method = getattr(instance, name)
    py_args = [python_from_rpc(arg) for arg in args]
    arity = _arity(method)
    if arity is not None:
        py_args = py_args[:arity]
    result = method(*py_args)
    if inspect.isawaitable(result):
        result = await result
    return python_to_rpc(result)


async def harness_apply_schema(db, scripts_json):
    from keypool import schema
    from keypool.adapters.d1 import D1Database

    await schema.apply(D1Database(db), json.loads(scripts_json))


async def harness_pycall(module, function, env, ctx, args_json, signal):
    import importlib

    def defer(awaitable):
        ctx.waitUntil(asyncio.ensure_future(awaitable))

    if hasattr(signal, "aborted"):  # JS null when not asked for
        from keypool.adapters.js_fetch import client_signal

        client_signal.set(signal)

    target = getattr(importlib.import_module(module), function)
    result = await target(env, defer, *json.loads(args_json))
    if hasattr(result, "constructor") and getattr(result.constructor, "name", "") == "Response":
        return result
    return json.dumps(result)
`);

async function callPython(fn, ...args) {
  const pending = fn(...args);
  try {
    return await pending;
  } finally {
    pending?.destroy?.();
  }
}

const harnessCall = py.globals.get("harness_call");
const harnessPycall = py.globals.get("harness_pycall");

// The schema, as `wrangler d1 migrations apply` would: schema.sql, then numbered additions, each once.
const migrationNames = fs.readdirSync(config.migrationsDir).filter((n) => n.endsWith(".sql")).sort();
const scripts = migrationNames.map((n) => [n, fs.readFileSync(path.join(config.migrationsDir, n), "utf8")]);
await callPython(py.globals.get("harness_apply_schema"), env.DB, JSON.stringify(scripts));
log(`schema applied: ${migrationNames.join(", ")}`);

// The admin UI into KV under its path below static/, as deploy-static.sh does.
if (config.staticDir) {
  const files = fs.readdirSync(config.staticDir, { recursive: true })
    .filter((name) => fs.statSync(path.join(config.staticDir, name)).isFile());
  for (const name of files) {
    const key = name.split(path.sep).join("/");
    await env.STATIC_CONTENT.put(key, new Uint8Array(fs.readFileSync(path.join(config.staticDir, name))));
  }
  log(`static files in STATIC_CONTENT: ${files.length}`);
}

let Default = null;
function entryPoint() {
  if (Default === null) {
    const started = performance.now();
    Default = py.pyimport("entry").Default;
    timings.entry_import_ms = performance.now() - started;
  }
  return Default;
}
if (!config.deferImport) entryPoint();

// ---- HTTP front ---------------------------------------------------------------

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const buffer = Buffer.concat(chunks);
  // Pyodide converts typed arrays by constructor: hand it a plain Uint8Array, not a Buffer.
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

// The request body is streamed into the Worker as workerd does: it reads what it wants
// (a refused caller's body is never read).
function toRequest(req, url, signal) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    if (["connection", "keep-alive", "transfer-encoding", "expect"].includes(name)) continue;
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", req.socket.remoteAddress || "127.0.0.1");
  const init = { method: req.method, headers };
  if (config.requestSignal) init.signal = signal;
  const declared = req.headers["content-length"];
  if (!["GET", "HEAD"].includes(req.method) && (declared !== undefined || req.headers["transfer-encoding"])) {
    init.body = Number(declared) === 0 ? new Uint8Array(0) : Readable.toWeb(req);
    init.duplex = "half";
  }
  return new Request(url, init);
}

async function sendResponse(res, response, extraHeaders = {}) {
  const flat = [];
  for (const [name, value] of response.headers) flat.push(name, value);
  for (const [name, value] of Object.entries(extraHeaders)) flat.push(name, String(value));
  res.writeHead(response.status, flat);
  if (response.body) {
    const reader = response.body.getReader();
    let clientGone = false;
    res.on("close", () => {
      if (!res.writableFinished) {
        clientGone = true;
        reader.cancel(new Error("client disconnected")).catch(() => {});
      }
    });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || clientGone) break;
        if (!res.write(value)) await once(res, "drain");
      }
    } catch (err) {
      if (!clientGone) log("response stream failed:", describe(err));
      res.destroy();
      return;
    }
  }
  res.end();
}

function sendJson(res, status, data) {
  const body = JSON.stringify(data);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

async function runInvocation(kind, label, res, call) {
  const invocation = newInvocation(kind, label);
  let response;
  try {
    response = await invocationScope.run(invocation, async () => {
      const ctx = makeCtx(invocation);
      return await call(ctx, invocation);
    });
  } catch (err) {
    invocation.error = describe(err);
    log(`${kind} ${label} threw:`, invocation.error);
    sendJson(res, 500, { error: { message: `worker threw: ${invocation.error}`, type: "harness_error" } });
    settle(invocation);
    return;
  }
  try {
    // In the invocation's scope: a body made as it is sent (a backup) queries D1
    // while it streams, and in workerd that work belongs to the invocation too.
    await invocationScope.run(invocation, () => sendResponse(res, response, { "x-harness-invocation": invocation.id }));
  } finally {
    settle(invocation);
  }
}

// An AbortSignal that fires when the client goes away before its response has ended.
function clientGone(res) {
  const controller = new AbortController();
  res.on("close", () => { if (!res.writableFinished) controller.abort(new Error("client disconnected")); });
  return controller.signal;
}

async function handleWorker(req, res, url) {
  const request = toRequest(req, url, clientGone(res));
  // A body the Worker left unread: close the connection once the answer is out.
  res.on("finish", () => { if (!req.complete) req.destroy(); });
  await runInvocation("fetch", `${req.method} ${url.pathname}`, res, async (ctx, invocation) => {
    const instance = entryPoint()(ctx, env);
    invocation.finished.then(() => instance.destroy());
    const response = await callPython(harnessCall, instance, "fetch", request);
    if (!(response instanceof Response)) throw new TypeError(`fetch returned ${Object.prototype.toString.call(response)}, not a Response`);
    return response;
  });
}

async function handleHarness(req, res, url) {
  const route = url.pathname.slice("/__harness".length);
  if (route === "/health") return sendJson(res, 200, { ok: true });
  if (route === "/timings") return sendJson(res, 200, timings);
  if (route === "/d1" && req.method === "POST") {
    const { statements } = JSON.parse(Buffer.from(await readBody(req)).toString("utf8"));
    const results = await env.DB.batch(statements.map(([sql, params = []]) => env.DB.prepare(sql).bind(...params)));
    return sendJson(res, 200, { changes: results.map((r) => r?.meta?.changes ?? 0) });
  }
  if (route === "/d1rows") return sendJson(res, 200, { rows_read: d1Rows.read, rows_written: d1Rows.written });
  if (route === "/scheduled") {
    const cron = url.searchParams.get("cron") || "*/30 * * * *";
    const invocation = newInvocation("scheduled", cron);
    try {
      await invocationScope.run(invocation, async () => {
        const ctx = makeCtx(invocation);
        const instance = entryPoint()(ctx, env);
        try {
          const controller = { scheduledTime: Date.now(), cron, noRetry() {} };
          await callPython(harnessCall, instance, "scheduled", controller);
        } finally {
          await settle(invocation);
          instance.destroy();
        }
      });
    } catch (err) {
      invocation.error = describe(err);
      settle(invocation);
      return sendJson(res, 500, { ok: false, id: invocation.id, error: invocation.error });
    }
    return sendJson(res, 200, { ok: true, ...invocationStats(invocation) });
  }
  if (route === "/stats") {
    const id = Number(url.searchParams.get("id") || lastId);
    const invocation = invocations.get(id);
    if (!invocation) return sendJson(res, 404, { error: `no invocation ${id}` });
    const timeout = new Promise((resolve) => setTimeout(resolve, 30_000));
    await Promise.race([invocation.finished, timeout]);
    return sendJson(res, 200, { ...invocationStats(invocation), unattributed_fetches: unattributedFetches });
  }
  if (route.startsWith("/kv/") && req.method === "PUT") {
    const key = decodeURIComponent(route.slice("/kv/".length));
    await env.STATIC_CONTENT.put(key, await readBody(req));
    return sendJson(res, 200, { ok: true, key });
  }
  if (route === "/pycall" && req.method === "POST") {
    const { module, function: fn, args = [], clientSignal = false } =
      JSON.parse(Buffer.from(await readBody(req)).toString("utf8"));
    const signal = clientSignal ? clientGone(res) : null;
    return runInvocation("pycall", `${module}.${fn}`, res, async (ctx) => {
      patchWaitUntil(ctx);
      const result = await callPython(harnessPycall, module, fn, env, ctx, JSON.stringify(args), signal);
      if (result instanceof Response) return result;
      return new Response(result, { headers: { "content-type": "application/json" } });
    });
  }
  return sendJson(res, 404, { error: `no harness route ${url.pathname}` });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, `http://${req.headers.host || "127.0.0.1"}`);
  const handler = url.pathname.startsWith("/__harness/") ? handleHarness : handleWorker;
  handler(req, res, url).catch((err) => {
    log(`${req.method} ${req.url} failed:`, describe(err));
    if (!res.headersSent) sendJson(res, 500, { error: { message: describe(err), type: "harness_error" } });
    else res.destroy();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(config.port || 0, "127.0.0.1");
await once(server, "listening");
process.stdout.write(`READY ${server.address().port}\n`);

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  server.close();
  server.closeAllConnections?.();
  try { await mf.dispose(); } catch (err) { log("miniflare dispose failed:", describe(err)); }
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
process.stdin.on("end", shutdown);
process.stdin.on("close", shutdown);
process.stdin.resume();
