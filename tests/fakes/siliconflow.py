"""A fake SiliconFlow (硅基流动) API: a real HTTP server on 127.0.0.1 for tests and benchmarks.

It answers the OpenAI-style paths under `/v1` the way SiliconFlow does, success
and error bodies alike, so the pool can be tested over real HTTP (from this
process, from the local server process, or from the Node/Pyodide Worker
harness) without the internet. It is a raw ASGI app served by uvicorn.

In the same process::

    from fakes.siliconflow import FakeSiliconFlow

    with FakeSiliconFlow.running(chunk_delay_ms=20) as fake:
        fake.set_key("sk-dead", "invalid")
        fake.set_key("sk-poor", "no_balance")          # 403 30001, free models still served
        fake.set_key("sk-busy", "rate_limited", limit="RPM", retry_after=3)
        ...point the pool at fake.url (it appends /v1/...)...
        assert fake.calls["by_key"]["sk-busy"] == 1

As a separate process (benchmarks, other runtimes)::

    python tests/fakes/siliconflow.py --port 0 --latency-ms 50   # prints "READY <port>"

and steer it over HTTP: `POST /__fake/keys` `{"sk-x": {"behaviour": "invalid"}}`,
`POST /__fake/config` `{"chunk_delay_ms": 10}`, `GET /__fake/calls`,
`POST /__fake/reset`.

Keys not configured behave as `ok` with balance "10.0". Behaviours (options):

    ok               serve normally                      (balance, charge_balance, gift_balance)
    invalid          401 "Api key is invalid"
    no_balance       403 code 30001, except free models  (free_ok=True)
    no_balance_402   402 code 30001, except free models  (free_ok=True)
    forbidden        403, other code                     (reason="paid_only"|"real_name"|"plain")
    rate_limited     429 code 5060x                      (limit="TPM"|"RPM"|"RPH"|"RPD"|..., retry_after=s, with_code=True)
    overloaded       503 code 50505
    server_error     500 code 50500                      (status=500)
    slow             wait `delay` s before the status line, then ok (delay=10)
    break            200, then the connection dies mid-body (break_after=2 content chunks when streaming)
    custom           any answer                          (status, body, headers)

Options for every behaviour: `models=[...]` applies it only to those models,
`times=N` applies it to the next N calls only (then the key is `ok`).
Error behaviours hit inference calls (a request naming a model); `GET
/v1/models` and `GET /v1/user/info` still answer for every key but `invalid`.
With `user_info_gone`, `/v1/user/info` answers 410 to every key, even invalid ones.
Whatever the key, model "no-such-model" is answered 400 code 20012.

Where the upstream shapes come from (public material, checked 2026):
- 400 `{"code":20012,"message":"Model does not exist. Please check it carefully.","data":null}`:
  SiliconFlow error-code FAQ, https://docs.siliconflow.cn/en/faqs/error-code
- 401 bare JSON string `"Api key is invalid"` (bad key) / `"Invalid token"` (no
  Authorization header): chatboxai/chatbox#2573, rikkahub/rikkahub#372,
  agno-agi/agno#6259, and a measured table in a public SiliconFlow error-code
  write-up that quotes the API reference (api-docs.siliconflow.cn chat-completions-post).
- 30001 `{"code":30001,"message":"Sorry, your account balance is insufficient","data":null}`:
  seen with 403 (Dify forwarding SiliconFlow; image generation) and with 402
  (completions on api.siliconflow.com), in public code and notes quoting real answers.
- 403 for a model only open to paid balance: "The selected model requires paid
  balance. Your paid balance is insufficient. Please top up and try again."
  (err.dmxapi.cn/detail.php?id=1150, Cherry Studio against api.siliconflow.cn,
  Pro/moonshotai/Kimi-K2-Thinking); code 30011 = OnyByChargeBalanceErrCode and
  30005 = real-name required come from SiliconFlow's former public error table.
- 429 `{"code":50602,"message":"Request was rejected due to rate limiting. Details: TPM limit reached.","data":null}`:
  an OpenAI SDK error repr of a real answer; other reports show the same body
  without `code` (AIDotNet/OpenDeepWiki#269), hence `with_code=False`. Codes
  50601 RPM, 50602 TPM, 50604 IPM, 50605 IPD, 50607 RPH, 50608 RPD from the former table.
- 503 `{"code":50505,"message":"Model service overloaded. Please try again later.","data":null}`:
  the API reference example. 500 code 50500 (ModelServiceErrCode): former table.
- `/v1/user/info`: `{"code":20000,"message":"OK","status":true,"data":{"id","name","image",
  "email","isAdmin","balance","status","introduction","role","chargeBalance","totalBalance"}}`,
  balances as strings (SiliconFlow API reference, quoted in public client code).
  It now answers 410 (rikkahub/rikkahub#1811); that 410 body is not public, ours is a guess.
- Images answer `{"images":[{"url"}],"timings":{"inference"},"seed"}`; models
  `{"object":"list","data":[{"id","object":"model","created":0,"owned_by":""}]}`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import importlib.util
import json
import logging
import signal
import socket
import struct
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterator

import uvicorn

BEHAVIOURS = (
    "ok", "invalid", "no_balance", "no_balance_402", "forbidden", "rate_limited",
    "overloaded", "server_error", "slow", "break", "custom",
)
DEFAULT_FREE_MODELS = ("Qwen/Qwen2.5-7B-Instruct", "THUDM/glm-4-9b-chat")
PAID_MODELS = (
    "deepseek-ai/DeepSeek-V3", "Pro/deepseek-ai/DeepSeek-R1", "Qwen/Qwen3-235B-A22B",
    "Qwen/Qwen2.5-72B-Instruct", "BAAI/bge-m3", "BAAI/bge-reranker-v2-m3",
    "Kwai-Kolors/Kolors", "FunAudioLLM/CosyVoice2-0.5B", "FunAudioLLM/SenseVoiceSmall",
)
DEFAULT_BALANCE = "10.0"
NO_SUCH_MODEL = "no-such-model"
CREATED = 1735689600  # a fixed timestamp keeps answers deterministic

# --- SiliconFlow error bodies (sources in the module docstring) -------------
MODEL_NOT_EXIST = {"code": 20012, "message": "Model does not exist. Please check it carefully.", "data": None}
INVALID_PARAM = {"code": 20015, "message": "Invalid request parameters. Please check and try again.", "data": None}
BALANCE_INSUFFICIENT = {"code": 30001, "message": "Sorry, your account balance is insufficient", "data": None}
FORBIDDEN_REASONS = {
    "paid_only": {"code": 30011, "data": None, "message": (
        "The selected model requires paid balance. Your paid balance is insufficient. "
        "Please top up and try again.")},
    # English rendering of the former table's 30005 "使用此模型须完成实名认证，请先完成认证"
    "real_name": {"code": 30005, "data": None, "message": (
        "Real-name authentication is required to use this model. Please complete it first.")},
    "plain": "Forbidden",  # the API reference's 403 example: a bare JSON string
}
RATE_LIMIT_CODES = {"RPM": 50601, "TPM": 50602, "IPM": 50604, "IPD": 50605, "RPH": 50607, "RPD": 50608}
OVERLOADED = {"code": 50505, "message": "Model service overloaded. Please try again later.", "data": None}
SERVER_ERROR = {"code": 50500, "data": None, "message": (
    "An unexpected system error occurred. Please try again later. "
    "If the problem persists, contact customer support.")}
USER_INFO_GONE = {"code": 41000, "message": "This API is no longer available.", "data": None}

JSON_TYPE = b"application/json; charset=utf-8"
# SiliconFlow answers browsers (the admin UI's client-side checking calls it from the page).
CORS = [(b"access-control-allow-origin", b"*"), (b"access-control-expose-headers", b"retry-after")]
CORS_PREFLIGHT = [(b"access-control-allow-methods", b"GET, POST, OPTIONS"),
                  (b"access-control-allow-headers", b"authorization, content-type"),
                  (b"access-control-max-age", b"600")]
SSE_TYPE = b"text/event-stream"


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _digest(*parts: Any) -> bytes:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()


def _words(value: Any) -> int:
    """Deterministic token estimate: whitespace-separated words of the text in `value`
    (strings, lists of them, and the `content`/`text` of message dicts)."""
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, dict):
        return _words(value.get("content")) + _words(value.get("text"))
    if isinstance(value, list):
        return sum(_words(v) for v in value)
    return 0


class _Abort(Exception):
    """Raised inside the app to drop the connection mid-response (behaviour `break`)."""


class _QuietAbort(logging.Filter):
    """Keeps uvicorn from logging our deliberate aborts (and cut-offs at shutdown) as errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], (_Abort, asyncio.CancelledError)):
            return False
        return not str(record.msg).startswith("Cancel %s running task(s)")


