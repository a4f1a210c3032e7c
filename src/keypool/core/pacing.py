"""How fast a balance check may go: job settings, call spacing, retries with
backoff, AIMD slow-down on 429, and speed / ETA. Pure: `now` and a random
source are passed in.

AIMD: a 429 halves the concurrency limit (one cut per `CUT_WINDOW_S`: a
burst of 429s from calls already in flight is one signal, not many); at one
call at a time, it doubles an extra pause between call starts instead. Every
full round of successes halves the pause, or once there is none gives one
slot back, so speed recovers gradually.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any, Mapping

# Job settings: name -> (minimum, maximum). A job's request may override the pool defaults.
LIMITS: dict[str, tuple[int, int]] = {
    "concurrency": (1, 200),
    "interval_ms": (0, 60_000),       # fixed pause between call starts
    "interval_min_ms": (0, 60_000),   # random pause between call starts, when interval_max_ms > 0
    "interval_max_ms": (0, 60_000),
    "retries": (0, 10),               # extra tries after a 5xx / timeout
    "budget": (2, 100_000),           # upstream calls per Worker invocation (free plan: 50 subrequests)
    "timeout_s": (1, 300),
}
CUT_WINDOW_S = 1.0
MIN_PENALTY_S = 0.05
MAX_PENALTY_S = 5.0
BACKOFF_BASE_S = 0.5


@dataclass(frozen=True)
class CheckSettings:
    concurrency: int = 10
    interval_ms: int = 0
    interval_min_ms: int = 0
    interval_max_ms: int = 0
    retries: int = 2
    budget: int = 40
    timeout_s: int = 15

    @classmethod
    def resolve(cls, defaults: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> "CheckSettings":
        """Pool defaults (`check_<name>` settings) overridden by a job's own values; ValueError on bad input."""
        values: dict[str, Any] = {}
        for name in LIMITS:
            value = (overrides or {}).get(name)
            if value is None:
                value = defaults.get(f"check_{name}", getattr(cls, name))
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer")
            low, high = LIMITS[name]
            if not low <= value <= high:
                raise ValueError(f"{name} must be between {low} and {high}")
            values[name] = value
        if values["interval_max_ms"] and values["interval_min_ms"] > values["interval_max_ms"]:
            raise ValueError("interval_min_ms must not exceed interval_max_ms")
        return cls(**values)

    def interval_s(self, rng: random.Random) -> float:
        """The pause before the next call start: random in [min, max] when a max is set, else fixed."""
        if self.interval_max_ms:
            return rng.uniform(self.interval_min_ms, self.interval_max_ms) / 1000
        return self.interval_ms / 1000

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class Pacer:
    """Spacing and concurrency of one run's calls, slowed down by 429s.

    `state` (from `snapshot()`) carries a slow-down over to the next chunk of
    the same job, which in the Worker is another invocation.
    """

    def __init__(self, settings: CheckSettings, rng: random.Random, state: Mapping[str, Any] | None = None):
        state = state or {}
        self.settings = settings
        self.rng = rng
        self.max = settings.concurrency
        self.limit = min(float(state.get("limit", self.max)), float(self.max))
        self.penalty_s = float(state.get("penalty_s", 0.0))
        self.slowdowns = int(state.get("slowdowns", 0))
        self.rate_limited = int(state.get("rate_limited", 0))
        self.next_start = float("-inf")
        self._last_cut = float("-inf")
        self._streak = 0

    def concurrency(self) -> int:
        return max(1, int(self.limit))

    def reserve(self, now: float) -> float:
        """When the next call may start (>= now); books that start."""
        start = max(now, self.next_start)
        self.next_start = start + self.settings.interval_s(self.rng) + self.penalty_s
        return start

    def on_rate_limited(self, now: float) -> bool:
        """A 429: cut speed unless it was just cut. True when it cut."""
        self.rate_limited += 1
        self._streak = 0
        if now - self._last_cut < CUT_WINDOW_S:
            return False
        self._last_cut = now
        if self.concurrency() >= 2:
            self.limit = max(1.0, self.limit / 2)
        else:
            self.penalty_s = min(MAX_PENALTY_S, max(self.penalty_s * 2, MIN_PENALTY_S))
            self.next_start = max(self.next_start, now + self.penalty_s)
        self.slowdowns += 1
        return True

    def on_success(self, now: float) -> None:
        """An answer that was not a 429: after a full round of them, speed up a step."""
        self._streak += 1
        if self._streak < self.concurrency():
            return
        self._streak = 0
        if self.penalty_s:
            self.penalty_s = self.penalty_s / 2 if self.penalty_s / 2 >= MIN_PENALTY_S else 0.0
        else:
            self.limit = min(float(self.max), self.limit + 1)

    def snapshot(self) -> dict[str, Any]:
        return {"limit": round(self.limit, 3), "penalty_s": round(self.penalty_s, 4),
                "slowdowns": self.slowdowns, "rate_limited": self.rate_limited}


def backoff_s(attempt: int, rng: random.Random, cap_s: float, retry_after: float | None = None) -> float:
    """How long before try number `attempt` + 1: Retry-After when the upstream
    gave one, else exponential (0.5 s, 1 s, 2 s, ...) with jitter; never above `cap_s`."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), cap_s)
    delay = min(cap_s, BACKOFF_BASE_S * 2 ** max(attempt - 1, 0))
    return delay / 2 + rng.random() * delay / 2


def chunk_keys(settings: CheckSettings, limited: bool) -> int:
    """Keys to take per chunk: in a Worker invocation as many as the call
    budget allows (each key costs at least one call); locally enough rounds
    of `concurrency` that the pause at a chunk's end stays small."""
    if limited:
        return settings.budget
    return min(max(settings.concurrency * 25, 50), 1000)


def speed(done: int, mark_done: int, mark_ts: float, now: float) -> float | None:
    """Keys per second since the mark (the job's start, or its resume)."""
    elapsed = now - mark_ts
    if elapsed <= 0 or done <= mark_done:
        return None
    return (done - mark_done) / elapsed


def eta_s(total: int, done: int, keys_per_s: float | None) -> float | None:
    if done >= total:
        return 0.0
    if not keys_per_s:
        return None
    return (total - done) / keys_per_s
