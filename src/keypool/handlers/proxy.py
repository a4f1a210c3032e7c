"""/v1/*: the OpenAI-compatible pass-through with failover across upstream keys.

A request walks the pool until a key answers. Two budgets bound the walk,
by what the failures mean (core/upstream_errors.py): answers that prove a
key unusable (401, 402 / 403 30001, other 403) cost a failover
(`max_key_failovers`), so a pool full of dead keys stays invisible to
clients; transient trouble (429, 5xx, timeouts, connection errors) costs an
attempt (`max_attempts`). `request_deadline_s` stops the walk in any case,
and the answer then says how many keys were tried and why they failed.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ..clients import ClientGate
from ..core.request_body import BodyError, read_asked
from ..core.selection import NoKey
from ..core.upstream_errors import OK, Outcome, classify, unreachable
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
# What is forwarded: /v1 and below, in plain path characters (RFC 3986 pchar, no percent
# escapes left after decoding), never a dot segment: nothing can reach past /v1 upstream.
_FORWARDABLE = re.compile(r"/v1(?:/[A-Za-z0-9._~!$&'()*+,;=:@-]+)*/?")
ERROR_BODY_LIMIT = 64 * 1024
SMALL_BODY = 256 * 1024  # answers up to this size are read whole (usage is in them) and sent as bytes
USER_INFO = "/v1/user/info"


def check_path(path: str) -> None:
    if not _FORWARDABLE.fullmatch(path) or any(segment in (".", "..") for segment in path.split("/")):
        raise HTTPError(400, "path not allowed under /v1: no dot segments, encoded slashes or other escapes",
                        code="invalid_path")


def is_proxied(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


def forward_headers(request: Request, key: str) -> list[tuple[str, str]]:
    headers = [(name, value) for name, value in request.headers.items()
               if name not in _DROP_REQUEST_HEADERS and not name.startswith("cf-")]
    headers.append(("authorization", f"Bearer {key}"))
    return headers


def _with_cors(response: Response) -> Response:
    response.headers.extend(CORS)
    return response


class UsageObserver:
    """Finishes the log entry of a streamed success once the body has ended."""

    def __init__(self, proxy: "Proxy", entry: dict[str, Any], started: float, defer, request_bytes: int):
        self.proxy, self.entry, self.started, self.defer = proxy, entry, started, defer
        self.request_bytes = request_bytes
        self.reader = UsageReader()

    def feed(self, chunk: bytes) -> None:
        self.reader.feed(chunk)

    def finish(self, error: str | None) -> None:
        # A body cut short reported no usage: charge what passed (core/usage.py).
        usage = self.reader.estimate(self.request_bytes) if error else self.reader.usage()
        self.entry.update(
            latency_ms=round((self.proxy.clock.now() - self.started) * 1000, 2),
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
        )
        if error:
            self.entry["error_class"] = "client_disconnected" if error == CLIENT_GONE else "stream_broken"
        self.proxy.finish(self.entry, self.defer)


class Walk:
    """A request's way through the pool: calls made, what each failure meant, why it stopped."""

    def __init__(self, settings: dict[str, Any], deadline: float):
        self.settings, self.deadline = settings, deadline
        self.calls = 0
        self.retries = 0    # transient failures: bounded by max_attempts
        self.failovers = 0  # keys proved unusable: each one's successor is a failover (max_key_failovers)
        self.failures: Counter[str] = Counter()
        self.last: tuple[Outcome, int, bytes, list[tuple[str, str]]] | None = None
        self.rate_limited: Outcome | None = None

    def failed(self, outcome: Outcome, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.failures[outcome.error_class] += 1
        if outcome.about_the_key:
            self.failovers += 1
        else:
            self.retries += 1
            self.last = (outcome, status, body, headers)
            if outcome.error_class == "rate_limited":
                self.rate_limited = outcome

    def stop(self, now: float) -> str | None:
        if self.retries >= self.settings["max_attempts"]:
            return f"stopped after {self.retries} transient failure{'s' if self.retries != 1 else ''} (max_attempts)"
        limit = self.settings["max_key_failovers"]
        if self.failovers > limit:
            return f"stopped after {limit} failover{'s' if limit != 1 else ''} from unusable keys (max_key_failovers)"
        if now >= self.deadline:
            return f"stopped after {self.settings['request_deadline_s']} s (request_deadline_s)"
        return None

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.failures.items(), key=lambda item: -item[1]))
        return f"tried {self.calls} key{'s' if self.calls != 1 else ''} ({kinds})"


