"""The admin API over pool settings (stored in the config table)."""

from __future__ import annotations

from ..auth import require_admin
from ..http import HTTPError, Request, Response
from ..pool import KeyPool
from ..routing import Route
from ..services import Services
from ..settings import POOL_SETTINGS, pool_defaults, validate_pool_settings


def routes(services: Services, pool: KeyPool) -> list[Route]:
    store, settings = services.store, services.settings

    async def current() -> dict:
        # The config table also keeps runtime state (names like "state.alerts"): show settings only.
        return {name: value for name, value in {**pool_defaults(), **await store.config.get_all()}.items()
                if name in POOL_SETTINGS}

    async def get_settings(request: Request) -> Response:
        require_admin(request, settings)
        return Response.json(await current())

    async def put_settings(request: Request) -> Response:
        require_admin(request, settings)
        try:
            values = validate_pool_settings(request.json_object())
        except ValueError as exc:
            raise HTTPError(400, str(exc)) from None
        await store.config.put_many(values)
        pool.invalidate()
        await services.audit.record(request, "settings.update", count=len(values), detail={"names": sorted(values)})
        return Response.json(await current())

    return [
        Route("/api/settings", get_settings, ("GET",)),
        Route("/api/settings", put_settings, ("PUT",)),
    ]
