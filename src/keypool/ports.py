"""What the application needs from a runtime. Adapters in `adapters/` implement these.

The Worker shell wires D1, Workers `fetch` and KV; the local server wires
SQLite, aiohttp and files. Tests wire the same real adapters on real backends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Protocol, Sequence

Params = Sequence[Any]


@dataclass(frozen=True)
class RunResult:
    changes: int
    last_row_id: int | None = None


class DatabaseError(Exception):
    """A statement failed; the message names the statement (never its parameters)."""


class Database(Protocol):
    async def all(self, sql: str, params: Params = ()) -> list[dict[str, Any]]: ...

    async def first(self, sql: str, params: Params = ()) -> dict[str, Any] | None: ...

    async def run(self, sql: str, params: Params = ()) -> RunResult: ...

    async def read(self, statements: Sequence[tuple[str, Params]]) -> list[list[dict[str, Any]]]:
        """Rows of several SELECTs in one round trip (a D1 batch)."""
        ...

    async def batch(self, statements: Sequence[tuple[str, Params]]) -> list[RunResult]:
        """Run statements atomically: all of them or none."""
        ...

    async def script(self, sql: str) -> None:
        """Run a multi-statement script (schema migrations) as one transaction."""
        ...


# What `StreamObserver.finish` is told when our client went away mid-body.
CLIENT_GONE = "client disconnected"


class StreamObserver(Protocol):
    """Sees a copy of a relayed body, off the client's byte path where the runtime allows."""

    def feed(self, chunk: bytes) -> None: ...

    def finish(self, error: str | None) -> None:
        """The body ended: None when complete, else why not (CLIENT_GONE or a message)."""
        ...


class UpstreamResponse(Protocol):
    status: int
    headers: list[tuple[str, str]]
    length: int | None  # the declared content-length, if any

    async def read(self, limit: int = 1 << 20) -> bytes:
        """The whole body (up to `limit` bytes), then the connection is released."""
        ...

    def relay(self, observer: StreamObserver | None, sse: bool) -> Any:
        """A body the runtime shell can stream to the client without buffering.

        `observer` gets the bytes too; `sse` asks for an SSE error event (and no
        `[DONE]`) if the upstream breaks after the first byte.
        """
        ...

    async def close(self) -> None: ...


class UpstreamError(Exception):
    """No answer: connection refused, reset or timed out before the status line."""

    def __init__(self, message: str, timeout: bool = False):
        super().__init__(message)
        self.timeout = timeout


class Upstream(Protocol):
    async def send(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes | None,
        timeout: float,
        defer: "Defer | None" = None,
    ) -> UpstreamResponse:
        """`timeout` bounds the wait for the status line. `defer` is the request's
        waitUntil, for runtimes that finish a relay after the response returned."""
        ...


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str | None = None  # known to the store already (KV metadata); else derived from the body


class Assets(Protocol):
    async def get(self, path: str) -> Asset | None: ...


class KeyDerivation(Protocol):
    async def pbkdf2_sha256(self, password: bytes, salt: bytes, iterations: int) -> bytes:
        """32 bytes of PBKDF2-HMAC-SHA256 (hashlib locally, WebCrypto in the Worker)."""
        ...


class Resolver(Protocol):
    async def addresses(self, host: str) -> list[str]:
        """The IP addresses a host name resolves to (empty where the runtime cannot tell)."""
        ...


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


# Schedules a coroutine to finish after the response went out
# (ctx.waitUntil in the Worker, a tracked task locally).
Defer = Callable[[Awaitable[Any]], None]
