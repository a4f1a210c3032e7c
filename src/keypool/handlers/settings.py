"""The admin API over pool settings (stored in the config table)."""

from __future__ import annotations

from ..alerts import Alerts, webhook_problem
from ..auth import Auth, require_admin
from ..core.addresses import in_networks, parse_networks
from ..http import HTTPError, Request, Response
from ..pool import KeyPool
from ..routing import Route
from ..services import Services
from ..settings import POOL_SETTINGS, SettingError, pool_defaults, validate_pool_settings


def routes(services: Services, pool: KeyPool, auth: Auth, alerts: Alerts) -> list[Route]:
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
        except SettingError as exc:
            raise HTTPError(400, str(exc), code="invalid_setting", param=exc.name) from None
        url = values.get("alert_webhook_url")
        if url and (problem := webhook_problem(url, settings.allow_private_webhooks)):
            raise HTTPError(400, problem, code="invalid_setting", param="alert_webhook_url")
        allowlist = values.get("admin_ip_allowlist")
        if allowlist and not in_networks(request.client_ip, parse_networks(allowlist)):
            raise HTTPError(400, f"admin_ip_allowlist leaves out your own address ({request.client_ip}): "
                                 "saving it would lock you out", code="invalid_setting", param="admin_ip_allowlist")
        await store.config.put_many(values)
        pool.invalidate()
        auth.invalidate()
        await services.audit.record(request, "settings.update", count=len(values), detail={"names": sorted(values)})
        return Response.json(await current())

    async def test_alert(request: Request) -> Response:
        """Send one test event to the configured webhook; say what it answered."""
        require_admin(request, settings)
        result = await alerts.send_test(await current(), services.clock.now())
        await services.audit.record(request, "alerts.test", detail={"sent": result["sent"]})
        return Response.json(result)

    return [
        Route("/api/settings", get_settings, ("GET",)),
        Route("/api/settings", put_settings, ("PUT",)),
        Route("/api/alerts/test", test_alert, ("POST",)),
    ]
