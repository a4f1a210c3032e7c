"""Pool statistics (the dashboard) and balance history (the `balance_history` table).

The pool's balance is the sum of known balances of enabled keys that are not
invalid (exhausted keys add their zero or slightly negative amounts). A row
per key records a balance that changed; one row per UTC day (key_id NULL)
holds the pool total and the number of valid keys, for the trend chart.

The dashboard's figures are added up here, each read bounded: keys in one
pass, quartiles from the (status, enabled, balance) index, requests from the
hourly usage rows the request recorder writes (store/usage.py), never from
the request log itself (it has no time index: one would cost a D1 row
written per request).
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..core.stats import bins, median_of, quartile_offsets, upper_fence
from ..ports import Database
from .keys import STATUS_SQL
from .usage import hour_of

USABLE = "enabled = 1 AND status != 'invalid'"
# Valid keys with a known balance: what the dashboard's balance figures are over. Written to
# match the keys_by_status_balance index, which answers the ordered reads from the index alone.
VALID_KNOWN = "status = 'valid' AND enabled = 1 AND balance IS NOT NULL"


def rounded(value: Any) -> float | None:
    """A balance as the API gives it: six decimals at most, None when unknown (never 0)."""
    return round(float(value), 6) if value is not None else None


class StatsStore:
    def __init__(self, db: Database):
        self.db = db

    async def pool_totals(self) -> dict[str, Any]:
        """The pool's balance (None while no balance is known: unknown is not 0) and valid keys."""
        row = await self.db.first(
            "SELECT sum(balance) FILTER (WHERE status != 'invalid') AS total_balance, "
            "count(*) FILTER (WHERE status = 'valid') AS valid_keys FROM keys WHERE enabled = 1")
        row = row or {"total_balance": None, "valid_keys": 0}
        return {"total_balance": rounded(row["total_balance"]), "valid_keys": int(row["valid_keys"] or 0)}

    async def save_day(self, day: str, now: float, totals: dict[str, Any]) -> None:
        """Today's pool total; written only when it changed."""
        await self.db.run(
            "INSERT INTO balance_history (ts, key_id, balance, valid_keys, day) VALUES (?, NULL, ?, ?, ?) "
            "ON CONFLICT (day) WHERE key_id IS NULL DO UPDATE SET ts = excluded.ts, balance = excluded.balance, "
            "valid_keys = excluded.valid_keys "
            "WHERE balance IS NOT excluded.balance OR valid_keys IS NOT excluded.valid_keys",
            (int(now), totals["total_balance"], totals["valid_keys"], day))

    @staticmethod
    def key_history_statement(rows: Sequence[tuple[int, float]], now: float) -> tuple[str, list[Any]]:
        """A snapshot per key whose balance changed: `rows` are (key id, balance)."""
        return ("INSERT INTO balance_history (ts, key_id, balance) SELECT ?, value ->> 0, value ->> 1 "
                "FROM json_each(?)", [int(now), json.dumps([list(row) for row in rows])])

    # --- the dashboard: keys and balances ----------------------------------------------------------

    @staticmethod
    def overview_query(edges: Sequence[float]) -> tuple[str, list[Any]]:
        """Keys per status, the usable keys' balances and the valid keys' balances with their
        bins, in one pass over the keys (every aggregate D1 would otherwise read the table for)."""
        status = ", ".join(f"count(*) FILTER (WHERE {sql}) AS {name}" for name, sql in STATUS_SQL.items()
                           if name != "enabled")
        usable = ", ".join(f"{fn}(balance) FILTER (WHERE {USABLE}) AS usable_{fn}" for fn in ("count", "sum", "avg",
                                                                                                "min", "max"))
        valid = ", ".join(f"{fn}(balance) FILTER (WHERE {VALID_KNOWN}) AS valid_{fn}" for fn in ("count", "sum", "avg",
                                                                                                  "min", "max"))
        bounds = [(b["low"], b["high"]) for b in bins(edges)]
        binned = ", ".join(
            f"count(*) FILTER (WHERE {VALID_KNOWN}{'' if low is None else ' AND balance > ?'}"
            f"{'' if high is None else ' AND balance <= ?'}) AS bin{i}"
            for i, (low, high) in enumerate(bounds))
        params = [edge for low, high in bounds for edge in (low, high) if edge is not None]
        return (f"SELECT count(*) AS total, {status}, "
                f"count(*) FILTER (WHERE {USABLE} AND balance IS NULL) AS usable_unknown, "
                f"count(*) FILTER (WHERE enabled = 1 AND status = 'valid' AND balance IS NULL) AS valid_unknown, "
                f"{usable}, {valid}, {binned} FROM keys", params)

    async def key_figures(self, edges: Sequence[float], latest: int, since_day: str | None,
                          requests_since: float) -> dict[str, Any]:
        """What the dashboard shows about keys, balances and the last requests, in two or three
        round trips: the overview (one pass over the keys), the latest keys, the trend and the
        request totals; then the quartiles of the valid balances, each read from the balance
        index up to the value it needs; then, if any balance is above the outlier fence, how many."""
        overview, latest_rows, trend_rows, request_rows = await self.db.read([
            self.overview_query(edges),
            ("SELECT id, key, status, enabled, balance, added_at FROM keys ORDER BY id DESC LIMIT ?", [latest]),
            self.trend_query(since_day),
            self.requests_query(requests_since),
        ])
        row = overview[0]
        n = int(row["valid_count"] or 0)
        quartiles: dict[str, float | None] = {"q1": None, "median": None, "q3": None}
        if offsets := quartile_offsets(n):
            found = await self.db.read([
                (f"SELECT balance FROM keys WHERE {VALID_KNOWN} ORDER BY balance {'DESC' if name == 'q3' else 'ASC'} "
                 "LIMIT ? OFFSET ?", [count, offset]) for name, (offset, count) in offsets.items()])
            values = {name: [r["balance"] for r in rows] for name, rows in zip(offsets, found)}
            quartiles = {"q1": values["q1"][0], "median": median_of(values["median"]), "q3": values["q3"][0]}
        fence = upper_fence(quartiles["q1"], quartiles["q3"])
        outliers = 0
        if fence is not None and row["valid_max"] is not None and row["valid_max"] > fence:
            above = await self.db.first(f"SELECT count(*) AS n FROM keys WHERE {VALID_KNOWN} AND balance > ?",
                                        (fence,))
            outliers = int(above["n"]) if above else 0
        return {"overview": row, "latest": latest_rows, "trend": self.trend_points(trend_rows),
                "requests": self.request_totals(request_rows[0] if request_rows else None),
                "quartiles": quartiles, "fence": fence, "outliers": outliers}

    # --- the dashboard: requests (hourly usage rows, not the log: see store/usage.py) -------------

    @staticmethod
    def requests_query(since: float) -> tuple[str, list[Any]]:
        """Proxied requests from the hour holding `since` (every request, logged or not)."""
        return ("SELECT coalesce(sum(requests), 0) AS count, coalesce(sum(errors), 0) AS errors, "
                "coalesce(sum(prompt_tokens), 0) AS prompt_tokens, coalesce(sum(completion_tokens), 0) "
                "AS completion_tokens, sum(latency_ms) / nullif(sum(requests), 0) AS avg_latency_ms, "
                "sum(ttfb_ms) / nullif(sum(ttfb_count), 0) AS avg_ttfb_ms FROM usage_hours WHERE hour >= ?",
                [hour_of(since)])

    @staticmethod
    def request_totals(row: dict[str, Any] | None) -> dict[str, Any]:
        row = row or {}
        prompt, completion = int(row.get("prompt_tokens") or 0), int(row.get("completion_tokens") or 0)
        count, errors = int(row.get("count") or 0), int(row.get("errors") or 0)

        def ms(name: str) -> float | None:
            return round(row[name], 2) if row.get(name) is not None else None

        return {"count": count, "errors": errors, "success_rate": round((count - errors) / count, 4) if count else None,
                "prompt_tokens": prompt, "completion_tokens": completion, "tokens": prompt + completion,
                "avg_latency_ms": ms("avg_latency_ms"), "avg_ttfb_ms": ms("avg_ttfb_ms")}

    async def request_charts(self, start: int, step: int, count: int, top: int,
                             keys_since: float) -> dict[str, list[dict[str, Any]]]:
        """Requests, errors and tokens in each of `count` buckets of `step` seconds from `start`,
        the models and client keys with the most requests since `start`, and the upstream keys
        with the most since `keys_since`, in one round trip over the hourly usage rows (an hour
        counts in the bucket its start falls in; at most 24 x 30 rows).

        The upstream keys come from a shorter window: an hour's row names every key that served
        in it, so 30 days of a round-robin pool would read hundreds of thousands of entries
        (D1 counts each `json_each` row as read); a day's worth stays small."""
        first = hour_of(start)
        buckets = ", ".join(
            f"coalesce(sum(requests) FILTER (WHERE b = {i}), 0) AS r{i}, "
            f"coalesce(sum(errors) FILTER (WHERE b = {i}), 0) AS e{i}, "
            f"coalesce(sum(tokens) FILTER (WHERE b = {i}), 0) AS t{i}" for i in range(count))
        window = "h.hour >= ?"
        series, models, clients, keys = await self.db.read([
            (f"SELECT {buckets} FROM (SELECT max(CAST((hour - ?) / ? AS INTEGER), 0) AS b, requests, errors, "
             "prompt_tokens + completion_tokens AS tokens FROM usage_hours WHERE hour >= ?)", [start, step, first]),
            ("SELECT j.key AS model, sum(j.value ->> 0) AS requests, sum(j.value ->> 1) AS errors, "
             f"sum(j.value ->> 2) AS tokens FROM usage_hours AS h, json_each(h.models) AS j WHERE {window} "
             "AND j.key != '' GROUP BY j.key ORDER BY requests DESC, j.key LIMIT ?", [first, top]),
            ("SELECT u.id, c.name, u.requests, u.errors, u.tokens FROM (SELECT CAST(j.key AS INTEGER) AS id, "
             "sum(j.value ->> 0) AS requests, sum(j.value ->> 1) AS errors, sum(j.value ->> 2) + sum(j.value ->> 3) "
             f"AS tokens FROM usage_hours AS h, json_each(h.clients) AS j WHERE {window} GROUP BY j.key "
             "ORDER BY requests DESC, id LIMIT ?) AS u LEFT JOIN client_keys AS c ON c.id = u.id "
             "ORDER BY u.requests DESC, u.id", [first, top]),
            ("SELECT u.id, k.key, u.requests, u.errors, u.tokens FROM (SELECT CAST(j.key AS INTEGER) AS id, "
             "sum(j.value ->> 0) AS requests, sum(j.value ->> 1) AS errors, sum(j.value ->> 2) + sum(j.value ->> 3) "
             f"AS tokens FROM usage_hours AS h, json_each(h.keys) AS j WHERE {window} GROUP BY j.key "
             "ORDER BY requests DESC, id LIMIT ?) AS u LEFT JOIN keys AS k ON k.id = u.id "
             "ORDER BY u.requests DESC, u.id", [max(first, hour_of(keys_since)), top]),
        ])
        row = series[0] if series else {}
        points = [{"t": start + i * step, "requests": int(row.get(f"r{i}") or 0), "errors": int(row.get(f"e{i}") or 0),
                   "tokens": int(row.get(f"t{i}") or 0)} for i in range(count)]
        return {"series": points, "models": models, "clients": clients, "keys": keys}

    # --- the balance trend -------------------------------------------------------------------------

    @staticmethod
    def trend_query(since_day: str | None) -> tuple[str, list[Any]]:
        clause, params = ("AND day >= ?", [since_day]) if since_day else ("", [])
        return (f"SELECT day, balance, valid_keys FROM balance_history WHERE key_id IS NULL {clause} ORDER BY day",
                params)

    @staticmethod
    def trend_points(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"day": r["day"], "total_balance": rounded(r["balance"]), "valid_keys": r["valid_keys"]} for r in rows]

    async def trend(self, since_day: str | None) -> list[dict[str, Any]]:
        return self.trend_points(await self.db.all(*self.trend_query(since_day)))

    async def key_history(self, key_id: int, limit: int) -> list[dict[str, Any]]:
        rows = await self.db.all(
            "SELECT ts, balance FROM balance_history WHERE key_id = ? ORDER BY ts DESC, id DESC LIMIT ?",
            (key_id, limit))
        return [{"ts": r["ts"], "balance": rounded(r["balance"])} for r in rows]

    @staticmethod
    def prune_key_history_statement(older_than: float) -> tuple[str, list[Any]]:
        """Per-key snapshots age out with the logs; the daily pool totals stay."""
        return ("DELETE FROM balance_history WHERE key_id IS NOT NULL AND ts < ?", [int(older_than)])
