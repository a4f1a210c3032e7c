"""Applying migrations/: schema.sql (idempotent), then numbered additions.

Additions are named `schema_NNNN_<what>.sql` so that plain name order, which
`wrangler d1 migrations apply` uses, puts them after schema.sql here too.
"""

from __future__ import annotations

from .ports import Database


def ordered(names: list[str]) -> list[str]:
    return sorted(name for name in names if name.endswith(".sql"))


async def apply(db: Database, scripts: list[str]) -> None:
    for sql in scripts:
        await db.script(sql)
