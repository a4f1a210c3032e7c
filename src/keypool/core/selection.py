"""Which upstream key serves the next request: the selection policy.

A `Selector` is built from a snapshot of usable keys and kept in memory; a
pick costs O(1) amortized for round-robin and drain, O(log n) for weighted.
Exclusions are per key x model (rate-limit cooldowns, missing permission,
no balance for paid models) and expire on their own.

What answers taught since the snapshot was read lives in `KeyHealth`, which
outlives snapshots: a key proved dead stays out of rotation even if the
next snapshot still shows it (its status is written after the response).
`KeyHealth` also makes requests in flight learn from each other: a key never
proven good (status `unchecked`, no answer yet) serves one request at a
time until its first answer, so a dead key costs one upstream call however
many requests arrive together.
"""

from __future__ import annotations

import bisect
import random as _random
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Iterable

STRATEGIES = ("round_robin", "random", "weighted", "drain")
_RANDOM_TRIES = 8
MARK_TTL_S = 3600.0  # by then the database has the status an answer proved


@dataclass(frozen=True)
class Candidate:
    id: int
    key: str
    status: str            # valid, unchecked or exhausted
    balance: float | None


@dataclass
class NoKey:
    """Why nothing could be picked; `retry_after` set when every key is only cooling,
    `busy` when the keys left are being tried by other requests (their answers are due)."""

    reason: str
    retry_after: float | None = None
    busy: bool = False


@dataclass
class KeyHealth:
    """What this process learnt about keys from upstream answers, across snapshots."""

    dead: dict[int, float] = field(default_factory=dict)        # key id -> when it answered 401
    no_balance: dict[int, float] = field(default_factory=dict)  # key id -> when it answered 30001
    proven: set[int] = field(default_factory=set)               # answered as a live key
    probing: set[int] = field(default_factory=set)              # unproven, a request in flight on it

    def unproven(self, candidate: Candidate) -> bool:
        return candidate.status == "unchecked" and candidate.id not in self.proven

    def claim(self, candidate: Candidate) -> None:
        """A request is about to ask the upstream with this key."""
        if self.unproven(candidate):
            self.probing.add(candidate.id)

    def retire(self, key_id: int, now: float) -> None:
        """It answered 401: no request uses it again."""
        self.dead[key_id] = now

    def exhaust(self, key_id: int, now: float) -> None:
        """Out of balance: still serves free models."""
        self.no_balance[key_id] = now

    def settle(self, key_id: int, answered: bool) -> None:
        """The upstream answered (or failed): other requests may use the key again."""
        self.probing.discard(key_id)
        if answered:
            self.proven.add(key_id)

    def reconcile(self, rows: Iterable[tuple[int, int | None]], now: float) -> None:
        """A new snapshot of (key id, checked_at): once the database has a status from the
        answer's second or later (the answer's own, or a check since), it knows better."""
        checked = dict(rows)
        for marks in (self.dead, self.no_balance):
            for key_id, when in list(marks.items()):
                at = checked.get(key_id)
                if (at is not None and at >= int(when)) or now - when > MARK_TTL_S:
                    del marks[key_id]


class Selector:
    def __init__(self, candidates: Iterable[Candidate], strategy: str = "round_robin",
                 free_models: Iterable[str] = (), rng: _random.Random | None = None,
                 health: KeyHealth | None = None):
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}")
        self.strategy = strategy
        self.free_models = frozenset(free_models)
        self.rng = rng or _random.Random()
        self.health = health if health is not None else KeyHealth()
        all_keys = list(candidates)
        # Paid models: keys with balance (or not yet known). Free models: exhausted keys too.
        self.paid = [c for c in all_keys if c.status != "exhausted"]
        self.free = all_keys
        if strategy == "drain":
            order = lambda c: (c.balance is None, c.balance or 0.0)  # noqa: E731
            self.paid.sort(key=order)
            self.free.sort(key=order)
        self._weights = {id(self.paid): self._cumulative(self.paid), id(self.free): self._cumulative(self.free)}
        self._cursor = 0
        self.blocks: dict[tuple[int, str], float] = {}  # (key id, model) -> until

    @staticmethod
    def _cumulative(keys: list[Candidate]) -> list[float]:
        # Unknown balance weighs like a small positive one so new keys still get traffic.
        return list(accumulate(max(c.balance, 0.01) if c.balance is not None else 1.0 for c in keys))

    def __len__(self) -> int:
        return len(self.free)

    def block(self, key_id: int, model: str, until: float) -> None:
        self.blocks[(key_id, model)] = max(until, self.blocks.get((key_id, model), 0.0))

    def _usable(self, c: Candidate, model: str, now: float, exclude: set[int]) -> bool:
        health = self.health
        if c.id in exclude or c.id in health.dead or c.id in health.probing:
            return False
        if health.no_balance and c.id in health.no_balance and model not in self.free_models:
            return False
        if self.blocks:
            until = self.blocks.get((c.id, model))
            if until is not None and until > now:
                return False
        return True

    def pick(self, model: str, now: float, exclude: set[int] = frozenset()) -> Candidate | NoKey:
        keys = self.free if model in self.free_models else self.paid
        if not keys:
            return NoKey("the pool has no usable key" + ("" if self.free else ": import keys first"))
        n = len(keys)
        if self.strategy in ("random", "weighted"):
            weights = self._weights[id(keys)]
            for _ in range(_RANDOM_TRIES):
                if self.strategy == "random":
                    index = self.rng.randrange(n)
                else:
                    index = min(bisect.bisect_right(weights, self.rng.random() * weights[-1]), n - 1)
                if self._usable(keys[index], model, now, exclude):
                    return keys[index]
            start = self.rng.randrange(n)  # mostly blocked: fall back to a scan
        elif self.strategy == "drain":
            start = 0
        else:
            start = self._cursor % n
        for offset in range(n):
            index = (start + offset) % n
            if self._usable(keys[index], model, now, exclude):
                if self.strategy == "round_robin":
                    self._cursor = index + 1
                return keys[index]
        return self._why_none(keys, model, now, exclude)

    def _why_none(self, keys: list[Candidate], model: str, now: float, exclude: set[int]) -> NoKey:
        health, what = self.health, model or "requests without a model"
        left = [c for c in keys if c.id not in exclude and c.id not in health.dead
                and not (c.id in health.no_balance and model not in self.free_models)]
        if any(c.id in health.probing for c in left):
            return NoKey(f"the keys left for {what} are being tried by other requests", busy=True)
        cooling = [until for c in left if (until := self.blocks.get((c.id, model))) is not None and until > now]
        if left and len(cooling) == len(left):
            return NoKey(f"every key is cooling down for {what}", retry_after=max(min(cooling) - now, 1.0))
        return NoKey(f"no usable key left for {what}")
