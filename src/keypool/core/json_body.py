"""Parsing request bodies as JSON without letting their shape hurt the process.

In the Worker, a body nested a few hundred levels deep does not raise
RecursionError: Pyodide's stack runs out inside the C decoder and the isolate
stops answering. So depth is measured on the raw bytes before parsing. The
scan costs nothing for ordinary bodies (few brackets: counted in C) and stops
at the limit for hostile ones.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64  # chat requests with tool schemas nest a dozen levels or so
_STRUCTURE = re.compile(rb'[\[\]{}"\\]')


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth, in_string, skip_at = 0, False, -1
    for match in _STRUCTURE.finditer(body):
        char, start = match.group(), match.start()
        if in_string:
            if start == skip_at:  # the character after a backslash is escaped
                continue
            if char == b"\\":
                skip_at = start + 1
            elif char == b'"':
                in_string = False
            continue
        if char == b'"':
            in_string = True
        elif char in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


def loads(body: bytes | str) -> Any:
    """json.loads, refusing (ValueError) bodies nested deeper than MAX_DEPTH."""
    raw = body.encode() if isinstance(body, str) else body
    if too_deep(raw):
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
