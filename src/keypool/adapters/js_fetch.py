"""The Upstream port on the Workers global `fetch` (Worker).

Python stays off the byte path: `relay()` hands the shell a JS ReadableStream.
When the app wants to see the body (usage), or an SSE error event must be
appended if the upstream breaks, the runtime pipes the upstream body through
an identity TransformStream to the client and, for the observer, collects a
`tee()` copy of it into one buffer: one JS→Python copy per response, not one
per chunk. One short coroutine follows up:

- the client's side: it waits for the pipe, then closes the client's stream
  (after an SSE error event if the upstream broke), or, if the client went
  away, cancels the upstream body (and with it the upstream request);
- then the observer's side: it waits for the copy, then feeds the observer
  once and finishes it: complete, broken, or CLIENT_GONE.

It runs through the request's ctx.waitUntil: the `defer` passed to `send()`,
else the one the Worker shell put in `request_defer` (in workerd only
waitUntil work survives a client that went away). One task, not two: every
task and awaited promise costs the Worker CPU in Pyodide's loop. A client
disconnect is seen through the incoming request's `signal` when the runtime
aborts it (workerd's `enable_request_signal` compatibility flag), else when
the runtime cancels the response stream.

The timeout given to `send()` covers the status line and headers; after
that a streamed body may take as long as it takes.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Any, Awaitable, Callable

import js
from pyodide.ffi import JsException, jsnull, to_js

from ..core.sse import error_event
from ..ports import CLIENT_GONE, StreamObserver, UpstreamError

Defer = Callable[[Awaitable[Any]], None]

# Hop-by-hop and length headers the relay must not copy. `fetch` has already
# decoded any content-encoding, so that header would lie too.
_DROP_RESPONSE_HEADERS = {"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}
# The current request's defer (ctx.waitUntil), set by the Worker shell; used
# when `send()` is not given one. A ContextVar is per asyncio task, so
# concurrent requests in one isolate each see their own.
request_defer: ContextVar[Defer | None] = ContextVar("request_defer", default=None)
# The incoming request's AbortSignal (aborted when our client disconnects, where
# the runtime does that), set by the Worker shell.
client_signal: ContextVar[Any] = ContextVar("client_signal", default=None)
# Background tasks not handed to a defer: referenced until done.
_tasks: set[asyncio.Future] = set()


def _is_null(value: Any) -> bool:
    return value is None or value is jsnull


def _js_object(mapping: dict[str, Any]) -> Any:
    return to_js(mapping, dict_converter=js.Object.fromEntries)


def _error_name(reason: Any) -> str:
    name = getattr(reason, "name", None)
    return name if isinstance(name, str) and name else "Error"


def _spawn(awaitable: Awaitable[Any]) -> None:
    """A plain task: it runs as long as the invocation does (an open client
    stream keeps the invocation going until the task has closed it)."""
    task = asyncio.ensure_future(awaitable)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


class JsFetchResponse:
    def __init__(self, response: Any, defer: Defer | None = None):
        self._response = response
        self._defer = defer
        self.status = int(response.status)
        # One conversion for all headers (each call across the JS boundary costs CPU).
        pairs = js.Array.from_(response.headers.entries()).to_py()
        self.headers = [(name, value) for name, value in pairs if name not in _DROP_RESPONSE_HEADERS]
        declared = next((value for name, value in pairs if name == "content-length"), "")
        self.length = int(declared) if declared.isdigit() else None

    async def read(self, limit: int = 1 << 20) -> bytes:
        body = self._response.body
        if _is_null(body):
            return b""
        data = bytearray()
        try:
            if self.length is not None and self.length <= limit:
                return (await self._response.arrayBuffer()).to_bytes()[:limit]
            reader = body.getReader()
            while len(data) < limit:
                chunk = await reader.read()
                if chunk.done:
                    break
                data += chunk.value.to_bytes()
            if len(data) >= limit:
                await reader.cancel()
        except JsException:
            pass  # a partial error body is still worth classifying
        return bytes(data[:limit])

    def relay(self, observer: StreamObserver | None, sse: bool) -> Any:
        """A JS ReadableStream for the client (or b"" when there is no body)."""
        body = self._response.body
        if _is_null(body):
            if observer is not None:
                observer.finish(None)
            return b""
        if observer is None and not sse:
            return body  # a client disconnect cancels the upstream body directly
        copy = None
        if observer is not None:
            branches = body.tee()
            body, copy = branches[0], _Copy(branches[1])
        stream = js.TransformStream.new()
        signal = client_signal.get()
        # preventCancel: a pipe that cancels a tee branch waits for the other
        # branch to be cancelled too, so it would not report a client
        # disconnect until the upstream ends; _close_client cancels the source.
        # (A JS promise comes back to Python as a future with its handlers
        # already attached, so an early failure is never an unhandled rejection.)
        options = {"preventClose": True, "preventAbort": True, "preventCancel": True}
        if _is_signal(signal):
            options["signal"] = signal
        pipe = body.pipeTo(stream.writable, _js_object(options))
        follow_up = _close_client(pipe, body, stream.writable, signal, copy, sse)
        if observer is None:
            _spawn(follow_up)
        else:
            (self._defer or _spawn)(_then_observe(follow_up, copy, observer))
        return stream.readable

    async def close(self) -> None:
        body = self._response.body
        if _is_null(body) or body.locked:
            return
        try:
            await body.cancel()
        except JsException:
            pass


class _Copy:
    """The observer's tee branch, collected into one buffer by the runtime.

    Cancellable, so that a client disconnect still cancels the upstream; what
    arrived before a cancel or a break is kept, as the local relay feeds it.
    """

    def __init__(self, branch: Any):
        self.aborter = js.AbortController.new()
        self.collector = js.TransformStream.new()
        self.pipe = branch.pipeTo(self.collector.writable,
                                  _js_object({"signal": self.aborter.signal, "preventAbort": True}))
        self.collected = js.Response.new(self.collector.readable).arrayBuffer()

    def cancel(self) -> None:
        self.aborter.abort()

    async def result(self) -> tuple[bytes, str | None]:
        """The bytes that came, and how the body ended (None when complete)."""
        failure = await _failure(self.pipe)
        if failure is not None:
            try:  # cut short: end the collector's stream to get what came so far
                await self.collector.writable.close()
            except JsException:
                pass
        try:
            data = (await self.collected).to_bytes()
        except JsException:
            data = b""
        if failure is None:
            return data, None
        if self.aborter.signal.aborted:
            return data, CLIENT_GONE
        return data, _broken(failure)


def _broken(failure: Any) -> str:
    return f"upstream stream broke: {_error_name(failure)}"


def _is_signal(signal: Any) -> bool:
    return not _is_null(signal) and hasattr(signal, "aborted")


async def _close_client(pipe: Any, source: Any, writable: Any, signal: Any, copy: _Copy | None,
                        sse: bool) -> None:
    """End the client's stream once the upstream body has been piped into it."""
    failure = await _failure(pipe)
    writer = writable.getWriter()
    # Gone: the runtime aborted the request's signal, or cancelled the response stream.
    if (_is_signal(signal) and signal.aborted) or _is_null(writer.desiredSize):
        # Once every reader of the upstream body has cancelled, the runtime
        # cancels the upstream request.
        _forget(source.cancel())
        if copy is not None:
            copy.cancel()
        return
    # Queued, not awaited: the runtime flushes them to the client, and the open
    # response keeps the invocation alive until it has.
    if failure is not None and sse:
        _forget(writer.write(to_js(error_event(_broken(failure)))))
    _forget(writer.close())


