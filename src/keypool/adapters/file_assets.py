"""The Assets port on files under a folder (the local server serves static/).

Also the content types of the admin UI's files, by extension, which the
Worker's KVAssets answers too, so both runtimes label a file alike (and
Pyodide need not import the heavy `mimetypes`).
"""

from __future__ import annotations

from pathlib import Path

from ..ports import Asset

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
_TEXT = ("text/", "application/json", "application/manifest+json", "application/xml", "image/svg+xml")


def content_type(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = CONTENT_TYPES.get(ext, "application/octet-stream")
    return kind + "; charset=utf-8" if kind.startswith(_TEXT) else kind


class FileAssets:
    def __init__(self, root: Path):
        self.root = root.resolve()

    async def get(self, path: str) -> Asset | None:
        try:
            target = (self.root / path.lstrip("/")).resolve()
            if self.root not in target.parents or not target.is_file():
                return None
        except (OSError, ValueError):  # a name too long, a NUL: no such file
            return None
        # Read on every request: an edited file shows on the next reload (the ETag follows its bytes).
        return Asset(target.read_bytes(), content_type(target.name))
