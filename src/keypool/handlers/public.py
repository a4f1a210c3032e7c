"""The visitors' side of the pool (the public page at `/`), by access mode:

- `private` (default): nothing here but for the admin;
- `guest`: visitors who signed in with the guest password (POST /api/guest/login);
- `open`: anyone.

Visitors see the usable keys masked, with balances and the pool's counts, and,
when `visitor_copy` is on, may copy a full key: through the API, a few per
minute per address, each copy in the audit trail. They never reach settings,
logs, client keys or any admin action (those routes check for the admin).
Answers are cached in memory for a short while (or until the admin changes
the pool here), so an open page with many visitors costs the database little.
"""

from __future__ import annotations

from typing import Any

from ..auth import Auth, is_admin
from ..core.keys import mask_key
from ..core.throttle import RateWindow
from ..http import HTTPError, Request, Response
from ..pool import KeyPool
from ..routing import Route
from ..services import Services
from ..store import KeyFilter
from .params import choice_param, int_param

SORTS = ("balance", "added")
MAX_PAGE_SIZE = 100
CACHE_TTL_S = 30.0
CACHE_ENTRIES = 64
COPIES_PER_MINUTE = 10


def routes(services: Services, auth: Auth, pool: KeyPool) -> list[Route]:
    store, settings, clock = services.store, services.settings, services.clock
    cache: dict[tuple, tuple[float, dict[str, Any]]] = {}
    copies = RateWindow(COPIES_PER_MINUTE, 60.0)

    async def visitor(request: Request) -> str:
        """Who may look: "admin", "guest" or "anyone"; else a 401/403 that says why."""
        if is_admin(request, settings):
            return "admin"
        mode = (await auth.state()).access_mode
        if mode == "open":
            return "anyone"
        if mode == "guest":
            if request.principal == "guest":
                return "guest"
            raise HTTPError(401, "enter the guest password to see this pool", code="guest_sign_in_required")
        raise HTTPError(403, "this pool is private", code="pool_private")

    async def info(request: Request) -> Response:
        """What the public page shows: the mode, and who the caller is to it."""
        state = await auth.state()
        admin = is_admin(request, settings)
        body: dict[str, Any] = {"access_mode": state.access_mode, "admin": admin,
                                "guest": request.principal == "guest",
                                "visitor_copy": bool(state.config.get("visitor_copy"))}
        if admin:
            body["guest_password_set"] = auth.guest_credential(state) is not None
        return Response.json(body, headers=[("cache-control", "no-store")])

    async def summary_and_page(sort: str, descending: bool, page: int, page_size: int) -> dict[str, Any]:
        now = clock.now()
        cache_key = (pool.changes, sort, descending, page, page_size)
        cached = cache.get(cache_key)
        if cached and now - cached[0] < CACHE_TTL_S:
            return cached[1]
        usable = KeyFilter(status="valid")
        counts = await store.keys.status_counts()
        totals = await store.stats.pool_totals()
        rows = await store.keys.page(usable, sort, descending, page_size, (page - 1) * page_size)
        body = {
            "items": [{"id": row["id"], "key": mask_key(row["key"]), "balance": row["balance"],
                       "status": row["status"], "checked_at": row["checked_at"], "added_at": row["added_at"]}
                      for row in rows],
            "total": totals["valid_keys"], "page": page, "page_size": page_size,
            "summary": {"keys": sum(counts.values()), "valid": totals["valid_keys"],
                        "total_balance": totals["total_balance"]},
        }
        if len(cache) >= CACHE_ENTRIES:
            cache.clear()
        cache[cache_key] = (now, body)
        return body

    async def public_keys(request: Request) -> Response:
        await visitor(request)
        query = request.query
        sort = choice_param(query.get("sort"), "sort", SORTS) or "balance"
        order = choice_param(query.get("order"), "order", ("asc", "desc")) or "desc"
        page = int_param(query.get("page"), "page", 1, 1, 100_000)
        page_size = int_param(query.get("page_size"), "page_size", 12, 1, MAX_PAGE_SIZE)
        return Response.json(await summary_and_page(sort, order == "desc", page, page_size))

    async def copy_key(request: Request) -> Response:
        """One usable key in full, for a visitor allowed to copy (or the admin)."""
        who = await visitor(request)
        if who != "admin":
            if not (await auth.state()).config.get("visitor_copy"):
                raise HTTPError(403, "copying keys is not allowed on this pool", code="visitor_copy_off")
            if wait := copies.take(request.client_ip or "unknown", clock.now()):
                raise HTTPError(429, f"at most {COPIES_PER_MINUTE} copies a minute; try again shortly",
                                code="copy_rate_limited", headers=[("retry-after", str(int(wait) + 1))])
        key_id = request.path_params["id"]
        row = await store.keys.get(key_id)
        if row is None or not row["enabled"] or row["status"] != "valid":
            raise HTTPError(404, "no such usable key")
        await services.audit.record(request, "public.copy", detail={"id": key_id},
                                    actor=None if who == "admin" else ("guest" if who == "guest" else "anonymous"))
        return Response.json({"id": key_id, "key": row["key"]}, headers=[("cache-control", "no-store")])

    return [
        Route("/api/public/info", info, ("GET",)),
        Route("/api/public/keys", public_keys, ("GET",)),
        Route("/api/public/keys/{id:int}/copy", copy_key, ("POST",)),
        Route("/api/guest/login", auth.guest_login, ("POST",)),
        Route("/api/guest/logout", auth.guest_logout, ("POST",)),
        Route("/api/guest-password", auth.set_guest_password, ("PUT",)),
    ]
