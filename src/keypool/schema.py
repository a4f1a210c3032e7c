"""Applying migrations/: schema.sql, then numbered additions, each once.

Additions are named `schema_NNNN_<what>.sql` so that plain name order, which
`wrangler d1 migrations apply` uses, puts them after schema.sql here too. What
ran is kept in wrangler's own ledger table, `d1_migrations`, so a file runs
once here as on D1 (a table rebuild must not run on every start). Each file
and its ledger row are one transaction. Files stay idempotent all the same:
a database made before the ledger existed runs every file once more.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .ports import Database

# The table `wrangler d1 migrations apply` keeps, column for column.
LEDGER = ("CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, "
          "applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);")
_FILE_NAME = re.compile(r"[A-Za-z0-9_.-]+\.sql")


def ordered(names: list[str]) -> list[str]:
    return sorted(name for name in names if name.endswith(".sql"))


async def apply(db: Database, scripts: Sequence[tuple[str, str]]) -> list[str]:
    """Run the (file name, SQL) scripts not yet in the ledger, in order; returns the names run."""
    await db.script(LEDGER)
    done = {row["name"] for row in await db.all("SELECT name FROM d1_migrations")}
    ran = []
    for name, sql in scripts:
        if name in done:
            continue
        if not _FILE_NAME.fullmatch(name):
            raise ValueError(f"not a migration file name: {name!r}")
        await db.script(f"{sql}\n;\nINSERT INTO d1_migrations (name) VALUES ('{name}');\n")
        ran.append(name)
    return ran
