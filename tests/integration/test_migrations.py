"""Each schema change, applied to a database full of rows made under the schema before
it, loses no row and changes no value; applying it again changes nothing (the local
server re-applies every file on each start). D1 is SQLite: the same SQL runs there
(tests/worker/test_wrangler.py applies the files with `wrangler d1 migrations apply`)."""

from __future__ import annotations

import sqlite3

import pytest

from keypool import schema
from keypool.server import MIGRATIONS_DIR

NAMES = schema.ordered([p.name for p in MIGRATIONS_DIR.iterdir()])
ROWS = 40
# Values some columns need to pass their CHECK constraints or to stay parseable.
SPECIAL = {("jobs", "state"): "running", ("keys", "status"): "valid", ("jobs", "params"): "{}",
           ("jobs", "progress"): "{}", ("config", "value"): '"x"'}


def tables(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]


def fill(conn: sqlite3.Connection) -> None:
    """ROWS rows in every table, every column given a value of its type."""
    for table in tables(conn):
        columns = conn.execute(f"PRAGMA table_info({table})").fetchall()
        auto = [c[1] for c in columns if c[5] == 1 and c[2].upper() == "INTEGER"
                and sum(1 for x in columns if x[5]) == 1]  # a lone INTEGER PRIMARY KEY numbers itself
        names = [c[1] for c in columns if c[1] not in auto]
        for i in range(ROWS):
            values = []
            for _, name, kind, *_ in (c for c in columns if c[1] in names):
                kind = kind.upper()
                if (table, name) in SPECIAL:
                    values.append(SPECIAL[(table, name)])
                elif "INT" in kind:
                    values.append(i + 1)
                elif "REAL" in kind:
                    values.append(i + 0.25)
                else:
                    values.append(f"{table}-{name}-{i}")
            conn.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", values)


def snapshot(conn: sqlite3.Connection, only: list[str]) -> dict[str, list[tuple]]:
    """Every row of the named tables, in the columns they had, in a stable order."""
    result = {}
    for table in only:
        columns = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]
        result[table] = (columns, conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid").fetchall())
    return result


def apply(conn: sqlite3.Connection, name: str) -> None:
    conn.executescript((MIGRATIONS_DIR / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("index", range(1, len(NAMES)), ids=NAMES[1:])
def test_a_migration_keeps_every_row_of_a_populated_database(tmp_path, index):
    conn = sqlite3.connect(tmp_path / "pool.sqlite3")
    for name in NAMES[:index]:
        apply(conn, name)
    fill(conn)
    conn.commit()
    before = snapshot(conn, tables(conn))
    apply(conn, NAMES[index])
    after = snapshot(conn, list(before))
    for table, (columns, rows) in before.items():
        new_columns, new_rows = after[table]
        kept = [new_columns.index(c) for c in columns if c in new_columns]
        assert len(kept) == len(columns), f"{NAMES[index]} dropped a column of {table}"
        assert [tuple(row[i] for i in kept) for row in new_rows] == rows, f"{NAMES[index]} changed {table}"
    again = snapshot(conn, tables(conn))
    apply(conn, NAMES[index])          # idempotent: the local server re-applies it on every start
    for name in NAMES:                 # and the whole set, as a restart does
        apply(conn, name)
    assert snapshot(conn, list(again)) == again  # (later files may add tables of their own)
    conn.close()


def test_there_is_a_migration_after_schema_sql_to_check():
    assert NAMES[0] == "schema.sql" and len(NAMES) >= 2
