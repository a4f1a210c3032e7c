"""The whole pool out and in: a backup read in pages, a restore written as one
atomic batch, and imports that carry balances and dates over.

Every statement is built from the column lists in core/backup.py, so a column
added there is read and written here without another edit.

Within D1's limits for a pool of 100,000 keys: a backup reads the keys in
pages by id (a page query returns each key as one JSON text, with its
exclusions and balance history nested, so Python converts one string per key),
about 25 queries in all; a restore binds its rows as JSON texts of at most
CHUNK_BYTES (D1 caps a string value at 2 MB) and runs every statement in one
batch, which D1 and SQLite apply all or nothing.
"""

from __future__ import annotations

import json
import math
from typing import Any, AsyncIterator, Mapping, Sequence

from ..core.backup import (BLOCK_COLUMNS, CLIENT_KEY_COLUMNS, HISTORY_COLUMNS, KEY_COLUMNS, NEWER_BY,
                           POOL_HISTORY_COLUMNS, Backup, Column, names, new_key_row)
from ..core.legacy import Carried
from ..ports import Database
from .config import ConfigStore
from .keys import chunks

CHUNK_BYTES = 1_900_000   # D1: at most 2,000,000 bytes per string value
KEY_PAGE = 5_000          # keys per backup page, at least
MAX_PAGES = 40            # ...and more per page for a bigger pool (D1 free plan: 50 queries per invocation)
MAX_ID = 2**52            # ids a request may name: Pyodide binds larger ints as BigInts (seen at 2**53 - 1), D1 refuses them
IMPORT_CHUNK = 10_000     # keys per statement of an import that carries fields

def _exact(sql: str) -> str:
    """A REAL as JSON with every digit: SQLite's JSON functions keep only 15
    significant digits, so use the shortest of %.15g/%.16g/%.17g that reads back equal."""
    tries = " ".join(f"WHEN CAST(printf('%.{n}g', {sql}) AS REAL) = {sql} THEN json(printf('%!.{n}g', {sql}))"
                     for n in (15, 16))
    return f"CASE WHEN {sql} IS NULL THEN NULL {tries} ELSE json(printf('%!.17g', {sql})) END"


def _json_array(columns: Sequence[Column], alias: str) -> str:
    """A row as the JSON array a backup carries."""
    values = []
    for column in columns:
        sql = f"{alias}.{column.name}"
        values.append(_exact(sql) if column.real else f"json({sql})" if column.json else sql)
    return f"json_array({', '.join(values)})"


def _picks(columns: Sequence[Column], source: str = "value") -> str:
    return ", ".join(f"{source} ->> {i} AS {column.name}" for i, column in enumerate(columns))


def _key_row_sql() -> str:
    blocks = (f"json((SELECT json_group_array({_json_array(BLOCK_COLUMNS, 'b')}) FROM "
              f"(SELECT {', '.join(names(BLOCK_COLUMNS))} FROM key_blocks WHERE key_id = k.id ORDER BY model) AS b))")
    history = (f"json((SELECT json_group_array({_json_array(HISTORY_COLUMNS, 'h')}) FROM "
               f"(SELECT {', '.join(names(HISTORY_COLUMNS))} FROM balance_history WHERE key_id = k.id "
               f"ORDER BY ts, id) AS h))")
    row = _json_array(KEY_COLUMNS, "k")[:-1] + f", {blocks}, {history})"
    return (f"SELECT k.id AS id, {row} AS row, "
            "(SELECT count(*) FROM key_blocks WHERE key_id = k.id) AS blocks, "
            "(SELECT count(*) FROM balance_history WHERE key_id = k.id) AS history "
            "FROM keys AS k WHERE k.id > ? AND k.id <= coalesce(?, k.id) ORDER BY k.id LIMIT ?")


def _merged(column: Column, table: str) -> str:
    """What a merge makes of a column of a row the pool already has (b: the backup's row)."""
    current, given = f"{table}.{column.name}", f"b.{column.name}"
    if column.merge == "newer":
        return f"CASE WHEN b.{NEWER_BY} > coalesce({table}.{NEWER_BY}, -1) THEN {given} ELSE {current} END"
    if column.merge in ("max", "min"):  # the SQL max()/min() of a NULL is NULL: fall back to the other value
        return f"coalesce({column.merge}({current}, {given}), {current}, {given})"
    raise ValueError(f"no merge rule {column.merge!r}")


def _merge_update(table: str, columns: Sequence[Column]) -> str:
    """Update rows the pool has, only where the merge changes something (so `changes` counts real updates)."""
    ident = next(c.name for c in columns if c.merge == "id")
    merged = [(c.name, _merged(c, table)) for c in columns if c.merge not in ("id", "keep")]
    assignments = ", ".join(f"{name} = {expr}" for name, expr in merged)
    changed = " OR ".join(f"({expr}) IS NOT {table}.{name}" for name, expr in merged)
    return (f"UPDATE {table} SET {assignments} FROM (SELECT {_picks(columns)} FROM json_each(?)) AS b "
            f"WHERE {table}.{ident} = b.{ident} AND ({changed})")


