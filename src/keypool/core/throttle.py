"""Growing delays after failed credentials: sign-ins, guest passwords, bearer tokens.

Each key (an address, a username) gets `free` failures; after that every
further try must wait twice as long as the one before (from `base_s`, at most
`cap_s`), counted from the last failure. A success clears the key; a key with
no failure for `forget_s` is forgotten. The table holds at most `max_keys`
keys, oldest dropped first, so a flood of addresses cannot grow it without
bound. Delays, not lockouts: the rightful owner waits a while at worst.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class _Record:
    failures: int
    last: float


class RateWindow:
    """At most `limit` events per key in any `window_s`; `max_keys` keys kept (oldest dropped)."""

    def __init__(self, limit: int, window_s: float = 60.0, max_keys: int = 10_000):
        self.limit, self.window_s, self.max_keys = limit, window_s, max_keys
        self._events: OrderedDict[str, list[float]] = OrderedDict()

    def take(self, key: str, now: float) -> float:
        """Count one event for `key` and return 0, or return the seconds until one is allowed."""
        events = [t for t in self._events.pop(key, []) if t > now - self.window_s]
        wait = events[0] + self.window_s - now if len(events) >= self.limit else 0.0
        if not wait:
            events.append(now)
        self._events[key] = events
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)
        return wait


class Throttle:
    def __init__(self, free: int = 5, base_s: float = 1.0, cap_s: float = 900.0, forget_s: float = 3600.0,
                 max_keys: int = 10_000):
        self.free, self.base_s, self.cap_s, self.forget_s, self.max_keys = free, base_s, cap_s, forget_s, max_keys
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def __len__(self) -> int:
        return len(self._records)

    def wait_s(self, key: str, now: float) -> float:
        """Seconds until `key` may try again (0: now)."""
        record = self._records.get(key)
        if record is None:
            return 0.0
        if now - record.last >= self.forget_s:
            del self._records[key]
            return 0.0
        if record.failures < self.free:
            return 0.0
        delay = min(self.base_s * 2 ** (record.failures - self.free), self.cap_s)
        return max(record.last + delay - now, 0.0)

    def fail(self, key: str, now: float) -> None:
        record = self._records.pop(key, None) or _Record(0, now)
        record.failures += 1
        record.last = now
        self._records[key] = record  # most recent last
        while len(self._records) > self.max_keys:
            self._records.popitem(last=False)

    def succeed(self, key: str) -> None:
        self._records.pop(key, None)
