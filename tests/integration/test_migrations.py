"""Each schema change, applied to a database full of rows made under the schema before
it, loses no row and changes no value; applying it again changes nothing (a database
made before the d1_migrations ledger runs every file once more). Each file runs once
through the ledger, in one transaction. D1 is SQLite: the same SQL runs there
(tests/worker/test_wrangler.py applies the files with `wrangler d1 migrations apply`)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from keypool import schema
from keypool.adapters.sqlite import SQLiteDatabase
from keypool.server import MIGRATIONS_DIR, read_migrations

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


# Files that run once only (the ledger sees to it), with the tables whose rows they move to
# another table, and the tables that are empty in any database they run on.
RUNS_ONCE = {"schema_0060_request_logs_rowid.sql": ({"request_logs": "request_logs_old"}, ["request_logs_old"])}
IDEMPOTENT = [name for name in NAMES if name not in RUNS_ONCE]


@pytest.mark.parametrize("index", range(1, len(NAMES)), ids=NAMES[1:])
def test_a_migration_keeps_every_row_of_a_populated_database(tmp_path, index):
    name = NAMES[index]
    moves, empty = RUNS_ONCE.get(name, ({}, []))
    conn = sqlite3.connect(tmp_path / "pool.sqlite3")
    for earlier in NAMES[:index]:
        apply(conn, earlier)
    fill(conn)
    for table in empty:
        conn.execute(f"DELETE FROM {table}")
    conn.commit()
    before = snapshot(conn, tables(conn))
    apply(conn, name)
    after = snapshot(conn, list(before))
    for table, (columns, rows) in before.items():
        if table in empty:
            continue
        new_columns, new_rows = after[moves.get(table, table)]
        kept = [new_columns.index(c) for c in columns if c in new_columns]
        assert len(kept) == len(columns), f"{name} dropped a column of {table}"
        assert [tuple(row[i] for i in kept) for row in new_rows] == rows, f"{name} changed {table}"
    again = snapshot(conn, tables(conn))
    if name in IDEMPOTENT:
        apply(conn, name)              # idempotent: a database made before the ledger re-applies it
    for other in IDEMPOTENT:           # and every idempotent file, as such a database's first start does
        apply(conn, other)
    assert snapshot(conn, list(again)) == again  # (later files may add tables of their own)
    conn.close()


def test_there_is_a_migration_after_schema_sql_to_check():
    assert NAMES[0] == "schema.sql" and len(NAMES) >= 2


def test_each_file_runs_once_through_the_ledger_and_a_failing_file_leaves_no_trace(tmp_path):
    path = tmp_path / "pool.sqlite3"
    broken = ("schema_9999_broken.sql", "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);")

    async def scenario() -> tuple[list[str], list[str], str]:
        db = SQLiteDatabase(str(path))
        try:
            first = await schema.apply(db, read_migrations())
            await db.run("INSERT INTO request_logs (ts, method, endpoint, status) VALUES (1, 'POST', '/v1/x', 200)")
            second = await schema.apply(db, read_migrations())
            try:
                await schema.apply(db, [*read_migrations(), broken])
            except Exception as exc:  # noqa: BLE001 - the message is what is checked
                return first, second, str(exc)
            return first, second, ""
        finally:
            db.close()

    first, second, failure = asyncio.run(scenario())
    assert first == NAMES and second == []
    assert "no_such_table" in failure
    conn = sqlite3.connect(path)
    assert [row[0] for row in conn.execute("SELECT name FROM d1_migrations ORDER BY id")] == NAMES
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM request_logs").fetchone()[0] == 1  # not copied away again
    conn.close()


def test_an_old_request_log_becomes_the_old_part_and_ids_continue(tmp_path):
    """schema_0060 on a log made before it (one table, AUTOINCREMENT): every row and id is kept
    in the old part, new rows follow the highest id, and inserts write no sqlite_sequence row."""
    from keypool.store.logs import LogStore

    path = tmp_path / "pool.sqlite3"
    old = (MIGRATIONS_DIR / "schema.sql").read_text(encoding="utf-8")
    start = old.index("CREATE TABLE IF NOT EXISTS request_logs_old (")
    old = old[:start] + old[old.index(");", start) + 2:]  # the schema before: one table ...
    old = old.replace("CREATE TABLE IF NOT EXISTS request_logs (\n  id                INTEGER PRIMARY KEY,",
                      "CREATE TABLE IF NOT EXISTS request_logs (\n  id                INTEGER PRIMARY KEY AUTOINCREMENT,")
    assert "PRIMARY KEY AUTOINCREMENT,\n  ts" in old and "request_logs_old" not in old.split("--")[0]
    conn = sqlite3.connect(path)
    conn.executescript(old)  # ... with AUTOINCREMENT
    conn.executemany("INSERT INTO request_logs (ts, method, endpoint, status) VALUES (?, 'POST', '/v1/x', 200)",
                     [(float(i),) for i in range(50)])
    conn.execute("DELETE FROM request_logs WHERE id <= 10")  # pruned from the oldest end
    conn.commit()
    before = conn.execute("SELECT * FROM request_logs ORDER BY id").fetchall()
    conn.close()

    async def migrate_and_log() -> None:
        db = SQLiteDatabase(str(path))
        try:
            await schema.apply(db, read_migrations())
            await db.batch([LogStore.insert_statement([[99.0, None, None, "POST", "/v1/x", None, 0, 200, None, None,
                                                        1, None, None, None]] * 2)])
        finally:
            db.close()

    asyncio.run(migrate_and_log())
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT * FROM request_logs_old ORDER BY id").fetchall() == before
    assert [row[0] for row in conn.execute("SELECT id FROM request_logs ORDER BY id")] == [51, 52]
    assert "AUTOINCREMENT" not in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'request_logs'").fetchone()[0]
    assert conn.execute("SELECT count(*) FROM sqlite_sequence WHERE name = 'request_logs'").fetchone()[0] == 0
    conn.close()
