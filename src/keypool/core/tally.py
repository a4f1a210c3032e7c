"""Finished proxied requests added up in memory, for one write of the hourly usage.

A request counts for its model, for the upstream key that answered it last,
and, when charged, for its client key (a request the pool failed before
asking the upstream is not charged: it does not count against quotas).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Tally:
    requests: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    ttfb_ms: float = 0.0  # summed over the `ttfb_count` requests that had a first byte
    ttfb_count: int = 0
    last_ts: float = 0.0  # when the latest request ended
    models: dict[str, list[int]] = field(default_factory=dict)    # model -> [requests, errors, tokens]
    clients: dict[int, list[int]] = field(default_factory=dict)   # id -> [requests, errors, prompt, completion, last]
    keys: dict[int, list[int]] = field(default_factory=dict)      # id -> [requests, errors, prompt, completion, last]

    def __bool__(self) -> bool:
        return self.requests > 0

    def add(self, entry: dict[str, Any]) -> None:
        error = 1 if (entry.get("status") or 500) >= 400 else 0
        prompt, completion = entry.get("prompt_tokens") or 0, entry.get("completion_tokens") or 0
        used = int(entry["ts"])
        self.last_ts = max(self.last_ts, entry["ts"] + (entry.get("latency_ms") or 0.0) / 1000)
        self.requests += 1
        self.errors += error
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        self.latency_ms += entry.get("latency_ms") or 0.0
        if entry.get("ttfb_ms") is not None:
            self.ttfb_ms += entry["ttfb_ms"]
            self.ttfb_count += 1
        model = self.models.setdefault(entry.get("model") or "", [0, 0, 0])
        model[0] += 1
        model[1] += error
        model[2] += prompt + completion
        if entry.get("charged") and entry.get("client_key_id") is not None:
            _count(self.clients, entry["client_key_id"], error, prompt, completion, used)
        if entry.get("key_id") is not None:
            _count(self.keys, entry["key_id"], error, prompt, completion, used)

    def client_usage(self) -> dict[int, tuple[int, int]]:
        """(requests, tokens) per client key: what writing this tally adds to their totals."""
        return {client_id: (n, prompt + completion) for client_id, (n, _, prompt, completion, _) in self.clients.items()}


def _count(table: dict[int, list[int]], key: int, error: int, prompt: int, completion: int, used: int) -> None:
    row = table.get(key)
    if row is None:
        table[key] = [1, error, prompt, completion, used]
        return
    row[0] += 1
    row[1] += error
    row[2] += prompt
    row[3] += completion
    if used > row[4]:
        row[4] = used
