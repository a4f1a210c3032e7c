"""Which upstream key serves the next request: the selection policy.

A `Selector` is built from a snapshot of usable keys and kept in memory; a
pick costs O(1) amortized for round-robin and drain, O(log n) for weighted.
Exclusions are per key x model (rate-limit cooldowns, missing permission,
no balance for paid models) and expire on their own.
"""

from __future__ import annotations

import bisect
import random as _random
from dataclasses import dataclass
from itertools import accumulate
from typing import Iterable

STRATEGIES = ("round_robin", "random", "weighted", "drain")
ANY_MODEL = "*"
_RANDOM_TRIES = 8


@dataclass(frozen=True)
class Candidate:
    id: int
    key: str
    status: str            # valid, unchecked or exhausted
    balance: float | None


@dataclass
class NoKey:
    """Why nothing could be picked; `retry_after` set when every key is only cooling."""

    reason: str
    retry_after: float | None = None


class Selector:
    def __init__(self, candidates: Iterable[Candidate], strategy: str = "round_robin",
                 free_models: Iterable[str] = (), rng: _random.Random | None = None):
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}")
        self.strategy = strategy
        self.free_models = frozenset(free_models)
        self.rng = rng or _random.Random()
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
        self.blocks: dict[tuple[int, str], float] = {}  # (key id, model or "*") -> until
        self.dead: set[int] = set()                     # proved unusable since the snapshot
        self.no_balance: set[int] = set()               # proved out of balance since the snapshot

    @staticmethod
    def _cumulative(keys: list[Candidate]) -> list[float]:
        # Unknown balance weighs like a small positive one so new keys still get traffic.
        return list(accumulate(max(c.balance, 0.01) if c.balance is not None else 1.0 for c in keys))

    def __len__(self) -> int:
        return len(self.free)

    def block(self, key_id: int, model: str, until: float) -> None:
        self.blocks[(key_id, model)] = max(until, self.blocks.get((key_id, model), 0.0))

    def retire(self, key_id: int) -> None:
        self.dead.add(key_id)

    def exhaust(self, key_id: int) -> None:
        """Out of balance: still serves free models."""
        self.no_balance.add(key_id)

    def _usable(self, c: Candidate, model: str, now: float, exclude: set[int]) -> bool:
        if c.id in exclude or c.id in self.dead:
            return False
        if self.no_balance and c.id in self.no_balance and model not in self.free_models:
            return False
        if self.blocks:
            until = self.blocks.get((c.id, model)) or self.blocks.get((c.id, ANY_MODEL))
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
        cooling = [
            until for c in keys if c.id not in exclude and c.id not in self.dead
            for until in (self.blocks.get((c.id, model)), self.blocks.get((c.id, ANY_MODEL)))
            if until is not None and until > now
        ]
        if cooling and len(cooling) >= sum(1 for c in keys if c.id not in exclude and c.id not in self.dead):
            return NoKey(f"every key is cooling down for {model}", retry_after=max(min(cooling) - now, 1.0))
        return NoKey(f"no usable key left for {model}")
