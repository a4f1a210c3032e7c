"""The Assets port on the STATIC_CONTENT KV namespace (Worker).

deploy-static.sh stores each file of static/ under its path relative to
static/ (e.g. `index.html`, `js/app.js`); `get("/js/app.js")` reads that key.
"""

from __future__ import annotations

from typing import Any

from pyodide.ffi import jsnull

from ..ports import Asset

# The content types the admin UI needs (mimetypes is heavy to import in Pyodide);
# the values match what the local server's FileAssets answers for them.
CONTENT_TYPES = {
    "html": "text/html",
    "htm": "text/html",
    "css": "text/css",
    "js": "text/javascript",
    "mjs": "text/javascript",
    "json": "application/json",
    "webmanifest": "application/manifest+json",
    "txt": "text/plain",
    "md": "text/markdown",
    "xml": "application/xml",
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "ico": "image/vnd.microsoft.icon",
    "woff": "font/woff",
    "woff2": "font/woff2",
    "ttf": "font/ttf",
    "wasm": "application/wasm",
}


def content_type(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = CONTENT_TYPES.get(ext, "application/octet-stream")
    if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
        kind += "; charset=utf-8"
    return kind


class KVAssets:
    def __init__(self, namespace: Any):
        self.kv = getattr(namespace, "_binding", namespace)

    async def get(self, path: str) -> Asset | None:
        key = path.lstrip("/")
        if self.kv is None or self.kv is jsnull or not key or key.endswith("/"):
            return None
        if any(part in ("", ".", "..") for part in key.split("/")):
            return None
        value = await self.kv.get(key, "arrayBuffer")
        if value is None or value is jsnull:  # a KV miss arrives as jsnull
            return None
        return Asset(value.to_bytes(), content_type(key))
