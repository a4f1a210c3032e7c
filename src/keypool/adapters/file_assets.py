"""The Assets port on files under a folder (the local server serves static/)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from ..ports import Asset


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
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        return Asset(target.read_bytes(), content_type)
