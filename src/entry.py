"""The Worker shell: converts a Workers request for the app and its answer back.

The app is built on the first request of an isolate and reused after that.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any, Awaitable
from urllib.parse import unquote, urlsplit

import js
from pyodide.ffi import JsProxy, create_proxy, jsnull, to_js
from workers import WorkerEntrypoint

from keypool.adapters.d1 import D1Database
from keypool.adapters.edge_resolver import EdgeResolver
from keypool.adapters.js_fetch import JsFetchUpstream, client_signal, request_defer
from keypool.adapters.kv_assets import KVAssets
from keypool.adapters.system_clock import SystemClock
from keypool.adapters.webcrypto_kdf import WebCryptoKeyDerivation
from keypool.app import App, create_app
from keypool.http import Request, Response
from keypool.settings import Settings

log = logging.getLogger("keypool.worker")

ENV_VARS = ("ADMIN_USERNAME", "ADMIN_PASSWORD", "ADMIN_TOKEN", "SESSION_SECRET",
            "UPSTREAM_BASE_URL", "BASE_URL", "MAX_BODY_BYTES", "ALLOW_PRIVATE_WEBHOOKS")
_NULL_BODY_STATUSES = (101, 204, 205, 304)
_SMALL_BODY = 64 * 1024

_built: tuple[App, Settings] | None = None


def _env_value(env: Any, name: str) -> str | None:
    value = getattr(env, name, None)  # an unset var is undefined (AttributeError) or null
    if value is None or value is jsnull:
        return None
    return value if isinstance(value, str) else str(value)


def _app(env: Any) -> tuple[App, Settings]:
    global _built
    if _built is None:
        settings = Settings.from_env({
            name: value for name in ENV_VARS if (value := _env_value(env, name)) is not None
        })
        if problem := settings.token_problem():
            # Refused, not fatal: the proxy keeps serving; the admin API says why it is locked.
            log.error("%s; the admin token is refused until then", problem)
            settings = replace(settings, admin_token=None, admin_token_refused=problem)
        db = getattr(env, "DB", None)
        if db is None or db is jsnull:
            raise RuntimeError("the D1 binding DB is missing (see wrangler.toml)")
        app = create_app(settings, D1Database(db), JsFetchUpstream(),
                         KVAssets(getattr(env, "STATIC_CONTENT", None)), SystemClock(),
                         WebCryptoKeyDerivation(), EdgeResolver())
        _built = (app, settings)
    return _built


async def _logged(awaitable: Awaitable[Any]) -> None:
    try:
        await awaitable
    except Exception:
        log.exception("deferred work failed")


def _deferrer(ctx: Any):
    def defer(awaitable: Awaitable[Any]) -> None:
        # As the runtime SDK does for its own background work: an owned proxy
        # of the task goes to waitUntil, and is destroyed once the task is done.
        task = asyncio.ensure_future(_logged(awaitable))
        handle = create_proxy(task)
        task.add_done_callback(lambda _: handle.destroy())
        ctx.waitUntil(handle)
    return defer


async def _read_body(js_request: Any, declared: str | None, limit: int) -> bytes | None:
    """The request body, or None when it is larger than `limit` (`declared`: its content-length)."""
    if isinstance(declared, str) and declared.isdigit():
        if int(declared) > limit:
            return None
        body = js_request.body
        if body is None or body is jsnull:
            return b""
        data = (await js_request.arrayBuffer()).to_bytes()
        return None if len(data) > limit else data
    body = js_request.body
    if body is None or body is jsnull:
        return b""
    data = bytearray()  # no length given (chunked): stop reading past the limit
    reader = body.getReader()
    while True:
        chunk = await reader.read()
        if chunk.done:
            return bytes(data)
        data += chunk.value.to_bytes()
        if len(data) > limit:
            await reader.cancel()
            return None


def _stream(chunks: Any) -> Any:
    """A pull-based JS ReadableStream over a Python async iterator of bytes: the
    next chunk is made only when the client has taken the last one, so memory
    stays flat however long the body. The proxies go once the stream ends."""
    proxies: list[Any] = []
    pulling = cancelled = False

    async def finish() -> None:
        try:
            await chunks.aclose()
        finally:
            while proxies:
                proxies.pop().destroy()

    async def pull(controller: Any) -> None:
        nonlocal pulling
        pulling = True
        try:
            chunk = b""
            while not chunk:
                chunk = await chunks.__anext__()
        except StopAsyncIteration:
            controller.close()
            await finish()
            return
        except Exception as exc:  # the client sees a cut-short body, never a complete-looking one
            log.exception("streamed response failed")
            controller.error(js.Error.new(f"response stream failed ({type(exc).__name__})"))
            await finish()
            return
        finally:
            pulling = False
        if cancelled:  # the client went away while this chunk was made
            await finish()
            return
        # A copy the stream owns: its queue keeps the chunk after this call returns.
        controller.enqueue(to_js(bytes(chunk)))

    async def cancel(reason: Any = None) -> None:
        nonlocal cancelled
        cancelled = True
        if not pulling:
            await finish()

    proxies += [create_proxy(pull), create_proxy(cancel)]
    return js.ReadableStream.new(pull=proxies[0], cancel=proxies[1])


def _js_response(response: Response) -> Any:
    headers = to_js([[name, value] for name, value in response.headers])  # one conversion, repeats kept
    body = response.body
    if isinstance(body, str):
        body = body.encode()
    if response.status in _NULL_BODY_STATUSES:
        return js.Response.new(jsnull, status=response.status, headers=headers)
    if isinstance(body, JsProxy):
        # a JS ReadableStream from an upstream relay, passed straight through
        return js.Response.new(body, status=response.status, headers=headers)
    if hasattr(body, "__anext__"):  # made in Python as it is sent (a backup)
        return js.Response.new(_stream(body), status=response.status, headers=headers)
    if len(body) <= _SMALL_BODY:  # one conversion; a copy this small costs less than four calls
        return js.Response.new(to_js(bytes(body)), status=response.status, headers=headers)
    # A view on the bytes in Python's memory: the Response constructor copies
    # them once, with no intermediate copy (as the runtime SDK does).
    proxy = create_proxy(bytes(body))
    buffer = proxy.getBuffer()
    proxy.destroy()
    try:
        return js.Response.new(buffer.data, status=response.status, headers=headers)
    finally:
        buffer.release()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        js_request = getattr(request, "js_object", request)  # the SDK may wrap it
        try:
            app, settings = _app(self.env)
        except Exception as exc:
            log.exception("worker setup failed")
            return _js_response(Response.error(500, f"worker setup failed: {exc}"))
        url, method = urlsplit(js_request.url), js_request.method  # each JS property read costs CPU
        path = unquote(url.path) or "/"
        # One conversion for all headers; Headers names are lower-case already.
        headers = js.Object.fromEntries(js_request.headers.entries()).to_py()
        # The client key before the body: an unknown caller cannot make us read 32 MB.
        refused = await app.refuse_early(method, path, headers, url.scheme)
        if refused is not None:
            return _js_response(refused)
        body = await _read_body(js_request, headers.get("content-length"), settings.max_body_bytes)
        if body is None:
            return _js_response(Response.error(413, f"request body exceeds {settings.max_body_bytes} bytes"))
        defer = _deferrer(self.ctx)
        request_defer.set(defer)
        client_signal.set(getattr(js_request, "signal", None))
        req = Request(
            method=method,
            path=path,
            query_string=url.query,
            headers=headers,
            body=body,
            client_ip=headers.get("cf-connecting-ip", ""),
            scheme=url.scheme,
            defer=defer,
        )
        return _js_response(await app.handle(req))

    async def scheduled(self, controller, env=None, ctx=None):
        app, _ = _app(self.env)
        request_defer.set(_deferrer(self.ctx))
        # Awaited, not deferred: the cron event lasts as long as this handler.
        await app.scheduled()
