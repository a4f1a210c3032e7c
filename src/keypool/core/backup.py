"""The backup document: the whole pool as one JSON object with a format version.

    {"format": "silicon-key-pool-backup", "version": 1, "created_at": 1733000000,
     "settings": {"strategy": "weighted", ...},
     "client_keys": {"columns": ["name", "key_hash", ...], "rows": [[...], ...]},
     "pool_history": {"columns": ["day", "ts", "balance", "valid_keys"], "rows": [...]},
     "keys": {"columns": ["key", "status", ..., "blocks", "history"],
              "blocks": ["model", "reason", "until"], "history": ["ts", "balance"],
              "rows": [["sk-...", "valid", 1, 14.0, ..., [["m", "forbidden", null]], [[1733000000, 14.0]]], ...]},
     "end": {"keys": 2000, "blocks": 12, "history": 3900, "client_keys": 3, "pool_history": 30}}

Rows are arrays in the order their table's "columns" names, so a document
written by an older version (fewer columns) still reads, and 100,000 keys
stay small. Upstream keys are in plain text; client keys only as their hashes.
"end" comes last and counts what was written: a document cut short, or rows
lost in an edit, is refused rather than half restored.

The column lists below are the one place a column is declared: the store
builds its SELECTs and restore statements from them. A column added to a table
later needs a line here (its check and how a merge treats it), nothing else.

Reading is incremental (`read_backup`): rows are decoded one at a time,
checked, and packed straight into JSON chunks for the store's bulk statements,
so a large document never sits in memory as Python objects.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .json_cursor import JsonCursor
from .keys import KEY_PATTERN
from .legacy import MAX_AMOUNT, MAX_TIME

FORMAT = "silicon-key-pool-backup"
VERSION = 1

KEY_STATUSES = ("unchecked", "valid", "exhausted", "invalid")
MAX_COUNT = 2**63 - 1
NEWER_BY = "checked_at"    # a key's record in the backup is newer when it was checked later


class BackupError(ValueError):
    """The document is refused as a whole; the message says why."""


class BackupVersionError(BackupError):
    """A backup of another format version."""


# --- the columns, with their checks and merge rules ------------------------------

_MISSING = object()


@dataclass(frozen=True)
class Column:
    name: str
    check: Callable[[Any], Any]   # the stored value, or ValueError with the reason
    # How a merge treats a row already in the pool: "id" matches rows, "newer"
    # takes the backup's value when its record is newer (NEWER_BY), "max"/"min"
    # keep the larger/smaller (usage counters never go back), "keep" keeps the pool's.
    merge: str = "newer"
    default: Any = _MISSING       # for documents that predate the column
    real: bool = False            # a REAL column: the store writes every digit
    json: bool = False            # stored as JSON text, carried as the JSON value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a number")
    if not math.isfinite(value) or abs(value) > MAX_AMOUNT:
        raise ValueError(f"must be a finite number of at most {MAX_AMOUNT:g}")
    return float(value)


def _int(value: Any, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"must be a whole number from {low} to {high}")
    return value


def _time(value: Any) -> int:
    return _int(value, 0, MAX_TIME)


def _real_time(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_TIME:
        raise ValueError(f"must be a time in seconds from 0 to {MAX_TIME}")
    return float(value)


def _count(value: Any) -> int:
    return _int(value, 0, MAX_COUNT)


def _flag(value: Any) -> int:
    if value in (True, False, 0, 1) and not isinstance(value, float):
        return int(value)
    raise ValueError("must be 0, 1, true or false")


def _text(limit: int, empty: bool = True) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or len(value) > limit or (not empty and not value.strip()):
            raise ValueError(f"must be {'' if empty else 'non-empty '}text of at most {limit} characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("contains an unpaired UTF-16 surrogate") from None
        return value
    return check


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def optional(value: Any) -> Any:
        return None if value is None else check(value)
    return optional


def _choice(*allowed: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value
    return check


def _upstream_key(value: Any) -> str:
    if not isinstance(value, str) or not KEY_PATTERN.fullmatch(value):
        raise ValueError("is not a well-formed upstream key (sk- and 16 to 200 letters or digits)")
    return value


_HEX64 = re.compile(r"[0-9a-f]{64}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _key_hash(value: Any) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise ValueError("must be a SHA-256 hash (64 lower-case hex digits)")
    return value


def _day(value: Any) -> str:
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise ValueError("must be a day as YYYY-MM-DD")
    return value


def _models(value: Any) -> str | None:
    """A client key's model allowlist; stored as the app stores it (json.dumps)."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 10_000 or not all(
            isinstance(m, str) and m and len(m) <= 500 for m in value):
        raise ValueError("must be a list of model names, or null")
    return _text(10**6)(json.dumps(value))


