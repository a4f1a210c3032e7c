"""Probes for the backup tests that run inside Pyodide (POST /__harness/pycall):
batches straight into Miniflare's D1 through the Worker's own adapter (rows come
from worker_checks.rows), and the size of Pyodide's WebAssembly heap (it grows
and never shrinks: the peak)."""

from __future__ import annotations

from keypool.adapters.d1 import D1Database


async def run(env, defer, statements):
    """Several statements as one batch: [[sql, params], ...]."""
    results = await D1Database(env.DB).batch([(sql, params) for sql, params in statements])
    return [result.changes for result in results]


async def heap(env, defer):
    import pyodide_js

    return {"bytes": pyodide_js._module.HEAPU8.length}


async def trace(env, defer, start):
    """Python's own allocations (tracemalloc): start tracing, or the peak since the start."""
    import tracemalloc

    if start:
        tracemalloc.start()
        return {}
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"current": current, "peak": peak}
