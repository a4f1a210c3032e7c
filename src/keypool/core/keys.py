"""Upstream key text: parsing an import, validating the format, masking for display."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .legacy import Carried, amount, read_legacy

# SiliconFlow keys are "sk-" and 48 lower-case letters; accept the wider
# alphanumeric family so mirrors' keys import too.
KEY_PATTERN = re.compile(r"sk-[A-Za-z0-9]{16,200}")
# Any run of whitespace, commas, semicolons, pipes, the "----" that joins a key
# to its balance in an export, or a written-out \t (\n, \r): the older
# Siliconflow-API-Management writes its "tab" delimiter as those two characters.
_SEPARATORS = re.compile(r"((?:[\s,;|\uFF0C\uFF1B]|-{4,}|\\[tnr])+)")
# A key's balance follows it after one of these: key|balance, key----balance
# (five dashes: key----balance with a negative balance).
_JOINER = re.compile(r"\||-{4,}")
_BALANCE = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|unknown|null|undefined|NaN")


@dataclass
class ParsedKeys:
    keys: list[str] = field(default_factory=list)  # unique, in input order
    duplicates: int = 0  # repeated within this text
    invalid: int = 0
    invalid_samples: list[str] = field(default_factory=list)  # masked
    # What an export or dump said about a key (balance, added date, ...), by key.
    carried: dict[str, Carried] = field(default_factory=dict)
    source: str = "text"  # or "json", "d1_dump"


def _clean(token: str) -> str:
    return token.strip().strip("\"'`")


def _text_tokens(text: str) -> list[tuple[str, Carried | None]]:
    """Tokens of pasted text, a key with the balance written after it where there is one."""
    parts = _SEPARATORS.split(text)
    tokens, joiners = parts[0::2], parts[1::2]
    found: list[tuple[str, Carried | None]] = []
    i = 0
    while i < len(tokens):
        token = _clean(tokens[i])
        if KEY_PATTERN.fullmatch(token) and i + 1 < len(tokens):
            joiner, value = joiners[i].strip(), _clean(tokens[i + 1])
            if _JOINER.fullmatch(joiner) and _BALANCE.fullmatch(value):
                balance = amount(value)
                if balance is not None and len(joiner) > 4:  # key-----0.02: the fifth dash is the sign
                    balance = -balance
                found.append((token, Carried(balance=balance) if balance is not None else None))
                i += 2
                continue
        found.append((token, None))
        i += 1
    return found


def parse_keys(text: str) -> ParsedKeys:
    """Split pasted text into unique well-formed keys.

    Takes what the older projects export too (see core/legacy.py): a
    `wrangler d1 export` dump of their keys table, their JSON answers, and
    text with key|balance or key----balance lines; the balances and added
    dates they carry come along in `carried`. Bare numbers (and "unknown") are
    skipped, not counted as invalid: they are the balance column of a "with
    balance" export being re-imported.
    """
    parsed = ParsedKeys()
    legacy = read_legacy(text)
    if legacy is None:
        records = _text_tokens(text)
    else:
        parsed.source, records = legacy
    seen: set[str] = set()
    for token, carried in records:
        if isinstance(token, str):
            token = _clean(token) if legacy is None else token.strip()
            if not token or (legacy is None and _BALANCE.fullmatch(token)):
                continue
        if not isinstance(token, str) or not KEY_PATTERN.fullmatch(token):
            parsed.invalid += 1
            if len(parsed.invalid_samples) < 5:
                parsed.invalid_samples.append(mask_key(str(token)))
            continue
        if token in seen:
            parsed.duplicates += 1
            continue
        seen.add(token)
        parsed.keys.append(token)
        if carried:
            parsed.carried[token] = carried
    return parsed


def mask_key(key: str) -> str:
    """Enough to recognise a key, never enough to use it."""
    if len(key) <= 12:
        return key[:3] + "*" * max(len(key) - 3, 3) if len(key) > 3 else "***"
    return f"{key[:7]}...{key[-4:]}"
