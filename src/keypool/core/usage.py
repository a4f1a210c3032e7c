"""Token usage read from a relayed body (JSON or SSE) in constant memory.

Only the first and last few KB are kept: OpenAI-style bodies put `usage` at
the end (the final SSE chunk when streaming); Anthropic streams put
`input_tokens` in the first event and `output_tokens` in the last.

A stream cut short (the client went away) has no final usage: `estimate`
then charges what was streamed, at least a token per SSE event relayed, and
a prompt of a token per 4 bytes of the request body.
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


PROMPT_BYTES_PER_TOKEN = 4


class UsageReader:
    """Fed the body's bytes as they pass; `usage()` once it has ended."""

    def __init__(self) -> None:
        self.head = b""
        self.tail = b""
        self.size = 0
        self.events = 0  # SSE data lines seen
        self._edge = b""  # the last bytes fed: a "data:" may straddle two chunks

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        # Each "data:" once: inside the chunk, or begun in the last 4 bytes before it.
        self.events += chunk.count(b"data:") + (self._edge + chunk[:4]).count(b"data:")
        self._edge = (self._edge + chunk)[-4:] if len(chunk) < 4 else chunk[-4:]
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

    def estimate(self, request_bytes: int) -> Usage:
        """What a body cut short has used: the usage it reported, else an estimate from what passed."""
        found = self.usage()
        if found.completion_tokens is None:
            found.completion_tokens = self.events
        if found.prompt_tokens is None:
            found.prompt_tokens = -(-request_bytes // PROMPT_BYTES_PER_TOKEN)
        return found
