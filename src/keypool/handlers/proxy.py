"""/v1/*: the OpenAI-compatible pass-through with failover across upstream keys."""

from __future__ import annotations

import json
import re
from typing import Any

from ..clients import ClientGate
from ..core.selection import NoKey
from ..core.upstream_errors import Outcome, classify, unreachable
from ..core.usage import UsageReader
from ..http import HTTPError, Request, Response
from ..pool import KeyPool
from ..ports import CLIENT_GONE, UpstreamError
from ..recorder import RequestRecorder
from ..routing import Route
from ..services import Services

CORS = [("access-control-allow-origin", "*")]
# Not forwarded upstream: hop-by-hop, our client's credentials, and what the runtime sets itself.
_DROP_REQUEST_HEADERS = {
    "host", "connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer",
    "transfer-encoding", "upgrade", "content-length", "authorization", "x-api-key", "cookie",
    "accept-encoding", "origin", "referer", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
    "x-real-ip", "forwarded",
}
_MULTIPART_MODEL = re.compile(rb'name="model"\r\n(?:[^\r\n]*\r\n)*\r\n([^\r\n]{1,200})\r\n')
ERROR_BODY_LIMIT = 64 * 1024


def request_model(request: Request) -> tuple[str, bool]:
    """The model asked for (or "") and whether a stream is wanted, without failing on odd bodies."""
    content_type = request.headers.get("content-type", "")
    if request.body and "multipart/form-data" in content_type:
        found = _MULTIPART_MODEL.search(request.body[:65536])
        return (found.group(1).decode("utf-8", "replace").strip() if found else ""), False
    if not request.body or (content_type and "json" not in content_type):
        return "", False
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return "", False
    if not isinstance(data, dict):
        return "", False
    model = data.get("model")
    return (model if isinstance(model, str) else ""), data.get("stream") is True


def forward_headers(request: Request, key: str) -> list[tuple[str, str]]:
    headers = [(name, value) for name, value in request.headers.items()
               if name not in _DROP_REQUEST_HEADERS and not name.startswith("cf-")]
    headers.append(("authorization", f"Bearer {key}"))
    return headers


class UsageObserver:
    """Finishes the log entry of a streamed success once the body has ended."""

    def __init__(self, proxy: "Proxy", entry: dict[str, Any], started: float, defer):
        self.proxy, self.entry, self.started, self.defer = proxy, entry, started, defer
        self.reader = UsageReader()

    def feed(self, chunk: bytes) -> None:
        self.reader.feed(chunk)

    def finish(self, error: str | None) -> None:
        usage = self.reader.usage()
        self.entry.update(
            latency_ms=round((self.proxy.clock.now() - self.started) * 1000, 2),
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
        )
        if error:
            self.entry["error_class"] = "client_disconnected" if error == CLIENT_GONE else "stream_broken"
        self.proxy.finish(self.entry, self.defer)


