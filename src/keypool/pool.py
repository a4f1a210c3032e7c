"""The in-memory view of the key pool that the proxy picks from.

Per request it costs no database read: a snapshot of usable keys (a window
of them, so a Worker isolate never reads a 100k-row table), the active
cooldowns and the pool settings are loaded together and kept for
`candidate_ttl_s`, or until the admin changes the pool. What answers teach
(invalid, exhausted, cooling, alive) is applied in memory at once, shared by
every request in flight in this process (core/selection.py's `KeyHealth`),
and written to the database after the response.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .core.selection import Candidate, KeyHealth, NoKey, Selector
from .core.upstream_errors import Outcome
from .ports import Clock, Defer
from .settings import pool_defaults
from .store import Store


class KeyPool:
    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock
        self.settings: dict[str, Any] = pool_defaults()
        self.health = KeyHealth()
        self._selector: Selector | None = None
        self._loaded_at = float("-inf")
        self._after_id = 0          # where the next window starts
        self._window_full = False   # True when the pool has more keys than one window
        self._loading: asyncio.Future | None = None  # a refresh in flight, shared by requests that need one
        self._answered: asyncio.Event | None = None  # set when a key being tried gets its answer
        # Bumped by invalidate(): views cached elsewhere (the public page) see the pool changed,
        # and a refresh begun before is stale when it ends.
        self.changes = 0

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")
        self._loading = None
        self.changes += 1

    async def refresh(self, next_window: bool = False) -> Selector:
        now, generation = self.clock.now(), self.changes
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
        self.health.reconcile(((r["id"], r["checked_at"]) for r in rows), now)
        selector = Selector(
            (Candidate(r["id"], r["key"], r["status"], r["balance"]) for r in rows),
            self.settings["strategy"],
            self.settings["free_models"],
            health=self.health,
        )
        for block in blocks:
            selector.block(block["key_id"], block["model"], block["until"])
        self._selector = selector
        if generation == self.changes:
            self._loaded_at = now
        return selector

    async def selector(self) -> Selector:
        if self._selector is not None and self.clock.now() - self._loaded_at <= self.settings["candidate_ttl_s"]:
            return self._selector
        if self._loading is None:  # requests arriving together share one database read
            self._loading = asyncio.ensure_future(self.refresh())
            self._loading.add_done_callback(self._loaded)
        return await asyncio.shield(self._loading)

    def _loaded(self, loading: asyncio.Future) -> None:
        if self._loading is loading:
            self._loading = None
        if not loading.cancelled():
            loading.exception()  # retrieved here; every waiter gets it raised too

    async def pick(self, model: str, exclude: set[int], deadline: float | None = None,
                   claim: bool = False) -> Candidate | NoKey:
        """A key for `model`. With a `deadline`, waits (until then) for the answers of keys
        other requests are trying; with `claim`, an unproven key picked is held for this
        request until `learn` is told its answer."""
        while True:
            now = self.clock.now()
            found = (await self.selector()).pick(model, now, exclude)
            if isinstance(found, NoKey) and not found.busy and self._window_full:
                # This window is used up for the model; the pool has more keys.
                found = (await self.refresh(next_window=True)).pick(model, self.clock.now(), exclude)
            if isinstance(found, NoKey) and found.busy and deadline is not None and now < deadline:
                await self._next_answer(deadline - now)
                continue
            if claim and isinstance(found, Candidate):
                self.health.claim(found)
            return found

    async def _next_answer(self, timeout: float) -> None:
        if self._answered is None:
            self._answered = asyncio.Event()
        try:
            await asyncio.wait_for(self._answered.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    def release(self, candidate: Candidate, answered: bool) -> None:
        """The request holding `candidate` has its answer (or gave up on it)."""
        self.health.settle(candidate.id, answered)
        if self._answered is not None:
            self._answered.set()
            self._answered = None

    def learn(self, candidate: Candidate, model: str, outcome: Outcome, defer: Defer) -> None:
        """Apply what an upstream answer proved about a key, now in memory, later in the database."""
        now = self.clock.now()
        selector = self._selector
        statements = []
        if outcome.key_status == "invalid":
            self.health.retire(candidate.id, now)
            statements.append(self.store.keys.status_change(candidate.id, "invalid", outcome.message, now))
        if outcome.key_status == "exhausted":
            self.health.exhaust(candidate.id, now)
            statements.append(self.store.keys.status_change(candidate.id, "exhausted", outcome.message, now))
        if outcome.block_s:
            until = now + outcome.block_s
            if selector:
                selector.block(candidate.id, model, until)
            # Short cooldowns only matter to this isolate; long ones are shared through the database.
            if outcome.block_s >= 30:
                statements.append(self.store.keys.block_statement(candidate.id, model, outcome.error_class, until))
        self.release(candidate, outcome.key_answered)
        if statements:
            defer(self.store.db.batch(statements))
