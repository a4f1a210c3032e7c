"""Checking keys against SiliconFlow: a run of checks under a call budget, with AIMD pacing.

A `Run` is one invocation's worth of checking (a job's chunk, a refresh
tick, one key). Its keys share:

- a call budget (in a Worker, subrequests are the scarce thing: every call,
  retries and /v1/models fallbacks included, spends one; a key the budget
  cannot finish is left for the next chunk, never half-recorded);
- a pacer (core/pacing.py): concurrency, spacing, slow-down on 429;
- what the run learnt about /v1/user/info: while that is unknown, one key
  probes it and the others wait for its first answer; once it answered
  404/410 no other key of the run asks it again (half the calls saved where
  it is retired).

What an answer means is decided in core/balance.py; this module only asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Sequence

from .core.balance import (ERROR, EXHAUSTED, GONE, RATE_LIMITED, RETRY, VALID, KeyUpdate, Verdict, plan_update,
                           read_models, read_user_info)
from .core.pacing import CheckSettings, Pacer, backoff_s
from .ports import Clock, Upstream, UpstreamError
from .store import Store

log = logging.getLogger("keypool.checks")

USER_INFO_PATH = "/v1/user/info"
MODELS_PATH = "/v1/models"
BODY_LIMIT = 64 * 1024
# 429s one key may meet within a job before it is counted as an error (its status left as it was).
MAX_RATE_LIMITED = 10

Reader = Callable[[int, bytes, "str | None"], Verdict]


@dataclass(frozen=True)
class Checked:
    row: dict[str, Any]
    verdict: Verdict
    update: KeyUpdate


def tally(checked: Sequence[Checked]) -> dict[str, int]:
    counts = {"done": len(checked), "valid": 0, "invalid": 0, "exhausted": 0, "errors": 0}
    for item in checked:
        counts["errors" if item.update.outcome == ERROR else item.update.outcome] += 1
    return counts


def write_statements(store: Store, checked: Sequence[Checked], now: float) -> list[tuple[str, list[Any]]]:
    """The writes of a batch of checks: one statement for the keys, one for balance history if any changed."""
    if not checked:
        return []
    statements = store.keys.checked_statements([c.update for c in checked], now)
    history = [(c.update.id, c.update.balance) for c in checked if c.update.balance_changed]
    if history:
        statements.append(store.stats.key_history_statement(history, now))
    # Credit is back: the proxy's "out of balance" exclusions of these keys go too.
    revived = [c.update.id for c in checked if c.row["status"] == EXHAUSTED and c.update.status == VALID]
    if revived:
        statements.append(store.keys.unblock_statement(revived, "exhausted"))
    return statements


class Run:
    def __init__(self, upstream: Upstream, base_url: str, clock: Clock, settings: CheckSettings,
                 rng: random.Random, *, budget: int | None = None, deadline: float | None = None,
                 start_by: float | None = None,
                 user_info: str | None = None, pacer_state: dict[str, Any] | None = None,
                 limited: dict[str, int] | None = None, backoff_cap_s: float = 8.0,
                 halted: Callable[[], bool] = lambda: False,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep):
        self.upstream, self.base_url, self.clock = upstream, base_url, clock
        self.settings, self.rng = settings, rng
        self.budget = budget
        self.deadline = deadline  # no call starts after it (a Worker invocation's end)
        self.start_by = start_by  # no key starts after it (a local chunk's end)
        self.user_info = user_info          # None: not known yet in this run; "ok"; "gone"
        self.pacer = Pacer(settings, rng, pacer_state)
        # 429s met per key id (JSON keys are strings when a job's progress is read back)
        self.limited: dict[int, int] = {int(k): int(v) for k, v in (limited or {}).items()}
        self.backoff_cap_s = backoff_cap_s
        self._halted = halted
        self._sleep = sleep
        self.calls = 0
        self.results: dict[int, Checked] = {}
        self._probe: asyncio.Event | None = None
        self._in_flight = 0
        self._room = asyncio.Condition()

    def halted(self) -> bool:
        return self._halted() or (self.deadline is not None and self.clock.now() >= self.deadline)

    async def check_all(self, rows: Sequence[dict[str, Any]]) -> None:
        """Check keys in order, `concurrency` at a time; `results` gets every key finished."""
        queue = deque(rows)

        async def worker() -> None:
            while queue and not self.halted():
                if self.start_by is not None and self.clock.now() >= self.start_by:
                    return
                await self.check(queue.popleft())

        await asyncio.gather(*(worker() for _ in range(min(self.settings.concurrency, len(rows)))))

    async def check(self, row: dict[str, Any]) -> Checked | None:
        """One key; None when the run could not finish it (budget, deadline, stop)."""
        try:
            verdict = await self._verdict(row)
        except Exception as exc:  # a bug or a runtime failure: record it on the key, never retry forever
            log.exception("checking key %s failed", row["id"])
            verdict = Verdict(ERROR, message=f"check failed ({type(exc).__name__})")
        if verdict is None:
            return None
        checked = Checked(row, verdict, plan_update(row, verdict))
        self.results[row["id"]] = checked
        return checked

    async def _verdict(self, row: dict[str, Any]) -> Verdict | None:
        if await self._user_info_mode() != "gone":
            try:
                verdict = await self._ask(row, USER_INFO_PATH, read_user_info)
            finally:
                self._end_probe()  # also when the probe could not finish
            if verdict is None or verdict.kind != GONE:
                return verdict
        return await self._ask(row, MODELS_PATH, read_models)

    async def _user_info_mode(self) -> str:
        while self.user_info is None:
            if self._probe is None:
                self._probe = asyncio.Event()
                return "probe"
            await self._probe.wait()
        return self.user_info

    def _learn(self, verdict: Verdict, answered: bool) -> None:
        """What one user/info call says about the endpoint: 404/410 retired it; any
        other answer (a 429 or a 5xx too) shows it is there. Then the keys waiting
        for the probe go on (if it is still unknown, the next of them probes)."""
        if verdict.kind == GONE:
            self.user_info = "gone"
        elif answered and self.user_info is None:
            self.user_info = "ok"
        self._end_probe()

    def _end_probe(self) -> None:
        if self._probe is not None:
            probe, self._probe = self._probe, None
            probe.set()

    def _spend(self) -> bool:
        if self.budget is not None and self.calls >= self.budget:
            return False
        self.calls += 1
        return True

    async def _ask(self, row: dict[str, Any], path: str, read: Reader) -> Verdict | None:
        """A final verdict from one endpoint, retrying 5xx/timeouts and waiting out 429s."""
        tries = 0
        while True:
            if self.halted() or not self._spend():
                return None
            verdict, answered = await self._call(row["key"], path, read)
            if path == USER_INFO_PATH:
                self._learn(verdict, answered)
            now = self.clock.now()
            if verdict.kind == RATE_LIMITED:
                self.pacer.on_rate_limited(now)
                met = self.limited[row["id"]] = self.limited.get(row["id"], 0) + 1
                if met >= MAX_RATE_LIMITED:
                    return Verdict(ERROR, message=f"still rate limited after {met} tries: {verdict.message}")
                delay = backoff_s(met, self.rng, self.backoff_cap_s, verdict.retry_after)
            elif verdict.kind == RETRY:
                tries += 1
                if tries > self.settings.retries:
                    return Verdict(ERROR, message=f"{verdict.message} (tried {tries} times)")
                delay = backoff_s(tries, self.rng, self.backoff_cap_s)
            else:
                self.pacer.on_success(now)
                return verdict
            if self.deadline is not None and now + delay >= self.deadline:
                return None
            await self._sleep(delay)

    async def _call(self, key: str, path: str, read: Reader) -> tuple[Verdict, bool]:
        """One call: its verdict, and whether the upstream answered at all."""
        async with self._slot():
            now = self.clock.now()
            start = self.pacer.reserve(now)
            if start > now:
                await self._sleep(start - now)
            try:
                response = await self.upstream.send("GET", self.base_url + path, [("authorization", f"Bearer {key}")],
                                                    None, self.settings.timeout_s)
            except UpstreamError as exc:
                return Verdict(RETRY, message=str(exc)), False
            body = await response.read(BODY_LIMIT)
            retry_after = next((v for k, v in response.headers if k.lower() == "retry-after"), None)
            return read(response.status, body, retry_after), True

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """At most the pacer's current concurrency of calls in flight."""
        async with self._room:
            await self._room.wait_for(lambda: self._in_flight < self.pacer.concurrency())
            self._in_flight += 1
        try:
            yield
        finally:
            async with self._room:
                self._in_flight -= 1
                self._room.notify_all()