KEY_COLUMNS = (
    Column("key", _upstream_key, merge="id"),
    Column("status", _choice(*KEY_STATUSES), default="unchecked"),
    Column("enabled", _flag, default=1),
    Column("balance", _optional(_number), default=None, real=True),
    Column("gift_balance", _optional(_number), default=None, real=True),
    Column("charge_balance", _optional(_number), default=None, real=True),
    Column("added_at", _time, merge="min"),
    Column("checked_at", _optional(_time), default=None),
    Column("last_used_at", _optional(_time), merge="max", default=None),
    Column("last_error", _optional(_text(2000)), default=None),
    Column("fail_count", _count, default=0),
    Column("request_count", _count, merge="max", default=0),
    Column("prompt_tokens", _count, merge="max", default=0),
    Column("completion_tokens", _count, merge="max", default=0),
)
# Per key, nested in its row: exclusions (key_blocks) and balance snapshots (balance_history).
BLOCK_COLUMNS = (
    Column("model", _text(500, empty=False), merge="id"),
    Column("reason", _text(100)),
    Column("until", _optional(_real_time), default=None, real=True),
)
HISTORY_COLUMNS = (
    Column("ts", _time),
    Column("balance", _optional(_number), default=None, real=True),
)
CLIENT_KEY_COLUMNS = (
    Column("name", _text(100, empty=False), merge="keep"),
    Column("key_hash", _key_hash, merge="id"),
    Column("key_hint", _text(64), merge="keep"),
    Column("enabled", _flag, merge="keep", default=1),
    Column("created_at", _time, merge="min"),
    Column("expires_at", _optional(_time), merge="keep", default=None),
    Column("models", _models, merge="keep", default=None, json=True),
    Column("rpm_limit", _optional(lambda v: _int(v, 1, MAX_COUNT)), merge="keep", default=None),
    Column("request_quota", _optional(_count), merge="keep", default=None),
    Column("token_quota", _optional(_count), merge="keep", default=None),
    Column("allow_upstream_key", _flag, merge="keep", default=0),
    Column("request_count", _count, merge="max", default=0),
    Column("prompt_tokens", _count, merge="max", default=0),
    Column("completion_tokens", _count, merge="max", default=0),
    Column("last_used_at", _optional(_time), merge="max", default=None),
)
# The daily pool totals (balance_history rows without a key).
POOL_HISTORY_COLUMNS = (
    Column("day", _day, merge="id"),
    Column("ts", _time),
    Column("balance", _optional(_number), default=None, real=True),
    Column("valid_keys", _optional(_count), default=None),
)
CHILDREN = ("blocks", "history")
_CHILD_COLUMNS = {"blocks": BLOCK_COLUMNS, "history": HISTORY_COLUMNS}
TABLES = {"keys": KEY_COLUMNS, "client_keys": CLIENT_KEY_COLUMNS, "pool_history": POOL_HISTORY_COLUMNS}
COUNTED = ("keys", "blocks", "history", "client_keys", "pool_history")


def names(columns: tuple[Column, ...]) -> list[str]:
    return [column.name for column in columns]


_CHECKED_AT = names(KEY_COLUMNS).index(NEWER_BY)
_IDENT = {name: [c.merge for c in columns].index("id") for name, columns in TABLES.items()}


def new_key_row(key: str, added_at: int, **values: Any) -> list[Any]:
    """A key's row in KEY_COLUMNS order, defaults where `values` says nothing (imports)."""
    return [key if c.name == "key" else added_at if c.name == "added_at" else values.get(c.name, c.default)
            for c in KEY_COLUMNS]


# --- writing: the document in pieces, around rows the store renders as JSON ----------

def _table_head(name: str) -> str:
    head = {"columns": names(TABLES[name]) + (list(CHILDREN) if name == "keys" else [])}
    if name == "keys":
        head.update({child: names(columns) for child, columns in _CHILD_COLUMNS.items()})
    return json.dumps(name) + ":" + json.dumps(head, separators=(",", ":"))[:-1] + ',"rows":[\n'


