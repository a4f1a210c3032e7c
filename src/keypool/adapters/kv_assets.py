"""The Assets port on the STATIC_CONTENT KV namespace (Worker).

deploy-static.sh stores each file of static/ under its path relative to
static/ (e.g. `index.html`, `js/app.js`), with its ETag as the key's metadata;
`get("/js/app.js")` reads that key. KV reads are billed and slower than
memory, so an isolate keeps what it read (misses too) for `ttl_s` seconds:
a file changed by deploy-static.sh shows within that time, without a redeploy.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from pyodide.ffi import jsnull

from ..ports import Asset
from .file_assets import content_type

CACHE_TTL_S = 30.0
CACHE_ENTRIES = 256  # the UI has a few dozen files; misses of made-up paths must not grow it without end
MAX_KEY_BYTES = 512  # KV refuses longer keys (with an error, not a miss)


def _missing(value: Any) -> bool:
    return value is None or value is jsnull


class KVAssets:
    def __init__(self, namespace: Any, ttl_s: float = CACHE_TTL_S, clock: Callable[[], float] = time.monotonic):
        self.kv = getattr(namespace, "_binding", namespace)
        self.ttl_s = ttl_s
        self.clock = clock
        self._cache: dict[str, tuple[float, Asset | None]] = {}

    async def get(self, path: str) -> Asset | None:
        key = path.lstrip("/")
        if self.kv is None or self.kv is jsnull or not key or key.endswith("/"):
            return None
        if any(part in ("", ".", "..") for part in key.split("/")) or len(key.encode()) > MAX_KEY_BYTES:
            return None
        now = self.clock()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        asset = await self._read(key)
        self._cache.pop(key, None)
        while len(self._cache) >= CACHE_ENTRIES:
            del self._cache[next(iter(self._cache))]  # the oldest entry
        self._cache[key] = (now + self.ttl_s, asset)
        return asset

    async def _read(self, key: str) -> Asset | None:
        found = await self.kv.getWithMetadata(key, "arrayBuffer")
        value = found.value
        if _missing(value):  # a KV miss arrives as jsnull
            return None
        metadata = found.metadata
        etag = None
        if not _missing(metadata):
            tag = getattr(metadata, "etag", None)
            etag = tag if isinstance(tag, str) and tag else None
        return Asset(value.to_bytes(), content_type(key), etag)
