"""The Database port on an embedded SQLite file (local server, CLI, tests)."""

from __future__ import annotations

import os
import sqlite3
from typing import Any, Sequence

from ..ports import DatabaseError, Params, RunResult


def _dict_row(cursor: sqlite3.Cursor, row: tuple) -> dict[str, Any]:
    return {column[0]: value for column, value in zip(cursor.description, row)}


def _describe(sql: str) -> str:
    return " ".join(sql.split())[:120]


class SQLiteDatabase:
    """Calls run inline on the event loop: queries here take microseconds, and
    one connection in WAL mode keeps SQLite's single writer simple."""

    def __init__(self, path: str):
        self.path = path
        on_disk = path not in ("", ":memory:") and not path.startswith("file:")
        if on_disk:
            # The file holds upstream keys in plain text: owner-only from the first byte.
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            os.chmod(path, 0o600)
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = _dict_row
        self.conn.execute("PRAGMA journal_mode = WAL")
        if on_disk:  # SQLite gives -wal/-shm the database file's mode; fix ones left from before
            for extra in ("-wal", "-shm"):
                if os.path.exists(path + extra):
                    os.chmod(path + extra, 0o600)
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA busy_timeout = 5000")

    def close(self) -> None:
        self.conn.close()

    def _execute(self, sql: str, params: Params) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, tuple(params))
        except sqlite3.Error as exc:
            raise DatabaseError(f"{exc} in: {_describe(sql)}") from None

    async def all(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        return self._execute(sql, params).fetchall()

    async def first(self, sql: str, params: Params = ()) -> dict[str, Any] | None:
        return self._execute(sql, params).fetchone()

    async def run(self, sql: str, params: Params = ()) -> RunResult:
        cursor = self._execute(sql, params)
        return RunResult(cursor.rowcount if cursor.rowcount >= 0 else 0, cursor.lastrowid)

    async def read(self, statements: Sequence[tuple[str, Params]]) -> list[list[dict[str, Any]]]:
        return [self._execute(sql, params).fetchall() for sql, params in statements]

    async def batch(self, statements: Sequence[tuple[str, Params]]) -> list[RunResult]:
        results = []
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for sql, params in statements:
                cursor = self._execute(sql, params)
                results.append(RunResult(max(cursor.rowcount, 0), cursor.lastrowid))
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        return results

    async def script(self, sql: str) -> None:
        # One transaction, as a D1 batch is: a table rebuild cut short leaves the old table.
        try:
            self.conn.executescript(f"BEGIN;\n{sql}\n;\nCOMMIT;")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise DatabaseError(f"schema script failed: {exc}") from None