class Proxy:
    def __init__(self, services: Services, pool: KeyPool, gate: ClientGate, recorder: RequestRecorder):
        self.services = services
        self.clock = services.clock
        self.pool = pool
        self.gate = gate
        self.recorder = recorder

    def finish(self, entry: dict[str, Any], defer) -> None:
        self.gate.spend(entry.get("client_key_id"), (entry.get("prompt_tokens") or 0)
                        + (entry.get("completion_tokens") or 0))
        self.recorder.record(entry, defer)

    async def __call__(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return preflight(request)
        try:
            client = await self.gate.authenticate(request)
            model, stream = request_model(request)
            self.gate.check_model(client, model)
        except HTTPError as exc:
            response = exc.to_response()
            response.headers.extend(CORS)
            return response
        response = await self.forward(request, client, model, stream)
        response.headers.extend(CORS)
        return response

    async def forward(self, request: Request, client: dict[str, Any], model: str, stream: bool) -> Response:
        started = self.clock.now()
        await self.pool.selector()  # loads the settings with the keys when stale
        settings = self.pool.settings
        url = self.services.settings.upstream_base_url + request.path
        if request.query_string:
            url += "?" + request.query_string
        entry: dict[str, Any] = {
            "ts": started, "client_key_id": client["id"], "key_id": None, "method": request.method,
            "endpoint": request.path, "model": model or None, "stream": int(stream), "attempts": 0,
        }
        exclude: set[int] = set()
        last: tuple[Outcome, int, bytes, list[tuple[str, str]]] | None = None
        none_left: NoKey | None = None
        while entry["attempts"] < settings["max_attempts"]:
            candidate = await self.pool.pick(model, exclude)
            if isinstance(candidate, NoKey):
                none_left = candidate
                break
            entry["attempts"] += 1
            entry["key_id"] = candidate.id
            exclude.add(candidate.id)
            try:
                upstream = await self.services.upstream.send(
                    request.method, url, forward_headers(request, candidate.key),
                    request.body or None, settings["upstream_timeout_s"], defer=request.defer)
            except UpstreamError as exc:
                outcome = unreachable(str(exc))
                self.pool.learn(candidate, model, outcome, request.defer)
                last = (outcome, 504 if exc.timeout else 502, b"", [])
                continue
            if upstream.status < 400:
                entry.update(status=upstream.status, ttfb_ms=round((self.clock.now() - started) * 1000, 2))
                sse = "text/event-stream" in dict(upstream.headers).get("content-type", "")
                body = upstream.relay(UsageObserver(self, entry, started, request.defer), sse)
                return Response(upstream.status, list(upstream.headers), body)
            body = await upstream.read(ERROR_BODY_LIMIT)
            outcome = classify(upstream.status, body, dict(upstream.headers).get("retry-after"), self.clock.now())
            self.pool.learn(candidate, model, outcome, request.defer)
            if not outcome.retry:
                # The request's own fault (unknown model, bad parameters): the client sees it as is.
                self._log_failure(entry, upstream.status, outcome.error_class, started, request)
                return Response(upstream.status, list(upstream.headers), body)
            last = (outcome, upstream.status, body, list(upstream.headers))
        return self._give_up(request, entry, started, last, none_left)

    def _log_failure(self, entry, status, error_class, started, request) -> None:
        entry.update(status=status, error_class=error_class,
                     latency_ms=round((self.clock.now() - started) * 1000, 2))
        self.finish(entry, request.defer)

    def _give_up(self, request: Request, entry: dict[str, Any], started: float,
                 last: tuple[Outcome, int, bytes, list] | None, none_left: NoKey | None) -> Response:
        attempts = entry["attempts"]
        if last is None:
            assert none_left is not None
            headers = [("retry-after", str(int(none_left.retry_after + 0.999)))] if none_left.retry_after else []
            response = Response.error(503, none_left.reason, code="no_available_key", headers=headers)
            self._log_failure(entry, 503, "no_key", started, request)
            return response
        outcome, status, _, _ = last
        tried = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
        if outcome.error_class == "rate_limited":
            wait = int((outcome.block_s or 60) + 0.999)
            response = Response.error(429, f"upstream rate limit reached {tried}: {outcome.message}",
                                      code="rate_limit_exceeded", headers=[("retry-after", str(wait))])
        elif outcome.error_class == "upstream_error":
            response = Response.error(status, f"upstream error {tried}: {outcome.message}", code="upstream_error")
        else:
            response = Response.error(503, f"no usable key {tried}: last key {outcome.error_class} "
                                           f"({outcome.message})", code="no_available_key")
        self._log_failure(entry, response.status, outcome.error_class, started, request)
        return response


def preflight(request: Request) -> Response:
    asked = request.headers.get("access-control-request-headers") or "authorization, content-type"
    return Response(204, [
        *CORS,
        ("access-control-allow-methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS"),
        ("access-control-allow-headers", asked),
        ("access-control-max-age", "86400"),
    ])


ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def routes(proxy: Proxy) -> list[Route]:
    return [Route("/v1/{rest:path}", proxy, ALL_METHODS)]
