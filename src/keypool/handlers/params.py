"""Reading numbers and words from query strings and JSON bodies, with a 400 for anything else.

Every integer that reaches SQL is bounded here: SQLite's integers end at 2^63,
and in the Worker every integer is bound as a JavaScript number, exact only
below 2^53 (Pyodide turns larger ones into BigInts, which D1 refuses). A
larger one would fail inside the database driver (a 500) instead of being
refused as bad input. No id, page or quota comes near 10^15.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

from ..http import HTTPError

MAX_INT = 10**15 - 1


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def int_param(value: str | None, name: str, default: int, low: int, high: int) -> int:
    """An integer from a query string, `default` when absent."""
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise HTTPError(400, f"{name} must be an integer, got {_shown(value)}") from None
    if not low <= number <= high:
        raise HTTPError(400, f"{name} must be between {low} and {high}")
    return number


def optional_int_param(value: str | None, name: str, low: int = 0, high: int = MAX_INT) -> int | None:
    return None if value in (None, "") else int_param(value, name, 0, low, high)


def json_int(value: Any, name: str, low: int = 0, high: int = MAX_INT) -> int:
    """An integer from a JSON body (true/false are not integers)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise HTTPError(400, f"{name} must be an integer")
    if not low <= value <= high:
        raise HTTPError(400, f"{name} must be between {low} and {high}")
    return value


def json_ids(value: Any, name: str = "ids") -> list[int]:
    if not isinstance(value, list):
        raise HTTPError(400, f"{name} must be a list of integers")
    return [json_int(item, name, 0) for item in value]


def number_param(value: Any, name: str) -> float | None:
    """A finite number from a query string or a JSON body, None when absent."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise HTTPError(400, f"{name} must be a number")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise HTTPError(400, f"{name} must be a number, got {_shown(value)}") from None
    if not math.isfinite(number):
        raise HTTPError(400, f"{name} must be a finite number")
    return number


def choice_param(value: Any, name: str, choices: Iterable[str], empty: tuple[Any, ...] = (None, "")) -> str | None:
    """One of `choices`, or None for a value in `empty`."""
    choices = tuple(choices)
    if isinstance(value, str) or value is None:
        if value in empty:
            return None
        if value in choices:
            return value
    raise HTTPError(400, f"{name} must be one of {', '.join(choices)}")


def text_param(value: Any, name: str, limit: int = 200) -> str | None:
    """Optional text, stripped; None when absent or blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise HTTPError(400, f"{name} must be text")
    if len(value) > limit:
        raise HTTPError(400, f"{name} must be at most {limit} characters")
    return value.strip() or None
