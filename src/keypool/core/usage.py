"""Token usage read from a relayed body (JSON or SSE) in constant memory.

Only the first and last few KB are kept: OpenAI-style bodies put `usage` at
the end (the final SSE chunk when streaming); Anthropic streams put
`input_tokens` in the first event and `output_tokens` in the last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEAD_BYTES = 4096
TAIL_BYTES = 8192
_FIELDS = {
    "prompt": re.compile(rb'"(?:prompt_tokens|input_tokens)"\s*:\s*(\d+)'),
    "completion": re.compile(rb'"(?:completion_tokens|output_tokens)"\s*:\s*(\d+)'),
}


@dataclass
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @property
    def total(self) -> int:
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)


class UsageReader:
    """Fed the body's bytes as they pass; `usage()` once it has ended."""

    def __init__(self) -> None:
        self.head = b""
        self.tail = b""
        self.size = 0

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if len(self.head) < HEAD_BYTES:
            room = HEAD_BYTES - len(self.head)
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail = (self.tail + chunk)[-TAIL_BYTES:]

    def usage(self) -> Usage:
        found = Usage()
        for part in (self.head, self.tail):  # later occurrences win
            for name, pattern in _FIELDS.items():
                matches = pattern.findall(part)
                if matches:
                    setattr(found, f"{name}_tokens", int(matches[-1]))
        return found
