"""Client keys at request time: who is calling /v1, and may they."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Callable

from .core.client_keys import hash_client_key
from .core.request_body import Asked
from .http import HTTPError, Request
from .ports import Clock
from .store import Store

CACHE_TTL_S = 30.0
MISS_TTL_S = 10.0
MAX_MISSES = 10_000

# [requests, tokens] per client key id that this process has written to the database so far.
Written = Callable[[], dict[int, list[int]]]
_WRITTEN = "_written_by_this_process"  # on a cached row: `Written` for it, as of just before it was read


class ClientGate:
    """Authenticates client keys from an in-memory cache (no database read per
    request) and enforces expiry, model allowlist, requests per minute and quotas.

    A request's quota is reserved when it is admitted, and given back if the pool
    failed it without asking the upstream, so concurrent requests in one process
    cannot overshoot a request quota. What a client key has used = its row as
    read from the database, minus what this process had written of it before
    that read, plus everything this process counted for it (in flight, finished,
    written or not). Other processes (Worker isolates) show up when the row is
    read again, after CACHE_TTL_S. The per-minute window is per process."""

    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock
        self.written: Written = dict  # the recorder's counts, wired by the proxy
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}  # key hash -> (read at, row)
        self._reading: dict[str, asyncio.Future] = {}
        self._recent: dict[int, deque[float]] = {}
        self._counted: dict[int, list[int]] = {}  # [requests, tokens] this process counted, ever

    def invalidate(self) -> None:
        self._cache.clear()

    @staticmethod
    def token_of(headers: dict[str, str]) -> str | None:
        auth = headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        return headers.get("x-api-key") or None

    async def lookup(self, token: str) -> dict[str, Any] | None:
        key_hash = hash_client_key(token)
        cached = self._cache.get(key_hash)
        if cached and self.clock.now() - cached[0] < (CACHE_TTL_S if cached[1] else MISS_TTL_S):
            return cached[1]
        reading = self._reading.get(key_hash)
        if reading is None:  # requests arriving together share one database read
            reading = self._reading[key_hash] = asyncio.ensure_future(self._read(key_hash))
            reading.add_done_callback(lambda done: self._reading.pop(key_hash, None))
        return await asyncio.shield(reading)

    async def _read(self, key_hash: str) -> dict[str, Any] | None:
        now = self.clock.now()
        # Taken before the read: a batch written while it runs may be in the row and is then
        # counted twice until the next read, which errs on the side of the quota.
        written = {client_id: list(counts) for client_id, counts in self.written().items()}
        row = await self.store.client_keys.by_hash(key_hash)
        if row is not None:
            row[_WRITTEN] = written.get(row["id"], [0, 0])
        elif len(self._cache) > MAX_MISSES:
            self._cache = {h: v for h, v in self._cache.items() if v[1] is not None}
        self._cache[key_hash] = (now, row)
        return row

    def used(self, client: dict[str, Any]) -> tuple[int, int]:
        """(requests, tokens) a client key has used, as far as this process can tell."""
        before = client.get(_WRITTEN, [0, 0])
        counted = self._counted.get(client["id"], [0, 0])
        return (client["request_count"] - before[0] + counted[0],
                client["prompt_tokens"] + client["completion_tokens"] - before[1] + counted[1])

    async def identify(self, headers: dict[str, str]) -> dict[str, Any]:
        """The caller's client key, from the headers alone: 401/403 if it may not call at all."""
        token = self.token_of(headers)
        if not token:
            raise HTTPError(401, "missing API key: send 'Authorization: Bearer <client key>'",
                            code="invalid_api_key")
        if len(token) > 200:
            raise HTTPError(401, "incorrect API key provided", code="invalid_api_key")
        client = await self.lookup(token)
        if client is None:
            raise HTTPError(401, "incorrect API key provided", code="invalid_api_key")
        if not client["enabled"]:
            raise HTTPError(403, "this client key is disabled", code="client_key_disabled")
        if client["expires_at"] and client["expires_at"] <= self.clock.now():
            raise HTTPError(403, "this client key has expired", code="client_key_expired")
        return client

    async def authenticate(self, request: Request) -> dict[str, Any]:
        return await self.identify(request.headers)

    def admit(self, client: dict[str, Any]) -> None:
        """Quotas and the per-minute limit; reserves one request of the quota (see `finish`)."""
        now = self.clock.now()
        requests, tokens = self.used(client)
        if client["request_quota"] is not None and requests >= client["request_quota"]:
            raise HTTPError(429, "this client key has used its request quota", code="insufficient_quota")
        if client["token_quota"] is not None and tokens >= client["token_quota"]:
            raise HTTPError(429, "this client key has used its token quota", code="insufficient_quota")
        if client["rpm_limit"]:
            recent = self._recent.setdefault(client["id"], deque())
            while recent and recent[0] <= now - 60:
                recent.popleft()
            if len(recent) >= client["rpm_limit"]:
                wait = max(int(recent[0] + 60 - now) + 1, 1)
                raise HTTPError(429, f"rate limit of {client['rpm_limit']} requests per minute reached",
                                code="rate_limit_exceeded", headers=[("retry-after", str(wait))])
            recent.append(now)
        self._counted.setdefault(client["id"], [0, 0])[0] += 1

    def finish(self, client_id: int, tokens: int, charged: bool) -> None:
        """An admitted request ended: add its tokens; give back its request if it is not charged."""
        counted = self._counted.setdefault(client_id, [0, 0])
        counted[1] += tokens
        if not charged:
            counted[0] -= 1

    @staticmethod
    def check_model(client: dict[str, Any], asked: Asked) -> None:
        allowed = client.get("models")
        if not allowed:
            return
        if not asked.determined:
            raise HTTPError(403, "this client key may use only some models, and the model of this request "
                                 "could not be read from its body (send JSON with a \"model\" field)",
                            code="model_not_allowed")
        if asked.model and asked.model not in allowed:
            raise HTTPError(403, f"this client key may not use model {asked.model}", code="model_not_allowed")