def _insert_new(table: str, columns: Sequence[Column]) -> str:
    ident = next(c.name for c in columns if c.merge == "id")
    picks = ", ".join(f"value ->> {i}" for i in range(len(columns)))
    return (f"INSERT INTO {table} ({', '.join(names(columns))}) SELECT {picks} FROM json_each(?) WHERE true "
            f"ON CONFLICT ({ident}) DO NOTHING")


KEY_PAGE_SQL = _key_row_sql()
KEYS_UPDATE, KEYS_INSERT = _merge_update("keys", KEY_COLUMNS), _insert_new("keys", KEY_COLUMNS)
CLIENT_KEYS_UPDATE = _merge_update("client_keys", CLIENT_KEY_COLUMNS)
CLIENT_KEYS_INSERT = _insert_new("client_keys", CLIENT_KEY_COLUMNS)
CLIENT_ROWS_SQL = f"SELECT {_json_array(CLIENT_KEY_COLUMNS, 'c')} AS row FROM client_keys AS c ORDER BY c.id"
POOL_ROWS_SQL = (f"SELECT {_json_array(POOL_HISTORY_COLUMNS, 'p')} AS row FROM balance_history AS p "
                 "WHERE p.key_id IS NULL AND p.day IS NOT NULL ORDER BY p.day")

# Children arrive per key: [key, checked_at, [[...], ...]] for exclusions, [key, [[...], ...]] for history.
_BLOCKS_IN = ("SELECT k.id AS key_id, " + _picks(BLOCK_COLUMNS, "i.value")
              + " FROM json_each(?) AS r JOIN keys AS k ON k.key = r.value ->> 0 JOIN json_each(r.value -> 2) AS i"
              # exclusions are state: they come with the key's record only where that record is the current one
              + " WHERE k.checked_at IS r.value ->> 1")
BLOCKS_UPDATE = ("UPDATE key_blocks SET reason = b.reason, until = b.until FROM (" + _BLOCKS_IN + ") AS b "
                 "WHERE key_blocks.key_id = b.key_id AND key_blocks.model = b.model "
                 "AND key_blocks.until IS NOT NULL AND (b.until IS NULL OR b.until > key_blocks.until)")
BLOCKS_INSERT = (f"INSERT INTO key_blocks (key_id, {', '.join(names(BLOCK_COLUMNS))}) "
                 f"SELECT key_id, {', '.join(names(BLOCK_COLUMNS))} FROM ({_BLOCKS_IN}) WHERE true "
                 "ON CONFLICT (key_id, model) DO NOTHING")
# History is a record of facts: rows not there yet are added (the SELECT sees the table as it was
# before this statement, so a snapshot listed twice in the backup is restored twice, as it was).
HISTORY_INSERT = (f"INSERT INTO balance_history (key_id, {', '.join(names(HISTORY_COLUMNS))}) "
                  f"SELECT k.id, {', '.join(f'h.value ->> {i}' for i in range(len(HISTORY_COLUMNS)))} "
                  "FROM json_each(?) AS r JOIN keys AS k ON k.key = r.value ->> 0 JOIN json_each(r.value -> 1) AS h "
                  "WHERE NOT EXISTS (SELECT 1 FROM balance_history AS o WHERE o.key_id = k.id AND "
                  + " AND ".join(f"o.{c.name} IS h.value ->> {i}" for i, c in enumerate(HISTORY_COLUMNS)) + ")")
POOL_INSERT = (f"INSERT INTO balance_history (key_id, {', '.join(names(POOL_HISTORY_COLUMNS))}) "
               f"SELECT NULL, {', '.join(f'value ->> {i}' for i in range(len(POOL_HISTORY_COLUMNS)))} "
               "FROM json_each(?) WHERE true ON CONFLICT (day) WHERE key_id IS NULL DO NOTHING")
SETTINGS_INSERT = ("INSERT INTO config (name, value) SELECT key, value FROM json_each(?) WHERE true "
                   "ON CONFLICT (name) DO NOTHING")
WIPE = (  # replace mode: what a backup holds, gone before it is written (settings by name only)
    ("deleted.blocks", "DELETE FROM key_blocks"),
    ("deleted.history", "DELETE FROM balance_history"),
    ("deleted.keys", "DELETE FROM keys"),
    ("deleted.client_keys", "DELETE FROM client_keys"),
    ("deleted.settings", "DELETE FROM config WHERE name IN (SELECT value FROM json_each(?))"),
)


