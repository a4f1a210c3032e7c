"""The `usage_hours` table: proxied requests added up per hour, and the usage
totals of upstream keys and client keys that derive from it.

Each write of the request recorder adds its requests to the row of its hour
in one upsert, whatever the number of keys involved: one row written per
write (D1 bills rows, and a statement per upstream key would cost a row per
key). The row's maps say which models, client keys and upstream keys served
(for the dashboard), and its `unfolded_*` maps hold the usage not yet added
to `keys` and `client_keys`. `fold_statements` moves that usage into those
totals now and then (the scheduled tick, every few hours); until then the
readers here add the unfolded part themselves, so totals are exact at any
time. Rows older than the last fold's mark hold no unfolded usage, which
keeps those readers to a few rows.

The merges read only the entries a write brings (`json_each(excluded.*)`),
never the whole map already stored: D1 counts every `json_each` row as a
row read.
"""

from __future__ import annotations

import json
from typing import Any

from ..core.stats import HOUR_S
from ..core.tally import Tally
from ..ports import Database

FOLDED_MARK = "state.usage_folded_hour"  # config: hour rows before it hold no unfolded usage
_SINCE = f"coalesce((SELECT CAST(value AS INTEGER) FROM config WHERE name = '{FOLDED_MARK}'), 0)"
# Map columns and how their arrays merge: "+" adds, "max" keeps the larger (a last-used time).
_MAPS = {
    "models": ("+", "+", "+"),                         # [requests, errors, tokens]
    "clients": ("+", "+", "+", "+", "max"),            # [requests, errors, prompt, completion, last used]
    "keys": ("+", "+", "+", "+", "max"),
    "unfolded_clients": ("+", "+", "+", "+", "max"),
    "unfolded_keys": ("+", "+", "+", "+", "max"),
}
_SCALARS = ("requests", "errors", "prompt_tokens", "completion_tokens", "latency_ms", "ttfb_ms", "ttfb_count")


def hour_of(ts: float) -> int:
    return int(ts // HOUR_S * HOUR_S)


def _merge(column: str, ops: tuple[str, ...]) -> str:
    old = f"usage_hours.{column} -> ('$.\"' || n.key || '\"')"
    parts = [f"coalesce({old} ->> {i}, 0) + (n.value ->> {i})" if op == "+"
             else f"max(coalesce({old} ->> {i}, 0), n.value ->> {i})" for i, op in enumerate(ops)]
    return (f"{column} = json_patch(usage_hours.{column}, (SELECT json_group_object(n.key, "
            f"json_array({', '.join(parts)})) FROM json_each(excluded.{column}) n))")


_COLUMNS = ("hour", *_SCALARS, *_MAPS)
_ADD = (f"INSERT INTO usage_hours ({', '.join(_COLUMNS)}) "
        f"SELECT ?, {', '.join('?' for _ in _SCALARS)}, {', '.join('json(?)' for _ in _MAPS)} WHERE true "
        f"ON CONFLICT (hour) DO UPDATE SET "
        + ", ".join([*(f"{name} = {name} + excluded.{name}" for name in _SCALARS),
                     *(_merge(column, ops) for column, ops in _MAPS.items())]))


def _unfolded(column: str) -> str:
    """Per id: [requests, prompt, completion, last used] not yet in the table's own totals."""
    return (f"SELECT CAST(j.key AS INTEGER) AS uid, sum(j.value ->> 0) AS un, sum(j.value ->> 2) AS up, "
            f"sum(j.value ->> 3) AS uc, max(j.value ->> 4) AS ut FROM usage_hours h, json_each(h.{column}) j "
            f"WHERE h.hour >= {_SINCE} GROUP BY 1")


UNFOLDED_KEYS = _unfolded("unfolded_keys")
UNFOLDED_CLIENTS = _unfolded("unfolded_clients")


def with_unfolded(alias: str) -> str:
    """Usage columns of `alias` (keys or client_keys joined with an UNFOLDED_* subquery as `u`)."""
    return (f"{alias}.request_count + coalesce(u.un, 0) AS request_count, "
            f"{alias}.prompt_tokens + coalesce(u.up, 0) AS prompt_tokens, "
            f"{alias}.completion_tokens + coalesce(u.uc, 0) AS completion_tokens, "
            f"CASE WHEN u.ut IS NULL THEN {alias}.last_used_at "
            f"ELSE max(coalesce({alias}.last_used_at, 0), u.ut) END AS last_used_at")


def _fold(table: str, column: str) -> str:
    return (f"UPDATE {table} SET request_count = request_count + u.un, prompt_tokens = prompt_tokens + u.up, "
            f"completion_tokens = completion_tokens + u.uc, last_used_at = max(coalesce(last_used_at, 0), u.ut) "
            f"FROM ({_unfolded(column)}) AS u WHERE {table}.id = u.uid")


class UsageStore:
    def __init__(self, db: Database):
        self.db = db

    @staticmethod
    def add_statement(hour: int, tally: Tally) -> tuple[str, list[Any]]:
        dump = lambda value: json.dumps(value, separators=(",", ":"))  # noqa: E731
        clients, keys = dump(tally.clients), dump(tally.keys)  # all of it is unfolded too
        return _ADD, [hour, tally.requests, tally.errors, tally.prompt_tokens, tally.completion_tokens,
                      round(tally.latency_ms, 3), round(tally.ttfb_ms, 3), tally.ttfb_count, dump(tally.models),
                      clients, keys, clients, keys]

    @staticmethod
    def fold_statements(now: float) -> list[tuple[str, list[Any]]]:
        """Move unfolded usage into the keys' and client keys' totals, atomically (one batch).
        The new mark is an hour before this one, so a write racing the fold still lands on
        a row that readers and the next fold look at."""
        return [
            (_fold("keys", "unfolded_keys"), []),
            (_fold("client_keys", "unfolded_clients"), []),
            (f"UPDATE usage_hours SET unfolded_keys = '{{}}', unfolded_clients = '{{}}' WHERE hour >= {_SINCE} "
             f"AND (unfolded_keys != '{{}}' OR unfolded_clients != '{{}}')", []),
            ("INSERT INTO config (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
             [FOLDED_MARK, json.dumps(hour_of(now) - HOUR_S)]),
        ]

    @staticmethod
    def prune_statement(older_than: float) -> tuple[str, list[Any]]:
        """Hours past the retention age (fold first: their unfolded usage would be lost)."""
        return ("DELETE FROM usage_hours WHERE hour < ? AND unfolded_keys = '{}' AND unfolded_clients = '{}'",
                [hour_of(older_than)])
