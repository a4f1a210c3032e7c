"""KVAssets inside Pyodide on Miniflare's KV (called through the harness's /__harness/pycall):
the ETag deploy-static.sh stores as metadata, and the isolate's cache of KV reads."""

from __future__ import annotations

import js
from pyodide.ffi import to_js

from keypool.adapters.kv_assets import CACHE_ENTRIES, KVAssets


def _options(**values):
    return to_js(values, dict_converter=js.Object.fromEntries)


async def kv_cache_and_metadata(env, defer):
    kv = env.STATIC_CONTENT
    await kv.put("cachecheck/a.js", "one", _options(metadata=_options(etag="0123abcd")))
    await kv.put("cachecheck/plain.css", "p{}")
    now = [1000.0]
    assets = KVAssets(kv, ttl_s=30, clock=lambda: now[0])
    report = {}
    first = await assets.get("cachecheck/a.js")
    report["first"] = [first.body.decode(), first.etag, first.content_type]
    plain = await assets.get("cachecheck/plain.css")
    report["plain_etag"] = plain.etag
    report["miss"] = await assets.get("cachecheck/later.js") is None
    await kv.put("cachecheck/a.js", "two", _options(metadata=_options(etag="4567ef00")))
    await kv.put("cachecheck/later.js", "late")
    now[0] += 29
    cached = await assets.get("cachecheck/a.js")
    report["within_ttl"] = [cached.body.decode(), cached.etag, await assets.get("cachecheck/later.js") is None]
    now[0] += 2
    fresh = await assets.get("cachecheck/a.js")
    later = await assets.get("cachecheck/later.js")
    report["after_ttl"] = [fresh.body.decode(), fresh.etag, later.body.decode() if later else None]
    for n in range(CACHE_ENTRIES + 50):  # made-up paths: misses, cached, but never more than the cap
        await assets.get(f"cachecheck/none-{n}.js")
    report["entries"] = len(assets._cache)
    report["cap"] = CACHE_ENTRIES
    return report