def _dump(rows: Any) -> str:
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


class BackupStore:
    def __init__(self, db: Database):
        self.db = db

    async def head(self, after: int = 0, limit: int | None = None) -> dict[str, Any]:
        """Everything but the keys, and which keys there are, in one round trip: all of
        them, or (a part) at most `limit` after id `after`, ending at id `until`."""
        span = ("SELECT count(*) AS n, max(id) AS until, EXISTS (SELECT 1 FROM keys WHERE id > "
                "coalesce((SELECT max(id) FROM (SELECT id FROM keys WHERE id > ? ORDER BY id LIMIT ?)), ?)) AS more "
                "FROM (SELECT id FROM keys WHERE id > ? ORDER BY id LIMIT ?)")
        bound = -1 if limit is None else limit
        config, clients, pool, keys = await self.db.read([
            ConfigStore.ALL_QUERY,
            (CLIENT_ROWS_SQL, []),
            (POOL_ROWS_SQL, []),
            (span, [after, bound, after, after, bound]),
        ])
        return {"config": ConfigStore.decode(config),
                "client_rows": [row["row"] for row in clients], "pool_rows": [row["row"] for row in pool],
                "keys": keys[0]["n"], "until": keys[0]["until"] or after, "more": bool(keys[0]["more"])}

    async def key_pages(self, expected: int, after: int = 0,
                        until: int | None = None) -> AsyncIterator[list[dict[str, Any]]]:
        """Keys in id order (after `after`, up to `until`), a page per query: rows of `row`
        (JSON text), `blocks`, `history` (counts). Keyset pagination sees each key once
        even while keys are added or deleted meanwhile."""
        page = max(KEY_PAGE, math.ceil(expected / MAX_PAGES))
        while True:
            rows = await self.db.all(KEY_PAGE_SQL, [after, until, page])
            if rows:
                yield rows
                after = rows[-1]["id"]
            if len(rows) < page:
                return

    def restore_statements(self, backup: Backup, mode: str, settings: dict[str, str],
                           setting_names: Sequence[str]) -> list[tuple[str, str, list[Any]]]:
        """(what it counts, SQL, parameters) for the whole restore, in the order they must run."""
        merge = mode == "merge"
        statements: list[tuple[str, str, list[Any]]] = []
        if not merge:
            statements += [(label, sql, [_dump(list(setting_names))] if "?" in sql else [])
                           for label, sql in WIPE]
        for chunk in backup.key_chunks:
            if merge:
                statements.append(("keys.updated", KEYS_UPDATE, [chunk]))
            statements.append(("keys.added", KEYS_INSERT, [chunk]))
        for chunk in backup.block_chunks:
            if merge:
                statements.append(("blocks.updated", BLOCKS_UPDATE, [chunk]))
            statements.append(("blocks.added", BLOCKS_INSERT, [chunk]))
        for chunk in backup.history_chunks:
            statements.append(("history.added", HISTORY_INSERT, [chunk]))
        if backup.client_keys:
            rows = _dump(backup.client_keys)
            if merge:
                statements.append(("client_keys.updated", CLIENT_KEYS_UPDATE, [rows]))
            statements.append(("client_keys.added", CLIENT_KEYS_INSERT, [rows]))
        if backup.pool_history:
            statements.append(("pool_history.added", POOL_INSERT, [_dump(backup.pool_history)]))
        if settings:
            statements.append(("settings.added", SETTINGS_INSERT, [_dump(settings)]))
        return statements

    async def restore(self, backup: Backup, mode: str, settings: dict[str, str],
                      setting_names: Sequence[str]) -> tuple[dict[str, int], int]:
        """Apply a checked backup in one batch: all of it or, on any failure, none.
        Returns the rows each kind of statement changed, and how many statements ran."""
        plan = self.restore_statements(backup, mode, settings, setting_names)
        results = await self.db.batch([(sql, params) for _, sql, params in plan])
        changes: dict[str, int] = {}
        for (label, _, _), result in zip(plan, results):
            changes[label] = changes.get(label, 0) + result.changes
        return changes, len(plan)

    async def add_keys(self, keys: Sequence[str], carried: Mapping[str, Carried], now: int) -> int:
        """Insert keys not yet in the pool with what an import carried over (balance,
        added date, ...); returns how many were new. One transaction."""
        rows = []
        for key in keys:
            known = carried.get(key) or Carried()
            values = {name: getattr(known, name) for name in ("balance", "status", "enabled", "last_error")
                      if getattr(known, name) is not None}
            rows.append(new_key_row(key, known.added_at or now, **values))
        statements = [(KEYS_INSERT, [_dump(chunk)]) for chunk in chunks(rows, IMPORT_CHUNK)]
        if not statements:
            return 0
        return sum(result.changes for result in await self.db.batch(statements))
