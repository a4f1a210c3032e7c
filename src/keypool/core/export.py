"""Formatting an export of keys: plain or with balance, any separator."""

from __future__ import annotations

from typing import Iterable

SEPARATORS = {
    "newline": "\n",
    "comma": ",",
    "space": " ",
    "semicolon": ";",
    "tab": "\t",
}
FORMATS = ("plain", "with_balance")
# Joins a key to its balance in "with_balance"; the importer splits on it.
BALANCE_JOINER = "----"


def resolve_separator(name: str | None, custom: str | None = None) -> str:
    """A named separator, or the literal custom text (escapes like \\n understood)."""
    if not name:
        return "\n"
    if name == "custom":
        name = custom or ""
    elif name in SEPARATORS:
        return SEPARATORS[name]
    literal = name.replace("\\n", "\n").replace("\\t", "\t")
    if not literal:
        raise ValueError("a custom separator must not be empty")
    if len(literal) > 16:
        raise ValueError("a custom separator is at most 16 characters")
    return literal


def format_balance(balance: float | None) -> str:
    if balance is None:
        return "unknown"
    text = f"{balance:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_export(rows: Iterable[tuple[str, float | None]], fmt: str, sep: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if fmt == "plain":
        items = (key for key, _ in rows)
    else:
        items = (f"{key}{BALANCE_JOINER}{format_balance(balance)}" for key, balance in rows)
    return sep.join(items)
