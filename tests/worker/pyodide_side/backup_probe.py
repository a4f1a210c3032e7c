"""Probes for the backup tests that run inside Pyodide (POST /__harness/pycall):
rows straight from Miniflare's D1 through the Worker's own adapter, and the
size of Pyodide's WebAssembly heap (it grows and never shrinks: the peak)."""

from __future__ import annotations

from keypool.adapters.d1 import D1Database


async def rows(env, defer, statement, params):
    return await D1Database(env.DB).all(statement, params)


async def run(env, defer, statements):
    """Several statements as one batch: [[sql, params], ...]."""
    results = await D1Database(env.DB).batch([(sql, params) for sql, params in statements])
    return [result.changes for result in results]


async def heap(env, defer):
    import pyodide_js

    return {"bytes": pyodide_js._module.HEAPU8.length}


async def js_memory(env, defer):
    """The JS side (V8 heap and buffers) of the harness process, for comparison."""
    import js

    usage = js.process.memoryUsage()
    return {"heap_used": usage.heapUsed, "external": usage.external, "array_buffers": usage.arrayBuffers}


async def trace(env, defer, start):
    """Python's own allocations (tracemalloc): start tracing, or the peak since the start."""
    import tracemalloc

    if start:
        tracemalloc.start()
        return {}
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"current": current, "peak": peak}
