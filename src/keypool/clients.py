"""Client keys at request time: who is calling /v1, and may they."""

from __future__ import annotations

from collections import deque
from typing import Any

from .core.client_keys import hash_client_key
from .http import HTTPError, Request
from .ports import Clock
from .store import Store

CACHE_TTL_S = 30.0
MISS_TTL_S = 10.0
MAX_MISSES = 10_000


class ClientGate:
    """Authenticates client keys from an in-memory cache (no database read per
    request) and enforces expiry, model allowlist, requests per minute and quotas.
    The per-minute window is per process (per isolate in the Worker)."""

    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._recent: dict[int, deque[float]] = {}
        self._spent: dict[int, list[int]] = {}  # requests and tokens since the cached row was read

    def invalidate(self) -> None:
        self._cache.clear()

    @staticmethod
    def token_of(request: Request) -> str | None:
        return request.bearer_token() or request.headers.get("x-api-key") or None

    async def lookup(self, token: str) -> dict[str, Any] | None:
        key_hash = hash_client_key(token)
        now = self.clock.now()
        cached = self._cache.get(key_hash)
        if cached and now - cached[0] < (CACHE_TTL_S if cached[1] else MISS_TTL_S):
            return cached[1]
        row = await self.store.client_keys.by_hash(key_hash)
        if row is None and len(self._cache) > MAX_MISSES:
            self._cache = {h: v for h, v in self._cache.items() if v[1] is not None}
        self._cache[key_hash] = (now, row)
        if row is not None:
            self._spent[row["id"]] = [0, 0]
        return row

    async def authenticate(self, request: Request) -> dict[str, Any]:
        token = self.token_of(request)
        if not token:
            raise HTTPError(401, "missing API key: send 'Authorization: Bearer <client key>'",
                            code="invalid_api_key")
        client = await self.lookup(token)
        if client is None:
            raise HTTPError(401, "incorrect API key provided", code="invalid_api_key")
        if not client["enabled"]:
            raise HTTPError(403, "this client key is disabled", code="client_key_disabled")
        now = self.clock.now()
        if client["expires_at"] and client["expires_at"] <= now:
            raise HTTPError(403, "this client key has expired", code="client_key_expired")
        spent = self._spent.setdefault(client["id"], [0, 0])
        if client["request_quota"] is not None and client["request_count"] + spent[0] >= client["request_quota"]:
            raise HTTPError(429, "this client key has used its request quota", code="insufficient_quota")
        tokens = client["prompt_tokens"] + client["completion_tokens"] + spent[1]
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
        return client

    @staticmethod
    def check_model(client: dict[str, Any], model: str | None) -> None:
        allowed = client.get("models")
        if allowed and model and model not in allowed:
            raise HTTPError(403, f"this client key may not use model {model}", code="model_not_allowed")

    def spend(self, client_id: int | None, tokens: int) -> None:
        if client_id is not None and client_id in self._spent:
            self._spent[client_id][0] += 1
            self._spent[client_id][1] += tokens
