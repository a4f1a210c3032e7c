"""Finished proxied requests, written off the request path in batches.

Each batch is one transaction: the request-log rows (as the `request_log`
setting asks: all, errors only, a sample, or none), the batch's usage added
to its hour in one row (store/usage.py), and unchecked keys that served a
paid request marked valid. D1 bills rows, so a batch costs its log rows plus
about one row, however many keys and client keys it involves.

When: the first request after a write starts a window; requests finishing
within it join the batch, written when it ends (`log_flush_s` in a Worker,
in the waitUntil of the request that opened it, which the runtime keeps
alive up to 30 s; a quarter second locally), or at once when MAX_BATCH
requests are waiting. An isolate that dies inside a window (a crash, a
deploy) loses that window's requests: at most `log_flush_s` seconds or
MAX_BATCH requests of one isolate. `catch_up` writes the waiting batch now
(before an admin read in the same process).
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

from .core.tally import Tally
from .ports import Defer
from .store import Store
from .store.logs import log_row
from .store.usage import hour_of

log = logging.getLogger("keypool.recorder")

MAX_BATCH = 200  # requests per write: the write's CPU stays small within one invocation's


class RequestRecorder:
    def __init__(self, store: Store, flush_delay: float = 0.0, rng: random.Random | None = None):
        self.store = store
        self.flush_delay = flush_delay  # seconds; 0: the pool setting `log_flush_s` decides
        self.rng = rng or random.Random()
        self._logs: list[list[Any]] = []
        self._tally = Tally()
        self._served: set[int] = set()  # keys that answered a request well (unchecked ones become valid)
        self._window: asyncio.Event | None = None  # set: the open window's write should start now
        # [requests, tokens] per client key this process has written, ever (clients.ClientGate reads it)
        self.written: dict[int, list[int]] = {}

    @property
    def waiting(self) -> int:
        return self._tally.requests

    def record(self, entry: dict[str, Any], defer: Defer, settings: dict[str, Any]) -> None:
        mode = settings["request_log"]
        failed = (entry.get("status") or 500) >= 400
        if mode == "all" or (mode != "off" and failed) or (
                mode == "sampled" and self.rng.random() < settings["request_log_sample_rate"]):
            self._logs.append(log_row(entry))
        self._tally.add(entry)
        if not failed and entry.get("key_id") is not None:
            self._served.add(entry["key_id"])
        if self._window is None:
            self._window = asyncio.Event()
            defer(self._write_after(self._window, self.flush_delay or settings["log_flush_s"]))
        elif self._tally.requests >= MAX_BATCH:
            self._window.set()

    async def _write_after(self, window: asyncio.Event, delay: float) -> None:
        if delay > 0:
            try:
                await asyncio.wait_for(window.wait(), delay)
            except asyncio.TimeoutError:
                pass
        if self._window is window:
            self._window = None
        await self.flush()

    async def catch_up(self) -> None:
        """Write what waits now, and close the open window (its opener's waitUntil ends)."""
        if self._window is not None:
            self._window.set()
            self._window = None
        if self._tally:
            await self.flush()

    async def flush(self) -> None:
        logs, tally, served = self._logs, self._tally, self._served
        if not tally:
            return
        self._logs, self._tally, self._served = [], Tally(), set()
        # The batch counts for the hour its last request ended in (within seconds of this write).
        statements = [self.store.usage.add_statement(hour_of(tally.last_ts), tally)]
        if logs:
            statements.append(self.store.logs.insert_statement(logs))
        if served:
            statements.append(self.store.keys.served_statement(served))
        try:
            await self.store.db.batch(statements)
        except Exception:
            # Losing a batch must not break serving; say how much was lost.
            log.exception("could not write %d finished requests (%d log rows)", tally.requests, len(logs))
            return
        for client_id, (requests, tokens) in tally.client_usage().items():
            written = self.written.setdefault(client_id, [0, 0])
            written[0] += requests
            written[1] += tokens
