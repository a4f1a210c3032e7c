"""What the projects this one replaces export, read as keys with what they knew of them.

From their public source:

- Siliconflow-Worker (GRGK0604/Siliconflow-Worker, a JS Worker on D1). Its export
  button saves one key per line (static/admin.html, exportKeys); GET /export_keys
  answers {"keys": [rows of api_keys]} (src/key-management.js). Its D1 table
  (migrations/schema.sql): api_keys (id TEXT, key TEXT, name, created_at INTEGER,
  last_used_at, usage_count, is_active INTEGER, balance REAL, model_access, add_time
  INTEGER, last_check_time), times in milliseconds (Date.now()); a refresh sets
  is_active = 0 when the key fails its check.
- Siliconflow-API-Management (one JS Worker on KV or D1: zqq-nuli/...,
  puppetdevz/...). Its exports join keys with the chosen delimiter (newline, comma,
  space, semicolon, custom, and "tab", which it writes as the two characters \\t),
  "with balance" as key|balance (admin.js: exportFilteredKeys, getSelectedDelimiter);
  GET /admin/api/keys answers {"success": true, "data": [{key, balance, added,
  lastUpdated}]}. Its D1 table (siliconflow_db.sql): keys (key TEXT PRIMARY KEY,
  balance REAL DEFAULT 0, added TEXT NOT NULL, last_updated TEXT), ISO 8601 times,
  beside a config table that holds its admin password (never read here).

`wrangler d1 export` writes a dump as `PRAGMA defer_foreign_keys=TRUE;`, then per
table `CREATE TABLE ...;` and one `INSERT INTO "t" VALUES(...);` per row, text with
line breaks as replace('a\\nb','\\n',char(10)) (seen with wrangler 4.86).
Only rows of a keys table (keys, api_keys) are read from a dump; if it has
neither, key-shaped text anywhere in its INSERTs is taken, with nothing carried.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator

# What the pool stores (core/backup checks the same bounds): a time in seconds, so a
# millisecond timestamp is refused, not misread; a balance of at most 10^12.
MAX_TIME = 10**11
MAX_AMOUNT = 1e12

KEY_TABLES = ("keys", "api_keys")
ADDED_COLUMNS = ("added_at", "added", "add_time", "created_at")  # the first one present says when
INACTIVE_NOTE = "inactive in the pool it was imported from"


@dataclass(frozen=True)
class Carried:
    """What an import knows of a key beyond its text. None: not known."""

    balance: float | None = None
    added_at: int | None = None
    status: str | None = None      # "invalid" where the old pool had switched the key off
    enabled: int | None = None
    last_error: str | None = None

    def __bool__(self) -> bool:
        return any(value is not None for value in (self.balance, self.added_at, self.status, self.enabled))


def amount(value: Any) -> float | None:
    """A balance as an older project stored it (a number, or a number as text)."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and abs(value) <= MAX_AMOUNT else None


def when(value: Any) -> int | None:
    """Unix seconds from a time in seconds, milliseconds, or ISO 8601 text (UTC when it says no zone)."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        value = moment.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    if value > MAX_TIME:  # milliseconds (Date.now())
        value /= 1000
    return int(value) if 0 < value <= MAX_TIME else None


def carried(row: dict[str, Any]) -> Carried:
    """Carried fields from a row of an older project's keys table or JSON export."""
    added = next((when(row[name]) for name in ADDED_COLUMNS if row.get(name) is not None), None)
    status = last_error = enabled = None
    active = row.get("is_active")
    if active in (0, False, "0", "false"):
        status, last_error = "invalid", INACTIVE_NOTE
    if row.get("enabled") in (0, 1, True, False):
        enabled = int(row["enabled"])
    return Carried(balance=amount(row.get("balance")), added_at=added, status=status, enabled=enabled,
                   last_error=last_error)


Record = tuple[Any, "Carried | None"]  # the key text (anything: the caller checks it) and what came with it


def read_legacy(text: str) -> tuple[str, list[Record]] | None:
    """("d1_dump" | "json", records) when `text` is a dump or a JSON export; None for plain text."""
    if _INSERT.search(text):
        return "d1_dump", read_dump(text)
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        records = read_json_export(stripped)
        if records is not None:
            return "json", records
    return None


# --- JSON exports ------------------------------------------------------------------------

