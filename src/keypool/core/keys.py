"""Upstream key text: parsing an import, validating the format, masking for display."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# SiliconFlow keys are "sk-" and 48 lower-case letters; accept the wider
# alphanumeric family so mirrors' keys import too.
KEY_PATTERN = re.compile(r"sk-[A-Za-z0-9]{16,200}")
# Any run of whitespace, commas, semicolons, pipes, or the "----" that joins a
# key to its balance in an export, separates tokens.
_SEPARATORS = re.compile(r"[\s,;|\uFF0C\uFF1B]+|-{4,}")
_BALANCE = re.compile(r"[-+]?\d+(\.\d+)?|unknown")


@dataclass
class ParsedKeys:
    keys: list[str] = field(default_factory=list)  # unique, in input order
    duplicates: int = 0  # repeated within this text
    invalid: int = 0
    invalid_samples: list[str] = field(default_factory=list)  # masked


def parse_keys(text: str) -> ParsedKeys:
    """Split pasted text into unique well-formed keys.

    Bare numbers (and "unknown") are skipped, not counted as invalid: they are the balance
    column of a "with balance" export being re-imported.
    """
    parsed = ParsedKeys()
    seen: set[str] = set()
    for token in _SEPARATORS.split(text):
        token = token.strip().strip("\"'`")
        if not token or _BALANCE.fullmatch(token):
            continue
        if not KEY_PATTERN.fullmatch(token):
            parsed.invalid += 1
            if len(parsed.invalid_samples) < 5:
                parsed.invalid_samples.append(mask_key(token))
            continue
        if token in seen:
            parsed.duplicates += 1
            continue
        seen.add(token)
        parsed.keys.append(token)
    return parsed


def mask_key(key: str) -> str:
    """Enough to recognise a key, never enough to use it."""
    if len(key) <= 12:
        return key[:3] + "*" * max(len(key) - 3, 3) if len(key) > 3 else "***"
    return f"{key[:7]}...{key[-4:]}"
