"""The application, runtime-agnostic: both shells hand it a Request and send its Response."""

from __future__ import annotations

import logging
import re

from .auth import Auth
from .clients import ClientGate
from .handlers import audit, backup, client_keys, health, keys, logs, pages, proxy, public, session
from .handlers import jobs as jobs_api
from .handlers import stats as stats_api
from .handlers import settings as settings_api
from .pool import KeyPool
from .recorder import RequestRecorder
from .http import HTTPError, Request, Response
from .jobs import JobRunner
from .ports import Assets, Clock, Database, KeyDerivation, Resolver, Upstream
from .routing import Router
from .services import Services
from .settings import Settings
from .store import Store

log = logging.getLogger("keypool")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# On every answer (pages add their Content-Security-Policy themselves).
SECURITY_HEADERS = (("x-content-type-options", "nosniff"), ("referrer-policy", "no-referrer"))
HSTS = ("strict-transport-security", "max-age=31536000; includeSubDomains")


def add_security_headers(response: Response, request: Request) -> None:
    present = {name.lower() for name, _ in response.headers}
    for name, value in (*SECURITY_HEADERS, *([HSTS] if request.scheme == "https" else [])):
        if name not in present:
            response.headers.append((name, value))


class App:
    def __init__(self, services: Services):
        self.services = services
        self.pool = KeyPool(services.store, services.clock)
        self.gate = ClientGate(services.store, services.clock)
        self.recorder = RequestRecorder(services.store, services.settings.log_flush_delay_s)
        self.proxy = proxy.Proxy(services, self.pool, self.gate, self.recorder)
        self.jobs = JobRunner(services, on_change=self.pool.invalidate)
        self.auth = Auth(services.settings, services.store, services.clock, services.audit, services.kdf)
        self.pages = pages.Pages(services)
        self.router = Router([
            *health.routes(),
            *session.routes(self.auth),
            *proxy.routes(self.proxy),
            *jobs_api.routes(services, self.jobs),
            *keys.routes(services, self.pool, self.gate, self.jobs),
            *client_keys.routes(services, self.gate),
            *logs.routes(services),
            *settings_api.routes(services, self.pool, self.auth, self.jobs.alerts),
            *stats_api.routes(services),
            *audit.routes(services),
            *public.routes(services, self.auth, self.pool),
            *backup.routes(services, self.pool, self.gate),
            *self.pages.routes(),
        ])

    async def handle(self, request: Request) -> Response:
        try:
            response = await self._route(request)
        except HTTPError as exc:
            response = exc.to_response()
            if exc.status == 404 and request.method in ("GET", "HEAD") and pages.is_page_path(request.path):
                response = await self.pages.not_found(request)  # a page, translated, instead of JSON
        except Exception as exc:  # a bug or a database failure: say so without leaking details
            log.exception("unhandled error on %s %s", request.method, request.path)
            response = Response.error(500, f"internal error ({type(exc).__name__}); see the server log")
        if request.method == "HEAD":
            response.body = b""
        add_security_headers(response, request)
        return response

    async def _route(self, request: Request) -> Response:
        if len(request.body) > self.services.settings.max_body_bytes:
            raise HTTPError(413, f"request body exceeds {self.services.settings.max_body_bytes} bytes")
        if _CONTROL.search(request.path):
            raise HTTPError(400, "the path contains control characters")
        if not request.path.startswith("/api/"):  # never on /v1: bearer client keys only there
            return await self.router(request)
        if wait := self.auth.bearer_wait(request):
            raise HTTPError(429, "too many wrong tokens from this address; try again later", code="token_throttled",
                            headers=[("retry-after", str(int(wait) + 1))])
        await self.auth.authenticate(request)
        await self.recorder.catch_up()  # admin reads see every request this process served
        try:
            return await self.router(request)
        except HTTPError as exc:
            if exc.code == "invalid_admin_token" and request.bearer_token() is not None:
                self.auth.bearer_failed(request)  # a wrong ADMIN_TOKEN, not a missing one
            raise

    async def refuse_early(self, method: str, path: str, headers: dict[str, str], scheme: str) -> Response | None:
        """For the shells, before they read a body: what the headers alone refuse (a /v1 call
        without a valid client key), as `handle` would answer it."""
        response = await self.proxy.refuse_early(method, path, headers)
        if response is not None:
            add_security_headers(response, Request(method, path, headers=headers, scheme=scheme))
        return response

    async def scheduled(self) -> dict:
        """The cron tick (Worker), the local periodic task and `python -m keypool refresh`."""
        await self.recorder.catch_up()
        return await self.jobs.tick()


def create_app(settings: Settings, db: Database, upstream: Upstream, assets: Assets, clock: Clock,
               kdf: KeyDerivation, resolver: Resolver) -> App:
    return App(Services(settings=settings, store=Store(db), upstream=upstream, assets=assets, clock=clock,
                        kdf=kdf, resolver=resolver))

