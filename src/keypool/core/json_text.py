"""JSON from clients, parsed without letting its nesting take the process down.

CPython's C scanner recurses in C once per level of nesting. In a Worker
(Pyodide) the stack gives out between 2,000 and 5,000 levels, as a fatal
error that kills the isolate, not a RecursionError. So a text with more
opening brackets than C_SAFE (the most levels it could nest) is parsed by
the stdlib's pure-Python scanner, whose recursion Python itself bounds
(RecursionError, turned into TooDeep). Ordinary bodies take the C path.
"""

from __future__ import annotations

import json
from json import scanner
from typing import Any, Callable

C_SAFE = 1000


class TooDeep(ValueError):
    """The JSON text nests deeper than Python's recursion limit allows."""


class _PythonDecoder(json.JSONDecoder):
    def __init__(self, **options: Any):
        super().__init__(**options)
        self.scan_once = scanner.py_make_scanner(self)


def parse(data: bytes, object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None) -> Any:
    """`json.loads(data)`; ValueError (TooDeep for nesting) or UnicodeDecodeError when it is no JSON."""
    if data.count(b"[") + data.count(b"{") <= C_SAFE:  # it cannot nest deeper than that
        return json.loads(data, object_pairs_hook=object_pairs_hook)
    text = data.decode(json.detect_encoding(data), "surrogatepass")
    try:
        return _PythonDecoder(object_pairs_hook=object_pairs_hook).decode(text)
    except RecursionError:
        raise TooDeep("the JSON text is nested too deeply") from None