def document_head(created_at: int, settings: dict[str, Any], client_rows: list[str],
                  pool_rows: list[str]) -> str:
    """Everything before the key rows. `*_rows` are rows already rendered as JSON."""
    return (
        f'{{"format":{json.dumps(FORMAT)},"version":{VERSION},"created_at":{int(created_at)},\n'
        f'"settings":{json.dumps(settings, ensure_ascii=False, sort_keys=True, separators=(",", ":"))},\n'
        + _table_head("client_keys") + ",\n".join(client_rows) + "\n]},\n"
        + _table_head("pool_history") + ",\n".join(pool_rows) + "\n]},\n"
        + _table_head("keys")
    )


def document_tail(counts: dict[str, int]) -> str:
    return '\n]},\n"end":' + json.dumps({name: counts.get(name, 0) for name in COUNTED}, separators=(",", ":")) + "}\n"


# --- reading ---------------------------------------------------------------------------

@dataclass
class Backup:
    """A checked document, ready for the store: small parts as values, the
    bulk as JSON chunks of rows in the column order above."""

    created_at: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    client_keys: list[list[Any]] = field(default_factory=list)
    pool_history: list[list[Any]] = field(default_factory=list)
    key_chunks: list[str] = field(default_factory=list)      # [[key columns...], ...]
    block_chunks: list[str] = field(default_factory=list)    # [[key, checked_at, [[model, reason, until], ...]], ...]
    history_chunks: list[str] = field(default_factory=list)  # [[key, [[ts, balance], ...]], ...]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))


