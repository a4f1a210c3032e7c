"""The admin API over pool statistics and balance history."""

from __future__ import annotations

from ..auth import require_admin
from ..core.balance import BUCKET_EDGES, bucket_labels, utc_day
from ..http import HTTPError, Request, Response
from ..routing import Route
from ..services import Services

RANGES = {"all": None, "7d": 7, "30d": 30}
DAY_S = 86400
MAX_HISTORY = 1000


def routes(services: Services) -> list[Route]:
    store, settings, clock = services.store, services.settings, services.clock

    async def stats(request: Request) -> Response:
        """Keys per status, balances (unknown ones counted apart, never as 0), requests
        of the last 24 h, and the daily pool totals for `range` = all, 7d or 30d."""
        require_admin(request, settings)
        span = request.query.get("range") or "30d"
        if span not in RANGES:
            raise HTTPError(400, f"range must be one of {', '.join(RANGES)}")
        now = clock.now()
        counts = await store.keys.status_counts()
        by_status = {name: counts.get(name, 0) for name in ("unchecked", "valid", "exhausted", "invalid", "disabled")}
        buckets = await store.stats.distribution(BUCKET_EDGES)
        days = RANGES[span]
        return Response.json({
            "keys": {"total": sum(counts.values()), "by_status": by_status, "valid": by_status["valid"]},
            "balance": {
                **await store.stats.balances(),
                "distribution": [{"bucket": label, "count": buckets.get(i, 0)}
                                 for i, label in enumerate(bucket_labels(BUCKET_EDGES))],
            },
            "pool": await store.stats.pool_totals(),
            "requests": {"window_s": DAY_S, **await store.usage.requests_since(now - DAY_S)},
            "trend": {"range": span, "points": await store.stats.trend(
                utc_day(now - (days - 1) * DAY_S) if days else None)},
        })

    async def key_history(request: Request) -> Response:
        require_admin(request, settings)
        key_id = request.path_params["id"]
        if await store.keys.get(key_id) is None:
            raise HTTPError(404, "no such key")
        return Response.json({"id": key_id, "items": await store.stats.key_history(key_id, MAX_HISTORY)})

    return [
        Route("/api/stats", stats, ("GET",)),
        Route("/api/keys/{id:int}/history", key_history, ("GET",)),
    ]
