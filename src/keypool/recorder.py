"""Request logs and usage, written off the request path in batches."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .ports import Defer
from .store import Store

log = logging.getLogger("keypool.recorder")


class RequestRecorder:
    """Collects finished requests and writes them in one transaction.

    `flush_delay` > 0 (local server) groups the requests of that interval into
    one write; 0 (Worker) writes each invocation's entries in its waitUntil.
    """

    def __init__(self, store: Store, flush_delay: float = 0.0):
        self.store = store
        self.flush_delay = flush_delay
        self.pending: list[dict[str, Any]] = []
        self._scheduled = False

    def record(self, entry: dict[str, Any], defer: Defer) -> None:
        self.pending.append(entry)
        if not self._scheduled:
            self._scheduled = True
            defer(self.flush())

    async def flush(self) -> None:
        if self.flush_delay:
            await asyncio.sleep(self.flush_delay)
        entries, self.pending, self._scheduled = self.pending, [], False
        try:
            await self.store.logs.write(entries)
        except Exception:
            # Losing a batch of logs must not break serving; say how many were lost.
            log.exception("could not write %d request log entries", len(entries))
