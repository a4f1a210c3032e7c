"""The local server shell: ASGI (served by uvicorn) over the same app the Worker runs."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Awaitable, Mapping

from . import schema
from .adapters.aiohttp_upstream import AiohttpUpstream
from .adapters.file_assets import FileAssets
from .adapters.hashlib_kdf import HashlibKeyDerivation
from .adapters.sqlite import SQLiteDatabase
from .adapters.system_clock import SystemClock
from .adapters.system_resolver import SystemResolver
from .app import App, create_app
from .auth import first_start
from .core.addresses import client_address, in_networks, parse_networks
from .http import Request, Response
from .settings import Settings
from .store import Store

log = logging.getLogger("keypool.server")

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = ROOT / "migrations"
STATIC_DIR = ROOT / "static"


def read_migrations(folder: Path = MIGRATIONS_DIR) -> list[tuple[str, str]]:
    """(file name, SQL) of every migration, in the order they apply."""
    names = schema.ordered([p.name for p in folder.iterdir()])
    return [(name, (folder / name).read_text(encoding="utf-8")) for name in names]


async def open_database(path: str) -> SQLiteDatabase:
    db = SQLiteDatabase(path)
    await schema.apply(db, read_migrations())
    return db


def tick_seconds(env: Mapping[str, str]) -> float | None:
    raw = env.get("KEYPOOL_TICK_SECONDS")
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(f"KEYPOOL_TICK_SECONDS must be a number, got {raw!r}") from None
    if seconds <= 0:
        raise ValueError("KEYPOOL_TICK_SECONDS must be positive")
    return seconds


class BackgroundTasks:
    """Local stand-in for ctx.waitUntil: tasks run after the response, kept
    referenced until done, and awaited on shutdown."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task] = set()

    def defer(self, awaitable: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(awaitable)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed: %r", task.exception())

    async def drain(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


class LocalServer:
    """An ASGI application."""

    def __init__(self, settings: Settings, db_path: str, url: str = ""):
        # Group request-log writes: one transaction per quarter second under load.
        self.settings = replace(settings, log_flush_delay_s=0.25)
        self.db_path = db_path
        self.url = url  # where people open the UI, for the first-start message
        self.trusted = parse_networks(settings.trusted_proxies)
        self.app: App | None = None
        self.background = BackgroundTasks()
        self._closers: list[Any] = []

    async def startup(self) -> None:
        db = await open_database(self.db_path)
        self._db = db
        kdf, clock = HashlibKeyDerivation(), SystemClock()
        # A session secret and, without ADMIN_PASSWORD, an admin password: generated once, kept in the database.
        self.settings, password = await first_start(self.settings, Store(db), kdf, clock.now())
        if password:
            # Printed once, on purpose: the only time this password is ever shown.
            print(f"\n  Admin sign-in at {self.url or 'the server URL'}\n  username: {self.settings.admin_username}"
                  f"\n  password: {password}\n  (shown once; change it under Settings, or reset it with "
                  f"`python -m keypool reset-password --db {self.db_path}`)\n", flush=True)
        upstream = AiohttpUpstream()
        self._closers = [upstream.aclose]
        self.app = create_app(self.settings, db, upstream, FileAssets(STATIC_DIR), clock, kdf, SystemResolver())
        # Balance checks: resume running jobs, tick every refresh_interval_s (KEYPOOL_TICK_SECONDS overrides).
        await self.app.jobs.start_background(tick_seconds(os.environ))

    async def shutdown(self) -> None:
        if self.app is not None:
            await self.app.jobs.shutdown()  # running chunks write what they finished
        await self.background.drain()
        for close in self._closers:
            await close()
        self._db.close()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: dict, receive: Any, send: Any) -> None:
        assert self.app is not None, "server not started"
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        client_ip, scheme = self._origin(scope, headers)
        # The client key before the body: an unknown caller cannot make us read 32 MB.
        refused = await self.app.refuse_early(scope["method"], scope["path"], headers, scheme)
        if refused is not None:
            await self._send(send, refused)
            return
        limit = self.settings.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._send(send, Response.error(413, f"request body exceeds {limit} bytes"))
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await self._send(send, Response.error(413, f"request body exceeds {limit} bytes"))
                return
        request = Request(
            method=scope["method"],
            path=scope["path"],
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=bytes(body),
            client_ip=client_ip,
            scheme=scheme,
            defer=self.background.defer,
        )
        response = await self.app.handle(request)
        await self._send(send, response, receive)

    def _origin(self, scope: dict, headers: dict[str, str]) -> tuple[str, str]:
        """The caller's address and scheme: the socket's, or a trusted proxy's word for them."""
        peer = (scope.get("client") or ("", 0))[0]
        scheme = scope.get("scheme", "http")
        address = client_address(peer, headers.get("x-forwarded-for"), self.trusted)
        if self.trusted and in_networks(peer, self.trusted):
            proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
            scheme = proto if proto in ("http", "https") else scheme
        return address, scheme

    async def _send(self, send: Any, response: Response, receive: Any = None) -> None:
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        if isinstance(response.body, (bytes, bytearray)):
            await send({"type": "http.response.body", "body": bytes(response.body)})
            return
        await self._stream(send, receive, response.body)

    async def _stream(self, send: Any, receive: Any, stream: Any) -> None:
        """Relay a streamed body; if the client disconnects, stop reading the upstream."""

        async def pump() -> None:
            async for chunk in stream:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})

        async def disconnected() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        pumping = asyncio.ensure_future(pump())
        watching = asyncio.ensure_future(disconnected())
        try:
            await asyncio.wait({pumping, watching}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pumping, watching):
                task.cancel()
            await asyncio.gather(pumping, watching, return_exceptions=True)
            await stream.aclose()


def run(settings: Settings, host: str, port: int, db_path: str) -> None:
    import uvicorn

    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    # proxy_headers off: X-Forwarded-For counts only from TRUSTED_PROXIES (see LocalServer._origin).
    uvicorn.run(LocalServer(settings, db_path, url), host=host, port=port, log_level="info",
                access_log=False, lifespan="on", proxy_headers=False)
