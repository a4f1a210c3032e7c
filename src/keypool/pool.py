"""The in-memory view of the key pool that the proxy picks from.

Per request it costs no database read: a snapshot of usable keys (a window
of them, so a Worker isolate never reads a 100k-row table), the active
cooldowns and the pool settings are loaded together and kept for
`candidate_ttl_s`, or until the admin changes the pool. What answers teach
(invalid, exhausted, cooling) is applied in memory at once and written to
the database after the response.
"""

from __future__ import annotations

from typing import Any

from .core.selection import Candidate, NoKey, Selector
from .core.upstream_errors import Outcome
from .ports import Clock, Defer
from .settings import pool_defaults
from .store import Store


class KeyPool:
    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock
        self.settings: dict[str, Any] = pool_defaults()
        self._selector: Selector | None = None
        self._loaded_at = float("-inf")
        self._after_id = 0          # where the next window starts
        self._window_full = False   # True when the pool has more keys than one window
        self.changes = 0

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")
        self.changes += 1  # lets views cached elsewhere (the public page) see that the pool changed

    async def refresh(self, next_window: bool = False) -> Selector:
        now = self.clock.now()
        start = self._after_id if next_window else 0
        # One round trip for settings, keys and cooldowns. The window size is the
        # setting's last known value; a changed size applies from the next refresh.
        window = self.settings["candidate_window"]
        config, rows, blocks = await self.store.db.read([
            self.store.config.ALL_QUERY,
            self.store.keys.candidates_query(start, window),
            self.store.keys.active_blocks_query(now),
        ])
        self.settings = {**pool_defaults(), **self.store.config.decode(config)}
        if len(rows) < window and start:
            rows += await self.store.keys.candidates(0, window - len(rows))
        self._window_full = len(rows) >= window
        self._after_id = rows[-1]["id"] if rows and self._window_full else 0
        selector = Selector(
            (Candidate(r["id"], r["key"], r["status"], r["balance"]) for r in rows),
            self.settings["strategy"],
            self.settings["free_models"],
        )
        for block in blocks:
            selector.block(block["key_id"], block["model"], block["until"])
        self._selector, self._loaded_at = selector, now
        return selector

    async def selector(self) -> Selector:
        if self._selector is None or self.clock.now() - self._loaded_at > self.settings["candidate_ttl_s"]:
            return await self.refresh()
        return self._selector

    async def pick(self, model: str, exclude: set[int]) -> Candidate | NoKey:
        found = (await self.selector()).pick(model, self.clock.now(), exclude)
        if isinstance(found, NoKey) and self._window_full:
            # This window is used up for the model; the pool has more keys.
            found = (await self.refresh(next_window=True)).pick(model, self.clock.now(), exclude)
        return found

    def learn(self, candidate: Candidate, model: str, outcome: Outcome, defer: Defer) -> None:
        """Apply what an upstream answer proved about a key, now in memory, later in the database."""
        now = self.clock.now()
        selector = self._selector
        statements = []
        if outcome.key_status == "invalid":
            if selector:
                selector.retire(candidate.id)
            statements.append(self.store.keys.status_change(candidate.id, "invalid", outcome.message, now))
        if outcome.key_status == "exhausted":
            if selector:
                selector.exhaust(candidate.id)
            statements.append(self.store.keys.status_change(candidate.id, "exhausted", outcome.message, now))
        if outcome.block_s:
            until = now + outcome.block_s
            if selector:
                selector.block(candidate.id, model, until)
            # Short cooldowns only matter to this isolate; long ones are shared through the database.
            if outcome.block_s >= 30:
                statements.append(self.store.keys.block_statement(candidate.id, model, outcome.error_class, until))
        if statements:
            defer(self.store.db.batch(statements))
