"""Reading a big JSON document one value at a time.

`json.loads` of a 15 MB backup would build every row as Python objects at
once; this walks the outer objects and arrays itself and lets the stdlib
decoder (C speed) read each value, so a caller can check and pack one row at
a time and let it go.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterator


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


class JsonCursor:
    """Walks JSON text one value at a time; the stdlib decoder reads each value.
    Errors are raised as `error(message)`, saying where and whether the text was cut short."""

    _WS = re.compile(r"[ \t\n\r]*")

    def __init__(self, text: str, error: Callable[[str], Exception] = ValueError):
        self.text = text
        self.error = error
        self.pos = 0
        self.end = len(text.rstrip())
        self.decoder = json.JSONDecoder(parse_constant=_refuse_constant)

    def fail(self, what: str, at: int | None = None) -> Exception:
        at = self.pos if at is None else at
        # Cut short: the error is at the end, or on the last line of a text of rows (one a line, as
        # written) that does not end like a document does.
        on_last_line = self.text.find("\n", at, self.end) < 0 and self.text.find("\n", 0, at) >= 0
        if at >= self.end or what.startswith("Unterminated") or (
                on_last_line and self.text[self.end - 1:self.end] != "}"):
            return self.error(f"the document ends early (cut short?): {what}")
        line = self.text.count("\n", 0, at) + 1
        return self.error(f"the document is not valid JSON at character {at} (line {line}): {what}")

    def peek(self) -> str:
        self.pos = self._WS.match(self.text, self.pos).end()
        return self.text[self.pos:self.pos + 1]

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise self.fail(f"expected {char!r}")
        self.pos += 1

    def value(self) -> Any:
        self.peek()
        try:
            value, self.pos = self.decoder.raw_decode(self.text, self.pos)
        except json.JSONDecodeError as exc:
            raise self.fail(exc.msg, exc.pos) from None
        except ValueError as exc:  # NaN or Infinity
            raise self.fail(str(exc)) from None
        return value

    def _open(self, char: str, close: str) -> bool:
        """Past an opening bracket: False when the container is empty (and past its end)."""
        self.take(char)
        if self.peek() == close:
            self.pos += 1
            return False
        return True

    def _more(self, close: str) -> bool:
        """Past what follows an item: True at a comma, False at the closing bracket."""
        char = self.peek()
        if char not in (",", close):
            raise self.fail(f"expected ',' or {close!r}")
        self.pos += 1
        return char == ","

    def members(self) -> Iterator[str]:
        """An object's member names; the caller reads each value in between."""
        more = self._open("{", "}")
        while more:
            name = self.value()
            if not isinstance(name, str):
                raise self.fail("expected a member name")
            self.take(":")
            yield name
            more = self._more("}")

    def elements(self) -> Iterator[int]:
        """An array's element indexes; the caller reads each element in between."""
        more, index = self._open("[", "]"), 0
        while more:
            yield index
            index += 1
            more = self._more("]")
