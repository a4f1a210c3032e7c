"""The admin API over pool statistics (the dashboard) and balance history.

GET /api/stats: keys per status, balances (unknown ones counted apart, never
as 0) with the valid keys' median, quartiles, outlier fence and bins, the
latest keys, the last 24 hours' requests, and the balance trend.
GET /api/stats/trend: the trend alone, for the dashboard's period switch.
GET /api/stats/requests: requests and errors over 24 h (hourly) or 7 / 30 days
(daily), and the models, client keys and upstream keys with the most requests.
Everything is added up in SQL; see bench/dashboard_bench.py for the rows read.
"""

from __future__ import annotations

from typing import Any

from ..auth import require_admin
from ..core.balance import utc_day
from ..core.keys import mask_key
from ..core.stats import BALANCE_EDGES, DAY_S, REQUEST_RANGES, bins_with_outliers, fence_of, series_start, tz_offset_s
from ..http import HTTPError, Request, Response
from ..routing import Route
from ..services import Services
from ..store.stats import rounded
from .params import choice_param, int_param

RANGES = {"all": None, "7d": 7, "30d": 30}
MAX_HISTORY = 1000
LATEST_KEYS = 6
TOP = 8
STATUSES = ("unchecked", "valid", "exhausted", "invalid", "disabled")


def trend_since(span: str, now: float) -> str | None:
    days = RANGES[span]
    return utc_day(now - (days - 1) * DAY_S) if days else None


def trend_body(span: str, points: list[dict[str, Any]]) -> dict[str, Any]:
    return {"range": span, "points": points, "upper_fence": rounded(fence_of([p["total_balance"] for p in points]))}


def routes(services: Services) -> list[Route]:
    store, settings, clock = services.store, services.settings, services.clock

    def span_of(request: Request) -> str:
        span = request.query.get("range") or "30d"
        if span not in RANGES:
            raise HTTPError(400, f"range must be one of {', '.join(RANGES)}")
        return span

    async def stats(request: Request) -> Response:
        require_admin(request, settings)
        span = span_of(request)
        now = clock.now()
        found = await store.stats.key_figures(BALANCE_EDGES, LATEST_KEYS, trend_since(span, now), now - DAY_S)
        row, quartiles, fence = found["overview"], found["quartiles"], found["fence"]
        by_status = {name: int(row[name] or 0) for name in STATUSES}
        counts = [int(row[f"bin{i}"] or 0) for i in range(len(BALANCE_EDGES) + 1)]
        return Response.json({
            "keys": {"total": int(row["total"] or 0), "by_status": by_status, "valid": by_status["valid"]},
            "balance": {  # usable keys (enabled, not invalid): exhausted ones add their ~0
                "known": int(row["usable_count"] or 0), "unknown": int(row["usable_unknown"] or 0),
                **{name: rounded(row[f"usable_{name}"]) for name in ("sum", "avg", "min", "max")},
                "valid": {  # valid keys whose balance is known
                    "known": int(row["valid_count"] or 0), "unknown": int(row["valid_unknown"] or 0),
                    **{name: rounded(row[f"valid_{name}"]) for name in ("sum", "avg", "min", "max")},
                    **{name: rounded(value) for name, value in quartiles.items()},
                    "upper_fence": rounded(fence), "outliers": found["outliers"],
                },
                "distribution": bins_with_outliers(counts, fence, found["outliers"]),
            },
            "pool": {"total_balance": rounded(row["usable_sum"]), "valid_keys": by_status["valid"]},
            "latest_keys": [{"id": r["id"], "key": mask_key(r["key"]), "balance": rounded(r["balance"]),
                             "status": r["status"] if r["enabled"] else "disabled", "added_at": r["added_at"]}
                            for r in found["latest"]],
            "requests": {"window_s": DAY_S, **found["requests"]},
            "trend": trend_body(span, found["trend"]),
        })

    async def trend(request: Request) -> Response:
        require_admin(request, settings)
        span = span_of(request)
        return Response.json(trend_body(span, await store.stats.trend(trend_since(span, clock.now()))))

    async def requests(request: Request) -> Response:
        """`range` 24h (hourly) | 7d | 30d (daily); `tz`: the browser's minutes east of UTC, where days start."""
        require_admin(request, settings)
        span = choice_param(request.query.get("range"), "range", REQUEST_RANGES) or "24h"
        offset = tz_offset_s(int_param(request.query.get("tz"), "tz", 0, -24 * 60, 24 * 60))
        step, count = REQUEST_RANGES[span]
        start = series_start(clock.now(), step, count, offset if step == DAY_S else 0)
        # The upstream keys over the last 24 h whatever the range (see StatsStore.request_charts).
        found = await store.stats.request_charts(start, step, count, TOP, clock.now() - DAY_S)
        return Response.json({
            "range": span, "step_s": step, "since": start,
            "series": found["series"],
            "models": found["models"],
            "clients": [{**row, "name": row["name"] or f"#{row['id']}"} for row in found["clients"]],
            "keys": [{**row, "key": mask_key(row["key"]) if row["key"] else f"#{row['id']}"} for row in found["keys"]],
        })

    async def key_history(request: Request) -> Response:
        require_admin(request, settings)
        key_id = request.path_params["id"]
        if await store.keys.get(key_id) is None:
            raise HTTPError(404, "no such key")
        return Response.json({"id": key_id, "items": await store.stats.key_history(key_id, MAX_HISTORY)})

    return [
        Route("/api/stats", stats, ("GET",)),
        Route("/api/stats/trend", trend, ("GET",)),
        Route("/api/stats/requests", requests, ("GET",)),
        Route("/api/keys/{id:int}/history", key_history, ("GET",)),
    ]