_QUIET_ABORT = _QuietAbort()


@dataclass
class _Reply:
    """An answer to send. `events` makes it a stream: `lead` events, then
    content events paced by chunk_delay_ms, then `tail` events."""

    status: int = 200
    body: Any = None            # bytes, or JSON-able (dumped); ignored when streaming
    content_type: bytes = JSON_TYPE
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    events: list[bytes] | None = None
    lead: list[bytes] = field(default_factory=list)
    tail: list[bytes] = field(default_factory=list)


@dataclass(eq=False)  # hashable by identity: kept in a set while pausing
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    key: str | None
    data: dict
    model: str | None
    stream: bool
    entry: dict
    disconnected: asyncio.Event | None = None


class FakeSiliconFlow:
    """The ASGI app and its state; `start()`/`stop()` or `running()` serve it on 127.0.0.1."""

    def __init__(self, *, latency_ms: float = 0, chunk_delay_ms: float = 0, chunks: int = 5,
                 user_info_gone: bool = False, free_models: list[str] | tuple[str, ...] = DEFAULT_FREE_MODELS,
                 host: str = "127.0.0.1", port: int = 0, log_size: int = 500):
        self._defaults = dict(latency_ms=latency_ms, chunk_delay_ms=chunk_delay_ms, chunks=chunks,
                              user_info_gone=user_info_gone, free_models=list(free_models))
        self.host, self.port = host, port
        self._lock = threading.Lock()
        self._log_size = log_size
        self._keys: dict[str, dict] = {}
        self._seq = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: set[_Request] = set()  # requests pausing (slow, paced streams)
        self._stopping = False
        self.reset()

    # --- control from Python ------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What an OpenAI client takes as base_url."""
        return self.url + "/v1"

    def reset(self) -> None:
        """Forget key behaviours and calls; knobs go back to their constructor values."""
        with self._lock:
            self._keys.clear()
            self._reset_calls()
            self.configure(**{k: list(v) if isinstance(v, list) else v for k, v in self._defaults.items()})

    def reset_calls(self) -> None:
        with self._lock:
            self._reset_calls()

    def _reset_calls(self) -> None:
        self._calls = {"total": 0, "by_key": {}, "by_path": {}, "by_model": {}, "disconnects": 0}
        self._log: deque[dict] = deque(maxlen=self._log_size)

    def configure(self, **knobs: Any) -> None:
        """Set global knobs: latency_ms, chunk_delay_ms, chunks, user_info_gone, free_models."""
        for name, value in knobs.items():
            if name not in self._defaults:
                raise ValueError(f"unknown knob {name!r}; knobs: {sorted(self._defaults)}")
            setattr(self, name, list(value) if name == "free_models" else value)

    def config(self) -> dict:
        return {name: getattr(self, name) for name in self._defaults}

    def set_key(self, key: str, behaviour: str = "ok", **options: Any) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; behaviours: {BEHAVIOURS}")
        with self._lock:
            self._keys[key] = {"behaviour": behaviour, **options}

    def set_keys(self, keys: dict[str, str | dict]) -> None:
        """`{"sk-a": "invalid", "sk-b": {"behaviour": "rate_limited", "retry_after": 2}}`."""
        for key, spec in keys.items():
            spec = {"behaviour": spec} if isinstance(spec, str) else dict(spec)
            behaviour = spec.pop("behaviour", spec.pop("behavior", "ok"))
            self.set_key(key, behaviour, **spec)

    def keys(self) -> dict[str, dict]:
        with self._lock:
            return {k: dict(v) for k, v in self._keys.items()}

    @property
    def calls(self) -> dict:
        """Snapshot: total, by_key, by_path, by_model, disconnects, and `log` (recent calls, oldest first)."""
        with self._lock:
            snap = {k: dict(v) if isinstance(v, dict) else v for k, v in self._calls.items()}
            snap["log"] = [dict(e) for e in self._log]
        return snap

    def count(self, key: str | None = None, path: str | None = None) -> int:
        """Calls matching a key and/or a path (both None: all calls)."""
        with self._lock:
            if key is not None and path is not None:  # only the recent log knows both
                return sum(1 for e in self._log if e["key"] == key and e["path"] == path)
            if key is not None:
                return self._calls["by_key"].get(key, 0)
            if path is not None:
                return self._calls["by_path"].get(path, 0)
            return self._calls["total"]

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 5.0) -> dict:
        """Poll `calls` until predicate(calls) is true; returns the snapshot or raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            snap = self.calls
            if predicate(snap):
                return snap
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s; calls: {snap}")
            time.sleep(0.01)

    # --- serving ------------------------------------------------------------

    def start(self) -> "FakeSiliconFlow":
        if self._thread:
            return self
        self._stopping = False
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self, log_config=None, log_level="warning", access_log=False, lifespan="off",
            http="httptools" if importlib.util.find_spec("httptools") else "h11",
            loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
            timeout_graceful_shutdown=1, backlog=4096,
        )
        logging.getLogger("uvicorn.error").addFilter(_QUIET_ABORT)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name=f"fake-siliconflow-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("fake SiliconFlow did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if not self._thread:
            return
        self._stopping = True  # wake pausing requests so they end now, not at their deadline
        for request in list(self._waiting):
            self._loop.call_soon_threadsafe(request.disconnected.set)
        self._server.should_exit = True
        self._thread.join(5)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(5)
        self._thread = self._server = None

    def __enter__(self) -> "FakeSiliconFlow":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @classmethod
    @contextlib.contextmanager
    def running(cls, **kwargs: Any) -> Iterator["FakeSiliconFlow"]:
        fake = cls(**kwargs).start()
        try:
            yield fake
        finally:
            fake.stop()

    # --- ASGI ---------------------------------------------------------------

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path, method = scope["path"], scope["method"]
        if method == "OPTIONS":  # a browser's CORS preflight (client-side checking): no call, not counted
            return await self._send(send, _Reply(204, b"", headers=CORS_PREFLIGHT), None, None)
        if path.startswith("/__fake/"):
            reply = self._control(method, path, body)
            return await self._send(send, reply, None, None)

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        data = _parse_body(headers.get("content-type", ""), body)
        model = data.get("model") if isinstance(data.get("model"), str) else None
        request = _Request(method=method, path=path, headers=headers, body=body, key=_bearer(headers),
                           data=data, model=model, stream=data.get("stream") is True, entry={})
        request.entry = self._record(request)
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        watcher = None
        try:
            behaviour, options = self._behaviour_for(request)
            if behaviour == "slow" or request.stream:  # these pause: watch for the client leaving
                self._loop = asyncio.get_running_loop()
                request.disconnected = asyncio.Event()
                watcher = asyncio.ensure_future(_watch_disconnect(receive, request.disconnected))
                self._waiting.add(request)
            if behaviour == "slow" and await self._pause(request, float(options.get("delay", 10))):
                return self._count_disconnect(request)
            reply = self._answer(request, behaviour, options)
            request.entry["status"] = reply.status
            await self._send(send, reply, request, options if behaviour == "break" else None)
        finally:
            if watcher:
                watcher.cancel()
                self._waiting.discard(request)

    async def _pause(self, request: _Request, seconds: float) -> bool:
        """Sleep, waking early if the client leaves (True) or the server stops (abort)."""
        gone = await _wait_or_disconnect(request.disconnected, seconds)
        if self._stopping:
            raise _Abort()
        return gone

    def _record(self, request: _Request) -> dict:
        entry = {"key": request.key, "method": request.method, "path": request.path, "model": request.model,
                 "stream": request.stream, "headers": request.headers, "body_length": len(request.body),
                 "status": None}
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            calls = self._calls
            calls["total"] += 1
            calls["by_path"][request.path] = calls["by_path"].get(request.path, 0) + 1
            if request.key is not None:
                calls["by_key"][request.key] = calls["by_key"].get(request.key, 0) + 1
            if request.model is not None:
                calls["by_model"][request.model] = calls["by_model"].get(request.model, 0) + 1
            self._log.append(entry)
        return entry

    def _count_disconnect(self, request: _Request) -> None:
        with self._lock:
            self._calls["disconnects"] += 1
        request.entry["disconnected"] = True

    def _behaviour_for(self, request: _Request) -> tuple[str, dict]:
        """The behaviour this request meets, honouring the `models` and `times` options."""
        if request.key is None:
            return "ok", {}
        with self._lock:
            spec = self._keys.get(request.key)
            if spec is None:
                return "ok", {}
            behaviour = spec["behaviour"]
            if behaviour == "ok":
                return "ok", spec
            if "models" in spec and request.model not in spec["models"]:
                return "ok", spec
            if behaviour != "invalid":  # a dead key fails everywhere; the rest hit inference calls
                if request.model is None:
                    return "ok", spec
                if behaviour in ("no_balance", "no_balance_402") and spec.get("free_ok", True) \
                        and request.model in self.free_models:
                    return "ok", spec
            if request.model == NO_SUCH_MODEL:
                return "ok", spec  # answered 400 whatever the behaviour; don't use up `times`
            if "times" in spec:
                if spec["times"] <= 0:
                    return "ok", spec
                spec["times"] -= 1
            return behaviour, spec

    # --- answers ------------------------------------------------------------

    def _answer(self, request: _Request, behaviour: str, options: dict) -> _Reply:
        if self.user_info_gone and request.path == "/v1/user/info":
            return _Reply(410, USER_INFO_GONE)  # a retired endpoint checks no key
        if request.key is None:
            return _Reply(401, "Invalid token")
        if request.model == NO_SUCH_MODEL:
            return _Reply(400, MODEL_NOT_EXIST)
        if behaviour == "invalid":
            return _Reply(401, "Api key is invalid")
        if behaviour == "no_balance":
            return _Reply(403, BALANCE_INSUFFICIENT)
        if behaviour == "no_balance_402":
            return _Reply(402, BALANCE_INSUFFICIENT)
        if behaviour == "forbidden":
            reason = options.get("reason", "paid_only")
            if reason not in FORBIDDEN_REASONS:
                raise ValueError(f"forbidden reason must be one of {sorted(FORBIDDEN_REASONS)}")
            return _Reply(403, FORBIDDEN_REASONS[reason])
        if behaviour == "rate_limited":
            return _rate_limited(options)
        if behaviour == "overloaded":
            return _Reply(503, OVERLOADED)
        if behaviour == "server_error":
            return _Reply(int(options.get("status", 500)), SERVER_ERROR)
        if behaviour == "custom":
            headers = [(k.lower().encode(), str(v).encode()) for k, v in options.get("headers", {}).items()]
            return _Reply(int(options.get("status", 200)), options.get("body", ""), headers=headers)
        handler = ROUTES.get((request.method, request.path))
        if handler is None:
            return _Reply(200, {"path": request.path, "method": request.method})
        return handler(self, request, options)

    def _chat(self, request: _Request, options: dict) -> _Reply:
        model, n, finish = self._completion_size(request)
        rid = f"chatcmpl-fake-{request.entry['seq']}"
        usage = _usage(_words(request.data.get("messages")), n)
        if not request.stream:
            return _Reply(200, {
                "id": rid, "object": "chat.completion", "created": CREATED, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(_tokens(n))},
                             "finish_reason": finish}],
                "usage": usage, "system_fingerprint": "",
            })
        events = []
        for i, token in enumerate(_tokens(n)):
            last = i == n - 1
            chunk = {"id": rid, "object": "chat.completion.chunk", "created": CREATED, "model": model,
                     "choices": [{"index": 0, "delta": {"role": "assistant", "content": token} if i == 0
                                  else {"content": token}, "finish_reason": finish if last else None}],
                     "system_fingerprint": ""}
            if last:
                chunk["usage"] = usage  # SiliconFlow reports usage in the final chunk
            events.append(b"data: " + _dumps(chunk) + b"\n\n")
        return _Reply(200, content_type=SSE_TYPE, events=events, tail=[b"data: [DONE]\n\n"])

    def _completions(self, request: _Request, options: dict) -> _Reply:
        model, n, finish = self._completion_size(request)
        rid = f"cmpl-fake-{request.entry['seq']}"
        usage = _usage(_words(request.data.get("prompt")), n)

        def doc(text: str, finish_reason: str | None) -> dict:
            return {"id": rid, "object": "text_completion", "created": CREATED, "model": model,
                    "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish_reason}]}

        if not request.stream:
            return _Reply(200, {**doc("".join(_tokens(n)), finish), "usage": usage})
        events = []
        for i, token in enumerate(_tokens(n)):
            chunk = doc(token, finish if i == n - 1 else None)
            if i == n - 1:
                chunk["usage"] = usage
            events.append(b"data: " + _dumps(chunk) + b"\n\n")
        return _Reply(200, content_type=SSE_TYPE, events=events, tail=[b"data: [DONE]\n\n"])

    def _messages(self, request: _Request, options: dict) -> _Reply:
        """Anthropic-style `/v1/messages` (SiliconFlow serves it for Claude Code and friends)."""
        model, n, finish = self._completion_size(request)
        stop_reason = "end_turn" if finish == "stop" else "max_tokens"
        mid = f"msg_fake_{request.entry['seq']}"
        input_tokens = _words(request.data.get("messages")) + _words(request.data.get("system"))
        message = {"id": mid, "type": "message", "role": "assistant", "model": model, "content": [],
                   "stop_reason": None, "stop_sequence": None,
                   "usage": {"input_tokens": input_tokens, "output_tokens": 0}}
        if not request.stream:
            return _Reply(200, {**message, "content": [{"type": "text", "text": "".join(_tokens(n))}],
                                "stop_reason": stop_reason,
                                "usage": {"input_tokens": input_tokens, "output_tokens": n}})

        def event(name: str, data: dict) -> bytes:
            return b"event: " + name.encode() + b"\ndata: " + _dumps({"type": name, **data}) + b"\n\n"

        return _Reply(200, content_type=SSE_TYPE, lead=[
            event("message_start", {"message": message}),
            event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
        ], events=[
            event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": token}})
            for token in _tokens(n)
        ], tail=[
            event("content_block_stop", {"index": 0}),
            event("message_delta", {"delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                    "usage": {"output_tokens": n}}),
            event("message_stop", {}),
        ])

    def _completion_size(self, request: _Request) -> tuple[str, int, str]:
        n = max(1, int(self.chunks))
        limit = request.data.get("max_tokens")
        if isinstance(limit, int) and 0 < limit < n:
            return request.model or "", limit, "length"
        return request.model or "", n, "stop"

    def _embeddings(self, request: _Request, options: dict) -> _Reply:
        inputs = request.data.get("input", "")
        inputs = inputs if isinstance(inputs, list) else [inputs]
        dims = request.data.get("dimensions")
        dims = dims if isinstance(dims, int) and 0 < dims <= 4096 else 8
        as_base64 = request.data.get("encoding_format") == "base64"  # the openai SDK asks for base64
        data = []
        for index, text in enumerate(inputs):
            vector = _vector(request.model, text, dims)
            embedding = (base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
                         if as_base64 else vector)
            data.append({"object": "embedding", "embedding": embedding, "index": index})
        tokens = max(1, _words(inputs))
        return _Reply(200, {"object": "list", "data": data, "model": request.model,
                            "usage": {"prompt_tokens": tokens, "completion_tokens": 0, "total_tokens": tokens}})

    def _rerank(self, request: _Request, options: dict) -> _Reply:
        query = request.data.get("query", "")
        documents = request.data.get("documents") or []
        scored = []
        for index, doc in enumerate(documents):
            text = doc if isinstance(doc, str) else json.dumps(doc)
            score = int.from_bytes(_digest(request.model, query, text)[:4], "big") / 2**32
            result = {"index": index, "relevance_score": round(score, 6)}
            if request.data.get("return_documents", True):
                result["document"] = {"text": text}
            scored.append(result)
        scored.sort(key=lambda r: -r["relevance_score"])
        top_n = request.data.get("top_n")
        if isinstance(top_n, int) and top_n > 0:
            scored = scored[:top_n]
        tokens = max(1, _words(query) + _words(documents))
        return _Reply(200, {"id": f"rerank-fake-{request.entry['seq']}", "results": scored,
                            "meta": {"billed_units": {"input_tokens": tokens, "output_tokens": 0,
                                                      "search_units": 0, "classifications": 0},
                                     "tokens": {"input_tokens": tokens, "output_tokens": 0}}})

    def _images(self, request: _Request, options: dict) -> _Reply:
        count = request.data.get("batch_size") or request.data.get("n") or 1
        name = _digest(request.model, request.data.get("prompt")).hex()[:16]
        images = [{"url": f"https://fake-siliconflow.invalid/outputs/{name}-{i}.png"} for i in range(int(count))]
        seed = request.data.get("seed") if isinstance(request.data.get("seed"), int) else 42
        # SiliconFlow's shape is images/timings/seed; `data` mirrors images for OpenAI clients.
        return _Reply(200, {"images": images, "data": images, "timings": {"inference": 0.01},
                            "seed": seed, "created": CREATED})

    def _speech(self, request: _Request, options: dict) -> _Reply:
        seed = _digest(request.model, request.data.get("voice"), request.data.get("input"))
        audio = b"ID3\x04\x00\x00\x00\x00\x00\x00" + (seed * 128)[:4086]  # 4 KiB, deterministic
        return _Reply(200, audio, content_type=b"audio/mpeg")

    def _transcriptions(self, request: _Request, options: dict) -> _Reply:
        size = request.data.get("__file_size")
        if size is None:
            return _Reply(400, INVALID_PARAM)
        return _Reply(200, {"text": f"fake transcription by {request.model} of {size} bytes", "bytes": size})

    def _models(self, request: _Request, options: dict) -> _Reply:
        ids = list(dict.fromkeys([*self.free_models, *PAID_MODELS]))
        return _Reply(200, {"object": "list", "data": [
            {"id": mid, "object": "model", "created": 0, "owned_by": ""} for mid in ids]})

    def _user_info(self, request: _Request, options: dict) -> _Reply:
        spec = self._keys.get(request.key, {})
        broke = spec.get("behaviour") in ("no_balance", "no_balance_402")
        total, gift, charge = _balances(spec, "0" if broke else DEFAULT_BALANCE)
        uid = _digest(request.key).hex()[:12]
        return _Reply(200, {"code": 20000, "message": "OK", "status": True, "data": {
            "id": f"user-{uid}", "name": f"fake-{uid[:6]}", "image": "", "email": "", "isAdmin": False,
            "balance": gift, "status": "normal", "introduction": "", "role": "",
            "chargeBalance": charge, "totalBalance": total}})

    # --- control endpoints --------------------------------------------------

    def _control(self, method: str, path: str, body: bytes) -> _Reply:
        try:
            payload = json.loads(body) if body.strip() else {}
            if path == "/__fake/calls" and method == "GET":
                return _Reply(200, self.calls)
            if path == "/__fake/keys":
                if method == "POST":
                    self.set_keys(payload)
                return _Reply(200, self.keys())
            if path == "/__fake/config":
                if method == "POST":
                    self.configure(**payload)
                return _Reply(200, self.config())
            if path == "/__fake/reset" and method == "POST":
                self.reset_calls() if payload.get("calls_only") else self.reset()
                return _Reply(200, {"ok": True})
            if path == "/__fake/health":
                return _Reply(200, {"ok": True})
        except (ValueError, TypeError, AttributeError) as exc:
            return _Reply(400, {"error": str(exc)})
        return _Reply(404, {"error": f"no control endpoint {method} {path}"})

    # --- sending ------------------------------------------------------------

    async def _send(self, send: Callable, reply: _Reply, request: _Request | None,
                    break_options: dict | None) -> None:
        headers = [(b"content-type", reply.content_type), *CORS, *reply.headers]
        if reply.events is None:
            body = reply.body if isinstance(reply.body, bytes) else _dumps(reply.body)
            headers.append((b"content-length", str(len(body)).encode()))
            await send({"type": "http.response.start", "status": reply.status, "headers": headers})
            if break_options is not None:  # promise the whole body, deliver half, hang up
                await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
                raise _Abort()
            await send({"type": "http.response.body", "body": body})
            return

        headers.append((b"cache-control", b"no-cache"))
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        for event in reply.lead:
            await send({"type": "http.response.body", "body": event, "more_body": True})
        stop_at = None
        if break_options is not None:
            stop_at = min(int(break_options.get("break_after", 2)), len(reply.events) - 1)
        delay = self.chunk_delay_ms / 1000
        for i, event in enumerate(reply.events):
            if i and delay and await self._pause(request, delay):
                return self._count_disconnect(request)
            if request.disconnected.is_set():
                return self._count_disconnect(request)
            if i == stop_at:
                raise _Abort()
            await send({"type": "http.response.body", "body": event, "more_body": True})
        for event in reply.tail:
            await send({"type": "http.response.body", "body": event, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


ROUTES: dict[tuple[str, str], Callable[[FakeSiliconFlow, _Request, dict], _Reply]] = {
    ("POST", "/v1/chat/completions"): FakeSiliconFlow._chat,
    ("POST", "/v1/completions"): FakeSiliconFlow._completions,
    ("POST", "/v1/messages"): FakeSiliconFlow._messages,
    ("POST", "/v1/embeddings"): FakeSiliconFlow._embeddings,
    ("POST", "/v1/rerank"): FakeSiliconFlow._rerank,
    ("POST", "/v1/images/generations"): FakeSiliconFlow._images,
    ("POST", "/v1/audio/speech"): FakeSiliconFlow._speech,
    ("POST", "/v1/audio/transcriptions"): FakeSiliconFlow._transcriptions,
    ("GET", "/v1/models"): FakeSiliconFlow._models,
    ("GET", "/v1/user/info"): FakeSiliconFlow._user_info,
}


# --- helpers ----------------------------------------------------------------

def _bearer(headers: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    return headers.get("x-api-key") or None  # Anthropic clients on /v1/messages


def _parse_body(content_type: str, body: bytes) -> dict:
    if not body:
        return {}
    if content_type.startswith("multipart/form-data"):
        return _parse_multipart(content_type, body)
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _parse_multipart(content_type: str, body: bytes) -> dict:
    """Just enough multipart/form-data: text fields by name, and the size of the `file` part."""
    boundary = next((p.split("=", 1)[1].strip().strip('"') for p in content_type.split(";")
                     if p.strip().startswith("boundary=")), None)
    if not boundary:
        return {}
    fields: dict[str, Any] = {}
    for part in body.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.partition(b"\r\n\r\n")
        content = content[:-2] if content.endswith(b"\r\n") else content
        disposition = next((line for line in head.decode("latin-1").split("\r\n")
                            if line.lower().startswith("content-disposition")), "")
        name = next((p.split("=", 1)[1].strip().strip('"') for p in disposition.split(";")
                     if p.strip().startswith("name=")), None)
        if name == "file":
            fields["__file_size"] = len(content)
        elif name:
            fields[name] = content.decode("utf-8", "replace")
    return fields


def _tokens(n: int) -> list[str]:
    return [f"tok{i} " for i in range(n)]


def _usage(prompt_tokens: int, completion_tokens: int) -> dict:
    prompt_tokens = max(1, prompt_tokens)
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def _vector(model: str | None, text: Any, dims: int) -> list[float]:
    raw = b""
    counter = 0
    while len(raw) < dims * 2:
        raw += _digest(model, text, counter)
        counter += 1
    return [round(int.from_bytes(raw[2 * i:2 * i + 2], "big") / 32768 - 1, 6) for i in range(dims)]


def _balances(spec: dict, default_total: str) -> tuple[str, str, str]:
    """(totalBalance, balance (gift), chargeBalance) as strings; missing ones follow from the others."""
    total, gift, charge = spec.get("balance"), spec.get("gift_balance"), spec.get("charge_balance")
    if total is None:
        total = default_total if gift is None and charge is None else _decimal(gift) + _decimal(charge)
    if gift is None and charge is None:
        gift, charge = total, "0"
    elif gift is None:
        gift = _decimal(total) - _decimal(charge)
    elif charge is None:
        charge = _decimal(total) - _decimal(gift)
    return str(total), str(gift), str(charge)


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else "0"))


def _rate_limited(options: dict) -> _Reply:
    limit = str(options.get("limit", "TPM")).upper()
    body: dict[str, Any] = {"message": f"Request was rejected due to rate limiting. Details: {limit} limit reached.",
                            "data": None}
    if options.get("with_code", True) and limit in RATE_LIMIT_CODES:
        body = {"code": RATE_LIMIT_CODES[limit], **body}
    headers = []
    if options.get("retry_after") is not None:
        headers.append((b"retry-after", str(options["retry_after"]).encode()))
    return _Reply(429, body, headers=headers)


async def _watch_disconnect(receive: Callable, event: asyncio.Event) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            event.set()
            return


async def _wait_or_disconnect(event: asyncio.Event, seconds: float) -> bool:
    """Sleep `seconds`, waking early when the client goes away; True if it went away."""
    try:
        await asyncio.wait_for(event.wait(), seconds)
        return True
    except asyncio.TimeoutError:
        return False


# --- separate process -------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake SiliconFlow API server for tests and benchmarks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed as READY <port>)")
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--chunk-delay-ms", type=float, default=0)
    parser.add_argument("--chunks", type=int, default=5)
    parser.add_argument("--user-info-gone", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    fake = FakeSiliconFlow(host=args.host, port=args.port, latency_ms=args.latency_ms,
                           chunk_delay_ms=args.chunk_delay_ms, chunks=args.chunks,
                           user_info_gone=args.user_info_gone).start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print(f"READY {fake.port}", flush=True)
    while not stop.wait(1):  # a timed wait lets signal handlers run
        pass
    fake.stop()


if __name__ == "__main__":
    sys.exit(main())