def read_json_export(text: str) -> list[Record] | None:
    """A list of keys (texts or objects with "key"), bare or under "keys" or "data"; None if not that."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict):
        data = data.get("keys", data.get("data"))
    if not isinstance(data, list):
        return None
    records: list[Record] = []
    for item in data:
        if isinstance(item, dict):
            records.append((item.get("key"), carried(item)))
        else:
            records.append((item, None))
    return records


# --- wrangler d1 export dumps ----------------------------------------------------------

_INSERT = re.compile(r"^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s", re.I | re.M)
# One statement up to its `;`, quotes and comments respected (C speed: no Python loop per character).
_STATEMENT = re.compile(r"""(?:[^;'"`\[\-/]+|'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|--[^\n]*|/\*[\s\S]*?\*/|[-/])+""")
_LEAD = re.compile(r"(?:\s+|--[^\n]*|/\*[\s\S]*?\*/)*")  # whitespace and comments before a statement
_NAME = r"""(?:"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|[A-Za-z_][\w$]*)"""
_INSERT_HEAD = re.compile(rf"\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+(?:{_NAME}\s*\.\s*)?(?P<table>{_NAME})\s*"
                          rf"(?:\((?P<columns>[^)]*)\))?\s*VALUES\s*", re.I)
_CREATE_HEAD = re.compile(rf"\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:{_NAME}\s*\.\s*)?(?P<table>{_NAME})\s*\(",
                          re.I)
_TOKEN = re.compile(r"""\s*(?:'(?P<text>(?:[^']|'')*)'|[xX]'(?P<hex>[0-9A-Fa-f]*)'
    |(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<word>[A-Za-z_][\w$]*)|(?P<name>"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\])
    |(?P<mark>[(),]))""", re.X)
_KEYISH = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9]{16,200}(?![A-Za-z0-9])")
_CONSTRAINTS = ("constraint", "primary", "unique", "check", "foreign")


def _unquote(name: str) -> str:
    name = name.strip()
    if name[:1] in ('"', "`", "[") and len(name) >= 2:
        inner = name[1:-1]
        return inner.replace('""', '"') if name[0] == '"' else inner
    return name


class _Values:
    """SQL literals of a VALUES list, as wrangler d1 export writes them."""

    def __init__(self, text: str, pos: int):
        self.text, self.pos = text, pos

    def token(self) -> re.Match[str]:
        match = _TOKEN.match(self.text, self.pos)
        if not match:
            raise ValueError(f"unexpected SQL near {self.text[self.pos:self.pos + 20]!r}")
        self.pos = match.end()
        return match

    def mark(self, char: str) -> None:
        if self.token().group("mark") != char:
            raise ValueError(f"expected {char!r}")

    def rows(self) -> Iterator[list[Any]]:
        while True:
            self.mark("(")
            yield self.tuple()
            rest = _TOKEN.match(self.text, self.pos)
            if not rest or rest.group("mark") != ",":
                return
            self.pos = rest.end()

    def tuple(self) -> list[Any]:
        values = [self.value()]
        while True:
            mark = self.token().group("mark")
            if mark == ")":
                return values
            if mark != ",":
                raise ValueError("expected ',' or ')'")
            values.append(self.value())

    def value(self) -> Any:
        match = self.token()
        if match.group("text") is not None:
            return match.group("text").replace("''", "'")
        if match.group("number") is not None:
            number = match.group("number")
            return float(number) if any(c in number for c in ".eE") else int(number)
        if match.group("hex") is not None:
            return bytes.fromhex(match.group("hex")).decode("utf-8", "replace")
        word = (match.group("word") or "").lower()
        if word == "null":
            return None
        if word in ("true", "false"):
            return int(word == "true")
        if word in ("replace", "char", "unistr"):
            self.mark("(")
            args = self.tuple()
            if word == "replace" and len(args) == 3 and all(isinstance(a, str) for a in args):
                return args[0].replace(args[1], args[2])
            if word == "char" and all(isinstance(a, int) for a in args):
                return "".join(chr(a) for a in args)
            if word == "unistr" and len(args) == 1 and isinstance(args[0], str):
                return re.sub(r"\\([0-9A-Fa-f]{4})", lambda m: chr(int(m.group(1), 16)), args[0])
        raise ValueError(f"unsupported SQL value near {self.text[match.start():match.start() + 20]!r}")


def _split_top(text: str) -> list[str]:
    """Column definitions of a CREATE TABLE body: commas outside parentheses and quotes."""
    parts, depth, start = [], 0, 0
    for match in _TOKEN.finditer(text):
        mark = match.group("mark")
        if mark == "(":
            depth += 1
        elif mark == ")":
            depth -= 1
        elif mark == "," and depth == 0:
            parts.append(text[start:match.start()])
            start = match.end()
    parts.append(text[start:])
    return parts


def _create_columns(statement: str, head: re.Match[str]) -> list[str]:
    body = statement[head.end():statement.rstrip().rfind(")")]
    columns = []
    for part in _split_top(body):
        first = _TOKEN.match(part)
        if not first or (first.group("word") or "").lower() in _CONSTRAINTS:
            continue
        name = first.group("word") or first.group("name")
        if name:
            columns.append(_unquote(name))
    return columns


def read_dump(text: str) -> list[Record]:
    """Rows of the keys tables in a `wrangler d1 export` dump (or any SQL dump of
    INSERT ... VALUES statements), with their balances and added dates."""
    schemas: dict[str, list[str]] = {}
    records: list[Record] = []
    loose: list[Record] = []  # key-shaped text from other tables, for a dump without a keys table
    for match in _STATEMENT.finditer(text):
        statement = match.group(0)
        start = _LEAD.match(statement).end()
        create = _CREATE_HEAD.match(statement, start)
        if create:
            schemas[_unquote(create.group("table")).lower()] = [c.lower() for c in _create_columns(statement, create)]
            continue
        insert = _INSERT_HEAD.match(statement, start)
        if not insert:
            continue
        table = _unquote(insert.group("table")).lower()
        if table not in KEY_TABLES:
            loose += [(key, None) for key in _KEYISH.findall(statement)]
            continue
        columns = ([_unquote(c).lower() for c in insert.group("columns").split(",")] if insert.group("columns")
                   else schemas.get(table, []))
        try:
            for values in _Values(statement, insert.end()).rows():
                row = dict(zip(columns, values)) if columns else {}
                if not columns or len(values) != len(columns) or "key" not in row:
                    # no schema seen for this table: take what looks like a key, carry nothing
                    records += [(key, None) for key in _KEYISH.findall(" ".join(map(str, values)))]
                else:
                    records.append((row["key"], carried(row)))
        except ValueError:
            records += [(key, None) for key in _KEYISH.findall(statement)]
    return records or loose