class Proxy:
    def __init__(self, services: Services, pool: KeyPool, gate: ClientGate, recorder: RequestRecorder):
        self.services = services
        self.clock = services.clock
        self.pool = pool
        self.gate = gate
        self.recorder = recorder
        gate.written = lambda: recorder.written  # quotas count what this process wrote (clients.py)

    def finish(self, entry: dict[str, Any], defer) -> None:
        self.gate.finish(entry["client_key_id"], (entry.get("prompt_tokens") or 0)
                         + (entry.get("completion_tokens") or 0), entry["charged"])
        self.recorder.record(entry, defer, self.pool.settings)

    async def refuse_early(self, method: str, path: str, headers: dict[str, str]) -> Response | None:
        """For the shells, before they read a body: what the path and the headers alone refuse
        (an unknown client key cannot make the process read a 32 MB body)."""
        if not is_proxied(path) or method == "OPTIONS":
            return None
        try:
            check_path(path)
            await self.gate.identify(headers)
        except HTTPError as exc:
            return _with_cors(exc.to_response())
        except Exception:  # e.g. the database is down: the app's own path answers it cleanly
            return None
        return None

    async def __call__(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return preflight(request)
        try:
            check_path(request.path)
            client = await self.gate.identify(request.headers)
            try:
                asked = read_asked(request.body, request.headers.get("content-type", ""))
            except BodyError as exc:
                raise HTTPError(400, str(exc), code="invalid_request_body") from None
            self.gate.check_model(client, asked)
            if request.path.rstrip("/") == USER_INFO and not client["allow_upstream_key"]:
                raise HTTPError(403, "the pooled accounts' user/info needs a client key with allow_upstream_key",
                                code="upstream_key_not_allowed")
            self.gate.admit(client)
        except HTTPError as exc:
            return _with_cors(exc.to_response())
        return _with_cors(await self.forward(request, client, asked.model, asked.stream))

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
            "charged": True,
        }
        walk = Walk(settings, started + settings["request_deadline_s"])
        exclude: set[int] = set()
        none_left: NoKey | None = None
        while (stopped := walk.stop(self.clock.now())) is None:
            candidate = await self.pool.pick(model, exclude, walk.deadline, claim=True)
            if isinstance(candidate, NoKey):
                none_left = candidate
                break
            walk.calls += 1
            entry.update(attempts=walk.calls, key_id=candidate.id)
            exclude.add(candidate.id)
            learned = False
            try:
                try:
                    upstream = await self.services.upstream.send(
                        request.method, url, forward_headers(request, candidate.key),
                        request.body or None, settings["upstream_timeout_s"], defer=request.defer)
                except UpstreamError as exc:
                    outcome = unreachable(str(exc))
                    self.pool.learn(candidate, model, outcome, request.defer)
                    learned = True
                    walk.failed(outcome, 504 if exc.timeout else 502, b"", [])
                    continue
                if upstream.status < 400:
                    body = None
                    if self._small(request, upstream):
                        body = await upstream.read(SMALL_BODY)
                        if len(body) < upstream.length:  # cut short, and the client saw nothing yet
                            outcome = unreachable("the upstream's answer was cut short")
                            self.pool.learn(candidate, model, outcome, request.defer)
                            learned = True
                            walk.failed(outcome, 502, b"", [])
                            continue
                    self.pool.learn(candidate, model, OK, request.defer)
                    learned = True
                    return await self._relay(request, upstream, entry, started, body)
                body = await upstream.read(ERROR_BODY_LIMIT)
                outcome = classify(upstream.status, body, dict(upstream.headers).get("retry-after"), self.clock.now())
                self.pool.learn(candidate, model, outcome, request.defer)
                learned = True
            finally:
                if not learned:  # a bug or a cancelled request: the key must not stay held
                    self.pool.release(candidate, False)
            if not outcome.retry:
                # The request's own fault (unknown model, bad parameters): the client sees it as is.
                self._log_failure(entry, upstream.status, outcome.error_class, started, request)
                return Response(upstream.status, list(upstream.headers), body)
            walk.failed(outcome, upstream.status, body, list(upstream.headers))
        return self._give_up(request, entry, started, walk, none_left, stopped)

    @staticmethod
    def _small(request: Request, upstream) -> bool:
        """A short answer that is no event stream (a non-streamed chat): read whole, not relayed.
        Building a relay (tee, pipes, tasks) costs a Worker more CPU than the bytes do."""
        return (request.method != "HEAD" and upstream.length is not None and upstream.length <= SMALL_BODY
                and "text/event-stream" not in dict(upstream.headers).get("content-type", ""))

    async def _relay(self, request: Request, upstream, entry: dict[str, Any], started: float,
                     body: bytes | None) -> Response:
        entry.update(status=upstream.status, ttfb_ms=round((self.clock.now() - started) * 1000, 2))
        observer = UsageObserver(self, entry, started, request.defer, len(request.body))
        if request.method == "HEAD":  # no body will be read: the request ends here, and is counted
            await upstream.close()
            observer.finish(None)
            return Response(upstream.status, list(upstream.headers), b"")
        if body is not None:
            observer.feed(body)
            observer.finish(None)
            return Response(upstream.status, list(upstream.headers), body)
        sse = "text/event-stream" in dict(upstream.headers).get("content-type", "")
        return Response(upstream.status, list(upstream.headers), upstream.relay(observer, sse))

    def _log_failure(self, entry, status, error_class, started, request) -> None:
        entry.update(status=status, error_class=error_class,
                     latency_ms=round((self.clock.now() - started) * 1000, 2))
        self.finish(entry, request.defer)

    def _give_up(self, request: Request, entry: dict[str, Any], started: float, walk: Walk,
                 none_left: NoKey | None, stopped: str | None) -> Response:
        if walk.calls == 0:
            assert none_left is not None
            headers = [("retry-after", str(int(none_left.retry_after + 0.999)))] if none_left.retry_after else []
            response = Response.error(503, none_left.reason, code="no_available_key", headers=headers)
            entry["charged"] = False  # the pool failed it without asking the upstream
            self._log_failure(entry, 503, "no_key", started, request)
            return response
        why = f"{walk.summary()}; {stopped or none_left.reason}"
        if walk.rate_limited is not None:
            wait = int((walk.rate_limited.block_s or 60) + 0.999)
            response = Response.error(429, f"upstream rate limit reached: {why}: {walk.rate_limited.message}",
                                      code="rate_limit_exceeded", headers=[("retry-after", str(wait))])
            error_class = "rate_limited"
        elif walk.last is not None:
            outcome, status, _, _ = walk.last
            response = Response.error(status, f"upstream error: {why}: {outcome.message}", code="upstream_error")
            error_class = outcome.error_class
        else:
            headers = [("retry-after", str(int(none_left.retry_after + 0.999)))] \
                if none_left is not None and none_left.retry_after else []
            response = Response.error(503, f"no usable key: {why}", code="no_available_key", headers=headers)
            error_class = walk.failures.most_common(1)[0][0]
        self._log_failure(entry, response.status, error_class, started, request)
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