class _Chunks:
    """Rows packed into JSON arrays of at most `limit` UTF-8 bytes each, for
    statements that bind one JSON text (D1 caps a string value at 2 MB)."""

    def __init__(self, limit: int, out: list[str]):
        self.limit, self.out = limit, out
        self.rows: list[Any] = []
        self.per_row = 200.0  # bytes, learned from each chunk written

    def add(self, row: list[Any]) -> None:
        self.rows.append(row)
        if len(self.rows) * self.per_row >= self.limit * 0.9:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self._emit(self.rows)
        self.rows = []

    def _emit(self, rows: list[Any]) -> None:
        text = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        size = len(text.encode("utf-8"))
        self.per_row = max(size / len(rows), 1.0)
        if size <= self.limit:
            self.out.append(text)
        elif len(rows) == 1:
            raise BackupError(f"one row takes more than {self.limit} bytes")
        else:
            self._emit(rows[:len(rows) // 2])
            self._emit(rows[len(rows) // 2:])


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


class _Layout:
    """A table's declared column names mapped onto the known columns."""

    def __init__(self, label: str, declared: Any, columns: tuple[Column, ...], extra: tuple[str, ...] = ()):
        if not isinstance(declared, list) or not all(isinstance(n, str) for n in declared):
            raise BackupError(f'{label}: "columns" must be a list of column names')
        known = set(names(columns)) | set(extra)
        unknown = [n for n in declared if n not in known]
        if unknown:
            raise BackupError(f"{label}: unknown column(s) {', '.join(unknown)} (written by a newer version?)")
        if len(set(declared)) != len(declared):
            raise BackupError(f"{label}: a column is named twice")
        self.columns, self.width = columns, len(declared)
        self.positions = [declared.index(c.name) if c.name in declared else None for c in columns]
        missing = [c.name for c, at in zip(columns, self.positions) if at is None and c.default is _MISSING]
        if missing:
            raise BackupError(f"{label}: required column(s) missing: {', '.join(missing)}")

    def check(self, label: str, row: Any) -> list[Any]:
        if not isinstance(row, list) or len(row) != self.width:
            raise BackupError(f"{label}: must be a list of {self.width} values")
        values = []
        for column, at in zip(self.columns, self.positions):
            if at is None:
                values.append(column.default)
                continue
            try:
                values.append(column.check(row[at]))
            except ValueError as exc:
                shown = "" if column.name == "key" else f" (got {_short(row[at])})"
                raise BackupError(f"{label}: {column.name} {exc}{shown}") from None
        return values


def read_backup(data: bytes | str, chunk_bytes: int) -> Backup:
    """Check a whole document and pack it for the store; raises BackupError."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BackupError(f"the document is not UTF-8 text (byte {exc.start})") from None
    if not data.strip():
        raise BackupError("the document is empty")
    return _Reader(data, chunk_bytes).read()


class _Reader:
    def __init__(self, text: str, chunk_bytes: int):
        self.cursor = JsonCursor(text, BackupError)
        self.backup = Backup()
        self.chunks = {"keys": _Chunks(chunk_bytes, self.backup.key_chunks),
                       "blocks": _Chunks(chunk_bytes, self.backup.block_chunks),
                       "history": _Chunks(chunk_bytes, self.backup.history_chunks)}
        # What rows are known by, to refuse one listed twice. Keys by hash only (100,000
        # key texts would stay alive for it); a hash seen twice is checked exactly at the end.
        self.seen: dict[str, set[Any]] = {name: set() for name in TABLES}
        self.suspects: list[str] = []

    def read(self) -> Backup:
        cursor = self.cursor
        header: dict[str, Any] = {}
        problem: BackupError | None = None
        if cursor.peek() != "{":
            raise BackupError("the document must be a JSON object (a Silicon Key Pool backup); to add keys from "
                              "a list, an export or a `wrangler d1 export` dump, import them (POST /api/keys)")
        for name in cursor.members():
            if name in header:
                raise BackupError(f'"{name}" appears twice')
            if name in TABLES:
                header[name] = True
                try:
                    self.table(name)
                except BackupError as exc:
                    problem = exc  # a wrong format or version, if already read, explains it better
                    break
            elif name in ("format", "version", "created_at", "settings", "end"):
                header[name] = cursor.value()
            else:
                raise BackupError(f'unknown section "{name}" (written by a newer version?)')
        if header.get("format", FORMAT if problem else None) != FORMAT:
            raise BackupError(f'not a Silicon Key Pool backup ("format" must be "{FORMAT}")')
        if header.get("version", VERSION if problem else None) != VERSION:
            raise BackupVersionError(f"backup format version {header.get('version')!r} is not supported "
                              f"(this version reads version {VERSION})")
        if problem is not None:
            raise problem
        if cursor.peek():
            raise cursor.fail("text after the end of the document")
        self.finish(header)
        return self.backup

    def finish(self, header: dict[str, Any]) -> None:
        missing = [name for name in ("created_at", "settings", *TABLES) if name not in header]
        if missing:
            raise BackupError(f"section(s) missing: {', '.join(missing)}")
        try:
            self.backup.created_at = _time(header["created_at"])
        except ValueError as exc:
            raise BackupError(f"created_at {exc}") from None
        if not isinstance(header["settings"], dict):
            raise BackupError('"settings" must be an object')
        self.backup.settings = header["settings"]
        for chunks in self.chunks.values():
            chunks.flush()
        for key in self.suspects:  # the same hash twice: the same key twice, or (rarely) two keys
            listed = json.dumps(key)
            if sum(chunk.count(f"[{listed},") for chunk in self.backup.key_chunks) > 1:
                raise BackupError("a key appears twice in the document")
        end = header.get("end")
        if end is None:
            raise BackupError('the document has no "end" section: it was cut short')
        if not isinstance(end, dict):
            raise BackupError('"end" must be an object of counts')
        for name in COUNTED:
            if end.get(name) != self.backup.counts[name]:
                raise BackupError(f'"end" says {end.get(name)!r} {name} but the document holds '
                                  f"{self.backup.counts[name]}: it was cut short or edited")

    def table(self, name: str) -> None:
        cursor = self.cursor
        declared: dict[str, Any] = {}
        for member in cursor.members():
            if member == "rows":
                layout, children = self.layouts(name, declared)
                for index in cursor.elements():
                    self.row(name, index, cursor.value(), layout, children)
                declared["rows"] = True
            elif member == "columns" or (name == "keys" and member in CHILDREN):
                declared[member] = cursor.value()
            else:
                raise BackupError(f'{name}: unknown member "{member}"')
        if "rows" not in declared:
            raise BackupError(f'{name}: "rows" is missing')

    @staticmethod
    def layouts(name: str, declared: dict[str, Any]) -> tuple[_Layout, dict[str, tuple[int, _Layout]]]:
        if "columns" not in declared:
            raise BackupError(f'{name}: "columns" must come before "rows"')
        extra = CHILDREN if name == "keys" else ()
        layout = _Layout(name, declared["columns"], TABLES[name], extra)
        children = {}
        for child in extra:
            if child in declared["columns"]:
                children[child] = (declared["columns"].index(child),
                                   _Layout(f"keys.{child}", declared.get(child), _CHILD_COLUMNS[child]))
        return layout, children

    def row(self, name: str, index: int, raw: Any, layout: _Layout,
            children: dict[str, tuple[int, _Layout]]) -> None:
        label = f"{name} row {index + 1}"
        values = layout.check(label, raw)
        ident = values[_IDENT[name]]  # what a row is known by: key, key_hash, day
        seen = hash(ident) if name == "keys" else ident
        if seen in self.seen[name]:
            if name != "keys":
                raise BackupError(f"{label}: {ident!r} appears twice")
            self.suspects.append(ident)
        self.seen[name].add(seen)
        self.backup.counts[name] += 1
        if name == "client_keys":
            self.backup.client_keys.append(values)
            return
        if name == "pool_history":
            self.backup.pool_history.append(values)
            return
        self.chunks["keys"].add(values)
        for child, (at, child_layout) in children.items():
            items = raw[at]
            if not isinstance(items, list):
                raise BackupError(f"{label}: {child} must be a list")
            if items:
                checked = [child_layout.check(f"{label} {child}[{i}]", item) for i, item in enumerate(items)]
                if child == "blocks" and len({b[0] for b in checked}) != len(checked):
                    raise BackupError(f"{label}: a model is excluded twice in blocks")
                self.backup.counts[child] += len(checked)
                # exclusions are state: the store applies them only with the key's current record
                self.chunks[child].add([ident, values[_CHECKED_AT], checked] if child == "blocks" else [ident, checked])


# --- splitting: a big backup as several whole documents ---------------------------------

def split_backup(data: bytes | str, keys_per_part: int) -> list[str]:
    """A checked backup as documents of at most `keys_per_part` keys each, rows
    copied as written. The first part has the settings, client keys and pool
    totals. Each part is a whole backup: restore them in order (the first with
    the mode wanted, the rest with merge); one that failed can be sent again."""
    if keys_per_part < 1:
        raise ValueError("keys_per_part must be at least 1")
    text = bytes(data).decode("utf-8") if isinstance(data, (bytes, bytearray, memoryview)) else data
    read_backup(text, 2_000_000)  # refuses whatever a restore would refuse
    cursor = JsonCursor(text, BackupError)
    header: dict[str, Any] = {}
    meta: dict[str, dict[str, Any]] = {}
    rows: dict[str, list[tuple[str, dict[str, int]]]] = {}  # raw row text, children per kind
    for name in cursor.members():
        if name not in TABLES:
            header[name] = cursor.value()
            continue
        meta[name], rows[name] = {}, []
        for member in cursor.members():
            if member != "rows":
                meta[name][member] = cursor.value()
                continue
            at = {child: meta[name]["columns"].index(child) for child in CHILDREN
                  if name == "keys" and child in meta[name]["columns"]}
            for _ in cursor.elements():
                cursor.peek()
                start = cursor.pos
                row = cursor.value()
                rows[name].append((text[start:cursor.pos], {child: len(row[i]) for child, i in at.items()}))
    parts = []
    for first in range(0, max(len(rows["keys"]), 1), keys_per_part):
        lead = first == 0
        part = {name: rows[name] if lead else [] for name in ("client_keys", "pool_history")}
        part["keys"] = rows["keys"][first:first + keys_per_part]
        counts = {name: len(part[name]) for name in TABLES}
        for child in CHILDREN:
            counts[child] = sum(children.get(child, 0) for _, children in part["keys"])
        pieces = [f'{{"format":{json.dumps(FORMAT)},"version":{VERSION},"created_at":{int(header["created_at"])},\n'
                  f'"settings":{json.dumps(header["settings"] if lead else {}, ensure_ascii=False)},\n']
        for name in ("client_keys", "pool_history", "keys"):
            pieces.append(json.dumps(name) + ":" + json.dumps(meta[name], ensure_ascii=False, separators=(",", ":"))[:-1]
                          + ',"rows":[\n' + ",\n".join(raw for raw, _ in part[name]) + "\n]},\n")
        pieces.append('"end":' + json.dumps({name: counts[name] for name in COUNTED}, separators=(",", ":")) + "}\n")
        parts.append("".join(pieces))
    return parts