async def _failure(promise: Any) -> Any:
    """Await a JS promise: None when it resolves, else the JS error."""
    try:
        await promise
    except JsException as exc:
        return exc
    return None


def _forget(promise: Any) -> None:
    """Let a JS promise settle unobserved, without an 'exception never retrieved' warning."""
    if hasattr(promise, "add_done_callback"):
        promise.add_done_callback(lambda done: done.cancelled() or done.exception())


async def _then_observe(client_side: Awaitable[None], copy: _Copy, observer: StreamObserver) -> None:
    """The client's side, then one feed with the whole body (one JS→Python copy), then finish."""
    try:
        await client_side
    finally:
        data, ended = await copy.result()
        if data:
            observer.feed(data)
        observer.finish(ended)


class JsFetchUpstream:
    async def send(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None,
                   timeout: float, defer: Defer | None = None) -> JsFetchResponse:
        """`defer` (the request's ctx.waitUntil; by default the one the shell set in
        `request_defer`) carries the background half of relay()."""
        controller = js.AbortController.new()
        # Usage is read from the relayed bytes: ask for them uncompressed, as the local client does.
        pairs = [[name, value] for name, value in headers if name.lower() != "accept-encoding"]
        pairs.append(["accept-encoding", "identity"])
        init: dict[str, Any] = {  # converted in one call (each crossing into JS costs CPU)
            "method": method,
            "headers": pairs,
            "signal": controller.signal,
            "redirect": "manual",  # like the local client: a redirect goes back to the caller
        }
        if body is not None and method not in ("GET", "HEAD"):
            init["body"] = body
        timer = js.setTimeout(controller.abort.bind(controller), max(1, int(timeout * 1000)))
        try:
            response = await js.fetch(url, _js_object(init))
        except JsException as exc:
            if controller.signal.aborted:
                raise UpstreamError(f"upstream timed out (no answer within {timeout:g} s)", timeout=True) from None
            raise UpstreamError(f"upstream unreachable ({_error_name(exc)}: {getattr(exc, 'message', exc)})") from None
        finally:
            js.clearTimeout(timer)
        return JsFetchResponse(response, defer if defer is not None else request_defer.get())
