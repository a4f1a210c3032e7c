"""The application, runtime-agnostic: both shells hand it a Request and send its Response."""

from __future__ import annotations

import logging

from .auth import AdminSessions
from .clients import ClientGate
from .handlers import audit, client_keys, health, keys, logs, pages, proxy, session
from .handlers import jobs as jobs_api
from .handlers import stats as stats_api
from .handlers import settings as settings_api
from .pool import KeyPool
from .recorder import RequestRecorder
from .http import HTTPError, Request, Response
from .jobs import JobRunner
from .ports import Assets, Clock, Database, Upstream
from .routing import Router
from .services import Services
from .settings import Settings
from .store import Store

log = logging.getLogger("keypool")


class App:
    def __init__(self, services: Services):
        self.services = services
        self.pool = KeyPool(services.store, services.clock)
        self.gate = ClientGate(services.store, services.clock)
        self.recorder = RequestRecorder(services.store, services.settings.log_flush_delay_s)
        self.proxy = proxy.Proxy(services, self.pool, self.gate, self.recorder)
        self.jobs = JobRunner(services, on_change=self.pool.invalidate)
        self.sessions = AdminSessions(services.settings, services.clock, services.audit)
        self.router = Router([
            *health.routes(),
            *session.routes(self.sessions),
            *proxy.routes(self.proxy),
            *jobs_api.routes(services, self.jobs),
            *keys.routes(services, self.pool, self.gate, self.jobs),
            *client_keys.routes(services, self.gate),
            *logs.routes(services),
            *settings_api.routes(services, self.pool),
            *stats_api.routes(services),
            *audit.routes(services),
            *pages.routes(services),
        ])

    async def handle(self, request: Request) -> Response:
        try:
            if len(request.body) > self.services.settings.max_body_bytes:
                raise HTTPError(413, f"request body exceeds {self.services.settings.max_body_bytes} bytes")
            if request.path.startswith("/api/"):  # never on /v1: bearer client keys only there
                self.sessions.authenticate(request)
                await self.recorder.catch_up()  # admin reads see every request this process served
            response = await self.router(request)
        except HTTPError as exc:
            response = exc.to_response()
        except Exception as exc:  # a bug or a database failure: say so without leaking details
            log.exception("unhandled error on %s %s", request.method, request.path)
            response = Response.error(500, f"internal error ({type(exc).__name__}); see the server log")
        if request.method == "HEAD":
            response.body = b""
        return response

    async def scheduled(self) -> dict:
        """The cron tick (Worker), the local periodic task and `python -m keypool refresh`."""
        await self.recorder.catch_up()
        return await self.jobs.tick()


def create_app(settings: Settings, db: Database, upstream: Upstream, assets: Assets, clock: Clock) -> App:
    return App(Services(settings=settings, store=Store(db), upstream=upstream, assets=assets, clock=clock))

